"""num_workers=0: the sampler proxy pairs each index list with its tag, in C, for the dataset proxy.

Driven in this process against a live controller and agent, attached with nothing armed (the usual
state of a running job): the batch records the controller receives must name every batch with its
own number and indices, whatever the batch sampler yields (lists, tuples, ranges) and whatever else
iterates the sampler in between, and the loader must hand out exactly the batches of a plain run.
"""

import pickle
import sys
import time

import live_session
import pyarrow as pa
from torch.utils.data import DataLoader, Sampler

from batchscope_runtime import record
from batchscope_runtime.debug import instrument
from batchscope_runtime.debug.instrument import tags
from batchscope_runtime.debug.instrument.loader_setup import instrument_loader
from batchscope_runtime.debug.instrument.proxies import sampler as sampler_proxy
from batchscope_runtime.debug.instrument.proxies.dataset import MapDatasetProxy
from batchscope_runtime.record import iterator_patch

from conftest import REPO

sys.path.insert(0, str(REPO / "test" / "fixtures" / "debug"))
from debug_data import PadCollate, RowDataset  # noqa: E402


class MixedBatches(Sampler):
    """Yields a list, a tuple, a range, then a list again: all index lists torch accepts."""

    def __init__(self):
        self.batches = [[0, 1, 2], (5, 4, 3), range(6, 9), [11, 10, 9]]

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)


def _session(monkeypatch):
    """Attached with the default filters and nothing armed: the usual state of a running job."""
    ctl, a, c = live_session.start(monkeypatch)
    try:
        c.request("setExceptionBreakpoints", filters=["fetch_error", "collate_error", "hang"])
        c.request("configurationDone")
        live_session.wait_for_config(a, lambda cfg: cfg.attached and "hang" in cfg.filters, "the attach")
        assert not a.cfg.armed
    except BaseException:
        live_session.end(ctl, c)
        raise
    return ctl, a, c


def _spy(monkeypatch, method, note):
    """Wrap a MapDatasetProxy method so each call first goes through `note(*args)`."""
    orig = getattr(MapDatasetProxy, method)

    def spy(self, *args):
        note(*args)
        return orig(self, *args)

    monkeypatch.setattr(MapDatasetProxy, method, spy)


def _records(ctl, n):
    """The controller's batch records once `n` have arrived (the agent flushes a few times a second)."""
    deadline = time.monotonic() + 60
    while True:
        with ctl.lock:
            recs = list(ctl.ring)
        if len(recs) >= n:
            return recs
        assert time.monotonic() < deadline, "only %d of %d batch records arrived" % (len(recs), n)
        time.sleep(0.05)


def test_zero_workers_batches_keep_their_numbers_and_indices_without_tagged_copies(monkeypatch, tmp_path):
    assert sampler_proxy.fetcher_calls_getitems()  # this torch hands the index list to __getitems__
    ctl, c = None, None
    # The recorder's torch patch goes in first, under the debugger's: instrument.uninstall() at the
    # end puts back what it found, and a recorder patch laid over the debugger's would go with it
    # (the later recording tests in this process would then see no batches).
    iterator_patch.install()
    try:
        ctl, a, c = _session(monkeypatch)
        instrument.install()
        loader = DataLoader(RowDataset(12), batch_sampler=MixedBatches(), collate_fn=PadCollate())
        seen = []
        # (pass tag, batch, torch's own list)
        _spy(monkeypatch, "__getitems__", lambda ix: seen.append((type(ix[0]), ix[1], type(ix[2]))))
        got = []
        for n, batch in enumerate(loader):
            got.append(batch["idx"].tolist())
            if n == 1:
                # User code drawing from the (proxied) batch sampler mid-pass: those lists are never
                # fetched, and must not shift or rename the loop's own batches.
                assert [list(b) for b in loader.batch_sampler] == [list(b) for b in MixedBatches().batches]
        expected = [[0, 1, 2], [5, 4, 3], [6, 7, 8], [11, 10, 9]]
        assert got == expected
        # The sampler's own objects, paired with the pass and their number: no tagged copy per batch.
        assert seen == [
            (tags.PassTag, 0, list),
            (tags.PassTag, 1, tuple),
            (tags.PassTag, 2, range),
            (tags.PassTag, 3, list),
        ]
        recs = [r for r in _records(ctl, 4) if r["epoch"] == 0]
        assert [(r["batch"], r["indices"]) for r in recs] == list(enumerate(expected))
        assert all("fetch" in r["timings"] and "collate" in r["timings"] for r in recs)

        # The next pass is numbered from 0 again, in the next epoch: 2, since the sampler's own
        # iteration above was a pass of its own. A recording of it names each row's sample.
        rec = record.start(batches=4, path=str(tmp_path / "r.arrow"))
        assert [b["idx"].tolist() for b in loader] == expected
        recs = [r for r in _records(ctl, 8) if r["epoch"] == 2]
        assert [(r["batch"], r["indices"]) for r in recs] == list(enumerate(expected))
        assert rec.wait(30)
        with pa.OSFile(str(tmp_path / "r.arrow"), "rb") as f:
            rows = pa.ipc.open_stream(f).read_all().to_pydict()
        assert rows["sample_index"] == [i for b in expected for i in b]
        assert rows["batch"] == [n for n, b in enumerate(expected) for _ in b] and set(rows["epoch"]) == {2}

        # With workers the tag travels on the index list itself (pickled to the worker).
        loader2 = DataLoader(RowDataset(12), batch_size=4, num_workers=1, collate_fn=PadCollate())
        instrument_loader(loader2)
        assert loader.batch_sampler._bs_direct and not loader2.batch_sampler._bs_direct
        drawn = next(iter(loader2.batch_sampler))  # anyone but torch's iterator draws tagged lists
        assert type(drawn) is tags.TaggedIndices and drawn == [0, 1, 2, 3]
        assert pickle.loads(pickle.dumps(loader.dataset))[3]["idx"] == 3
    finally:
        if ctl is not None:
            live_session.end(ctl, c)


def test_without_getitems_in_the_fetcher_the_tag_rides_on_the_list(monkeypatch):
    # torch < 2.0 iterates the index list in its fetcher: no hand-over, the tagged list begins the batch.
    monkeypatch.setattr(sampler_proxy, "_getitems", [False])
    ctl, c = None, None
    try:
        ctl, a, c = _session(monkeypatch)
        instrument.install()
        loader = DataLoader(RowDataset(8), batch_size=4, collate_fn=PadCollate())
        drawn = []
        _spy(monkeypatch, "__getitems__", lambda ix: drawn.append(type(ix)))
        assert [b["idx"].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
        assert drawn == [tags.TaggedIndices, tags.TaggedIndices]
        recs = _records(ctl, 2)
        assert [(r["batch"], r["indices"]) for r in recs] == [(0, [0, 1, 2, 3]), (1, [4, 5, 6, 7])]
    finally:
        if ctl is not None:
            live_session.end(ctl, c)


def test_a_watched_job_and_an_armed_one_record_the_same_batches(monkeypatch):
    # Attached with nothing armed, a 0-worker batch skips every stop check; armed (here a breakpoint
    # whose condition never holds) it goes through them. Both must leave the same records and state.
    ctl, c = None, None
    try:
        ctl, a, c = _session(monkeypatch)
        instrument.install()
        loader = DataLoader(RowDataset(12), batch_size=4, collate_fn=PadCollate())
        assert [b["idx"].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
        assert a.busy is None and a.state.mm[0] == 0  # no batch in flight after the pass

        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch", "condition": "False"}])
        live_session.wait_for_config(a, lambda cfg: cfg.armed, "the breakpoint")
        assert [b["idx"].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
        assert a.busy is None and a.state.mm[0] == 0

        recs = _records(ctl, 6)

        def of(epoch):
            return [
                (r["batch"], r["indices"], sorted(r["timings"]), r.get("error")) for r in recs if r["epoch"] == epoch
            ]

        assert of(0) == of(1) == [(n, [4 * n + i for i in range(4)], ["collate", "fetch"], None) for n in range(3)]
    finally:
        if ctl is not None:
            live_session.end(ctl, c)
