"""Unit tests of the debug engine's pieces: wire format and vectors, faulthandler parsing, hit
conditions, stepping rules, picklable proxies, tensor summaries and token decoding."""

import faulthandler
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time

import live_session
import pytest
import torch
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

from batchscope_runtime.debug import instrument, values, wire
from batchscope_runtime.debug.agent import config as agent_config
from batchscope_runtime.debug.agent import core as agent_core
from batchscope_runtime.debug.controller import breakpoints, hang_watch
from batchscope_runtime.debug.controller.core import Controller
from batchscope_runtime.debug.instrument import tags
from batchscope_runtime.debug.instrument.loader_setup import instrument_loader
from batchscope_runtime.debug.instrument.proxies.collate import CollateProxy
from batchscope_runtime.debug.instrument.proxies.dataset import MapDatasetProxy
from batchscope_runtime.debug.instrument.proxies.iterable import get_iterable_proxy
from batchscope_runtime.debug.instrument.proxies.sampler import BatchSamplerProxy

from conftest import FIXTURES, REPO, RUNTIME

sys.path.insert(0, str(REPO / "test" / "fixtures" / "debug"))
from debug_data import PadCollate, RowDataset, ShardedRows  # noqa: E402

VECTORS = REPO / "protocol" / "vectors"


def test_vectors_validate_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "protocol" / "debug.schema.json").read_text())
    v = jsonschema.Draft202012Validator(schema)
    good = json.loads((VECTORS / "debug-messages.json").read_text())["messages"]
    assert len(good) > 30
    for m in good:
        assert not list(v.iter_errors(m)), m
        assert "\n" not in wire.encode(m).decode()[:-1]
    for case in json.loads((VECTORS / "debug-invalid.json").read_text())["messages"]:
        assert not v.is_valid(case["line"]), case["why"]


def test_ids_vectors_match_the_runtime():
    ids = json.loads((VECTORS / "debug-ids.json").read_text())
    for t in ids["threads"]:
        if t["role"] == "worker":
            assert wire.thread_id_for_worker(t["loader"], t["worker"]) == t["threadId"]
        elif t["role"] == "pin":
            assert wire.thread_id_for_pin(t["loader"]) == t["threadId"]
    for f in ids["frames"]:
        assert f["threadId"] * 100 + f["depth"] == f["frameId"]
    assert tuple(ids["stages"]) == wire.STAGES and tuple(ids["filters"]) == wire.FILTERS


def test_handshake_vectors_against_a_live_controller():
    ctl = Controller("s3cret", wait=False)
    ctl.start()
    try:
        cases = json.loads((VECTORS / "debug-invalid.json").read_text())["handshake"]
        for case in cases:
            import socket

            s = socket.create_connection(("127.0.0.1", ctl.port), timeout=5)
            s.sendall(case["first"].replace("<SECRET>", "s3cret").encode() + b"\n")
            answer = wire.LineReader(s).read()
            assert answer["type"] == case["expect"], case
            s.close()
    finally:
        ctl.close()


def test_is_loopback_and_secret_check():
    assert wire.is_loopback(("127.0.0.1", 1)) and wire.is_loopback(("::1", 1, 0, 0))
    assert not wire.is_loopback(("10.0.0.5", 1)) and not wire.is_loopback(("example.com", 1))
    assert wire.secret_ok("abc", "abc") and not wire.secret_ok("abd", "abc") and not wire.secret_ok(None, "abc")


def test_line_reader_splits_and_limits():
    a, b = __import__("socket").socketpair()
    try:
        a.sendall(b'{"x":1}\n\n{"y":')
        a.sendall(b"2}\n")
        r = wire.LineReader(b)
        assert r.read() == {"x": 1} and r.read() == {"y": 2}
        a.close()
        assert r.read() is None
    finally:
        b.close()


def _stuck():
    time.sleep(3)  # STUCK-HERE


def test_parse_faulthandler_dump_of_a_real_stuck_thread():
    with tempfile.TemporaryFile("w+") as f:
        t = threading.Thread(target=_stuck)
        t.start()
        time.sleep(0.1)
        faulthandler.dump_traceback(file=f, all_threads=True)
        f.seek(0)
        text = f.read()
        t.join()
    frames = hang_watch.parse_faulthandler(text, t.ident)
    line = next(i for i, l in enumerate(open(__file__), 1) if "STUCK-HERE" in l and "def" not in l and "next(" not in l)
    assert frames[0]["name"] == "_stuck" or any(f["name"] == "_stuck" and f["line"] == line for f in frames)
    assert all(f["path"] for f in frames)


@pytest.mark.parametrize(
    "cond,hits,expected",
    [
        ("3", [1, 2, 3, 4], [False, False, True, False]),
        (">= 2", [1, 2, 3], [False, True, True]),
        ("> 2", [2, 3], [False, True]),
        ("% 2", [1, 2, 3, 4], [False, True, False, True]),
    ],
)
def test_hit_conditions(cond, hits, expected):
    assert [breakpoints.hit_matches(cond, h) for h in hits] == expected


def test_step_rules():
    m = agent_config.step_matches
    assert m({"kind": "next", "from": "fetch"}, "collate") and not m({"kind": "next", "from": "fetch"}, "sample")
    assert m({"kind": "stepIn", "from": "fetch"}, "sample")
    assert m({"kind": "stepIn", "from": "collate"}, "batch_ready")
    assert m({"kind": "next", "from": "sample"}, "sample")
    assert not m({"kind": "stepOut", "from": "fetch"}, "collate") and m(
        {"kind": "stepOut", "from": "sample"}, "batch_ready"
    )
    assert m({"kind": "stepOut", "from": "to_device"}, "train_step") and not m(
        {"kind": "stepOut", "from": "to_device"}, "pin_memory"
    )
    assert m({"kind": "next", "from": "batch_ready"}, "to_device")


class StatefulSampler(BatchSampler):
    def state_dict(self):
        return {"pos": 5}


def test_tagged_indices_and_proxies_pickle_and_pass_attributes_through():
    t = tags.tag(tags.TaggedIndices, [3, 1, 2], (0, "train", 1, 7, 10, 0))
    u = pickle.loads(pickle.dumps(t))
    assert type(u) is tags.TaggedIndices and u._bs == (0, "train", 1, 7, 10, 0)
    assert list(u) == [3, 1, 2] and not hasattr(u, "_bs")  # the first iteration (torch's fetch) takes the tag
    assert list(u) == [3, 1, 2] and u[0] == 3 and len(u) == 3
    ti = pickle.loads(pickle.dumps(tags.tag(tags.TaggedIterIndices, [None, None], (0, "t", 0, 1, None, 0))))
    assert ti._bs == (0, "t", 0, 1, None, 0)
    bs = BatchSamplerProxy(StatefulSampler(SequentialSampler(range(10)), 4, False), 0, "train", False)
    assert bs.state_dict() == {"pos": 5} and len(bs) == 3 and bool(bs)
    bs2 = pickle.loads(pickle.dumps(bs))
    assert bs2.state_dict() == {"pos": 5} and bs2.batch_size == 4
    ds = pickle.loads(pickle.dumps(MapDatasetProxy(RowDataset(8, sleep_s=0.5), 0, "train")))
    assert len(ds) == 8 and ds.sleep_s == 0.5 and ds[2]["idx"] == 2
    it = pickle.loads(pickle.dumps(get_iterable_proxy()(ShardedRows([2, 1]), 1, "val")))
    assert isinstance(it, torch.utils.data.IterableDataset) and it.counts == [2, 1]
    assert [r["idx"] for r in it] == [0, 1]
    cp = pickle.loads(pickle.dumps(CollateProxy(PadCollate(pad_id=3))))
    assert cp.pad_id == 3
    with pytest.raises(AttributeError):
        MapDatasetProxy(RowDataset(2), 0, "x").no_such_attribute


def test_instrumentation_without_a_session_leaves_batches_identical():
    # No BATCHSCOPE_CONTROLLER: the hooks stay out of the way and iteration is unchanged.
    assert "BATCHSCOPE_CONTROLLER" not in os.environ
    instrument.install()
    try:
        g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        a = [
            b["idx"].tolist()
            for b in DataLoader(RowDataset(20), batch_size=3, shuffle=True, generator=g1, collate_fn=PadCollate())
        ]
        instrument.uninstall()
        b = [
            b["idx"].tolist()
            for b in DataLoader(RowDataset(20), batch_size=3, shuffle=True, generator=g2, collate_fn=PadCollate())
        ]
        assert a == b
    finally:
        instrument.uninstall()


def test_tensor_summary_matches_torch():
    x = torch.tensor([[1.0, float("nan"), 3.0], [float("inf"), -2.0, 0.5]])
    s = values.tensor_stats(x)
    assert s["shape"] == [2, 3] and s["dtype"] == "float32" and s["device"] == "cpu"
    assert s["nan_count"] == 1 and s["inf_count"] == 1
    finite = x[torch.isfinite(x)]
    assert s["min"] == finite.min().item() and s["max"] == finite.max().item()
    assert s["mean"] == pytest.approx(finite.double().mean().item(), abs=1e-4)
    ids = torch.tensor([[5, 6, 0], [7, 0, 0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert values.tensor_stats(ids, "input_ids", {"attention_mask": mask})["padding_ratio"] == pytest.approx(0.5)
    labels = torch.tensor([[-100, 6, 7, -100]])
    assert values.tensor_stats(labels, "labels")["padding_ratio"] == pytest.approx(0.5)
    line = values.tensor_line(ids, values.tensor_stats(ids, "input_ids", {"attention_mask": mask}))
    assert line.startswith("Tensor[2, 3] int64 cpu") and "pad 50%" in line


def test_decoded_ids_and_masked_labels_match_tokenizers():
    tok_dir = FIXTURES / "tokenizer"
    if not (tok_dir / "tokenizer.json").exists():
        subprocess.run(
            [sys.executable, str(REPO / "test" / "fixtures" / "builders" / "a_tokenizer.py"), str(FIXTURES)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tok_dir / "tokenizer.json"))
    ids = tok.encode("hello world, the batch").ids
    t = values.Tokenizer.load(str(tok_dir))
    assert values.decode_rows(torch.tensor([ids]), "input_ids", t) == [tok.decode(ids, skip_special_tokens=False)]
    labels = [-100, -100] + ids[2:]
    got = values.decode_rows(torch.tensor([labels]), "labels", t)[0]
    assert got == "··" + tok.decode(ids[2:], skip_special_tokens=False)


def test_var_table_is_lazy_and_references_carry_the_slot():
    vt = values.VarTable(slot=3)
    v = vt.var("batch", {"input_ids": torch.tensor([[1, 2]]), "n": 4})
    assert v["variablesReference"] >> 20 == 3 and v["namedVariables"] == 2
    kids = {k["name"]: k for k in vt.children(v["variablesReference"])}
    assert kids["input_ids"]["value"].startswith("Tensor[1, 2] int64") and kids["n"]["value"] == "4"
    stats = {k["name"]: k["value"] for k in vt.children(kids["input_ids"]["variablesReference"])}
    assert stats["min"] == "1" and stats["max"] == "2"
    with pytest.raises(KeyError):
        vt.children(12345)


def test_hooks_stage_is_a_no_op_without_a_session():
    from batchscope_runtime.debug import hooks

    assert hooks._active is None and hooks._starter is not None  # the package registered the env starter
    with hooks.stage("train_step", batch=1):
        pass
    assert hooks.install_from_env() is None


@pytest.mark.skipif(not hasattr(os, "waitid"), reason="os.waitid (Linux)")
def test_worker_exit_status_is_read_without_reaping_and_outlives_the_reap():
    import multiprocessing
    import signal

    a = agent_core.Agent("main")  # not connected: only its worker bookkeeping is used
    exits = a.worker_exits
    ctx = multiprocessing.get_context("fork")
    killed = ctx.Process(target=time.sleep, args=(60,), daemon=True)
    normal = ctx.Process(target=time.sleep, args=(0,), daemon=True)
    killed.start()
    normal.start()
    exits.track([killed, normal])
    try:
        assert exits.status(killed.pid)["unknown"]  # still running
        os.kill(killed.pid, signal.SIGKILL)
        st = exits.status(killed.pid, wait_s=30)  # waits for the exit itself, however late it comes
        assert st == {"pid": killed.pid, "signal": "SIGKILL", "exitCode": None}
        assert exits.status(normal.pid, wait_s=30) == {"pid": normal.pid, "signal": None, "exitCode": 0}
        assert exits.ended() == sorted([st, exits.status(normal.pid)], key=lambda x: x["pid"])
        # Nothing was reaped: the zombie is still there for torch's SIGCHLD handler to read.
        assert os.waitid(os.P_PID, killed.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT).si_pid == killed.pid
        killed.join(10)  # what torch's shutdown does
        assert killed.exitcode == -signal.SIGKILL
        assert exits.status(killed.pid) == st  # multiprocessing's record, after the reap
    finally:
        for p in (killed, normal):
            if p.is_alive():
                p.kill()
            p.join(10)


def test_worker_status_waits_for_the_main_bye_when_the_probe_cannot_be_sent():
    # The CI race, forced: the controller reads a worker's EOF, but the main process has already said
    # bye (naming the killed worker) and closed, and its connection has not been read yet. The probe
    # cannot be sent; the status must still come from that unread bye, not be taken for a normal exit.
    import socket

    from batchscope_runtime.debug.conn import Conn
    from batchscope_runtime.debug.controller.agent_peer import AgentPeer

    ctl = Controller("s3cret", wait=False)
    ours, program = socket.socketpair()
    try:
        killed = {"pid": 4242, "signal": "SIGKILL", "exitCode": None}
        program.sendall(wire.encode({"type": "bye", "error": None, "exitCode": 1, "workers": [killed]}))
        program.close()
        main = AgentPeer(ctl, 1, Conn(ours), {"kind": "main", "pid": 4241})
        ctl.agents[1] = main  # connected, not served yet: its bye is still unread
        got = []
        asker = threading.Thread(target=lambda: got.append(ctl.worker_deaths._status(4242)))
        asker.start()
        asker.join(0.5)
        assert asker.is_alive(), "gave up before the main connection was read: %s" % got
        main.serve()  # reads the bye, then EOF: the main agent is gone
        asker.join(10)
        assert got == [killed]
    finally:
        ours.close()
        ctl.close()


class ControllerUnderTest:
    """A live controller with an adapter client (`c`) and fake agents made by `agent()`, all closed at the end."""

    def __enter__(self):
        from debug_client import Client

        self.ctl = Controller("k", wait=False)
        self.ctl.start()
        try:
            self.c = Client(self.ctl.port, "k")
        except Exception:
            self.ctl.close()
            raise
        self.closing = [self.c, self.ctl]
        return self

    def agent(self, **kw):
        from debug_client import FakeAgent

        a = FakeAgent(self.ctl.port, "k", **kw)
        self.closing.insert(0, a)
        return a

    def __exit__(self, *exc):
        for x in self.closing:
            x.close()


def test_breakpoints_are_answered_once_every_agent_has_applied_them(monkeypatch):
    # "Verified" means in force in every process: the answer to setFunctionBreakpoints waits for each
    # agent's configAck (a worker whose reader lags must not run its next batch under the old set),
    # and an agent that cannot answer holds it only for the bound.
    from batchscope_runtime.debug.controller import adapter_peer

    with ControllerUnderTest() as u:
        ctl, c = u.ctl, u.c
        slow = u.agent(ack_delay=0.5)
        before = ctl.config_version
        t = time.monotonic()
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}])
        assert time.monotonic() - t >= 0.5, "answered before the agent applied the breakpoints"
        assert max(slow.acked) > before
        monkeypatch.setattr(adapter_peer, "APPLIED_WITHIN_S", 0.5)
        mute = u.agent(ack_delay=None, kind="worker", thread_id=101)
        t = time.monotonic()
        c.request("setFunctionBreakpoints", breakpoints=[])
        waited = time.monotonic() - t
        assert 0.5 <= waited < 5, waited
        # An agent that ends while it is waited for releases the wait at once, not at the bound.
        monkeypatch.setattr(adapter_peer, "APPLIED_WITHIN_S", 30)
        before = ctl.config_version
        t = time.monotonic()
        asker = threading.Thread(target=c.request, args=("setFunctionBreakpoints",), kwargs={"breakpoints": []})
        asker.start()
        time.sleep(1.0)
        assert asker.is_alive(), "answered while an agent had not applied the breakpoints"
        mute.close()
        asker.join(20)
        assert not asker.is_alive() and time.monotonic() - t < 10
        assert max(slow.acked) > before


def test_exited_comes_after_the_last_words_of_every_process():
    # The launcher reports the program's end when its main process is reaped; a worker's last batches
    # (sent with its bye) can still be unread on its own connection then. `exited` must wait for them:
    # recentBatches asked right after `exited` came back empty on a loaded machine.
    with ControllerUnderTest() as u:
        ctl, c = u.ctl, u.c
        worker = u.agent(kind="worker", thread_id=101)
        record = {"loader": "train", "epoch": 0, "batch": 2, "threadId": 101, "indices": [8, 9], "timings": {}}

        def last_words():
            time.sleep(0.5)  # still talking when the main process is reaped
            worker.send({"type": "state", "records": [record]})
            worker.send({"type": "bye", "error": None, "exitCode": 0})
            worker.close()

        threading.Thread(target=last_words, daemon=True).start()
        ctl.program_exited(1)  # what launch.py does once proc.wait() returns
        c.wait_event("exited", timeout=10)
        assert c.request("recentBatches")["batches"] == [record]


def test_a_hit_on_a_breakpoint_removed_since_is_let_go_without_a_stop():
    # A thread already at a stage may report a hit computed under the config it held before the
    # user's removal reached it. The controller holds the current set: such a stop is resumed at once
    # and never shown.
    with ControllerUnderTest() as u:
        c = u.c
        bp = c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}])["breakpoints"][0]["id"]
        c.request("configurationDone")
        agent = u.agent()
        assert agent.first["type"] == "config" and [b["id"] for b in agent.first["bps"]] == [bp]

        def stop(batch):
            body = {"reason": "function breakpoint", "threadId": 1, "stage": "fetch", "hitBreakpointIds": [bp]}
            body["batch"] = {"loaderId": 1, "epoch": 0, "index": batch}
            agent.send({"type": "stopped", "name": "main", "body": body})

        c.request("setFunctionBreakpoints", breakpoints=[])
        stop(1)  # checked against the config the agent held before the removal reached it
        assert agent.next("resume")["threadId"] == 1
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}])  # a new breakpoint, a new id
        stop(2)  # the old id again: still let go
        agent.next("resume")
        assert all(e["event"] != "stopped" for e in list(c.events.queue) if e)


def test_launcher_rejects_bad_usage():
    env = dict(os.environ, PYTHONPATH=str(RUNTIME))
    env.pop("BATCHSCOPE_SECRET", None)
    job = str(REPO / "test" / "fixtures" / "debug" / "loader_job.py")
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "debug", "--", job], env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "BATCHSCOPE_SECRET" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "debug", "--secret", "s"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 2 and "nothing to run" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "debug", "--secret", "s", "--", "/nonexistent/x.py"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "program not found: /nonexistent/x.py" in r.stderr and not r.stdout


def test_torch_1_13_fetch_path_per_index_getitem_stops_at_fetch_sample_collate(monkeypatch):
    # torch < 2.0 has no __getitems__: its fetcher does [dataset[i] for i in indices] then collate_fn.
    # Drive exactly that against a live controller, agent and adapter client in this process.
    ctl, a, c = live_session.start(monkeypatch)
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}, {"name": "collate"}])
        c.request("setExceptionBreakpoints", filters=["fetch_error"])
        c.request("configurationDone")
        live_session.wait_for_config(
            a, lambda cfg: {"fetch", "collate"} <= set(cfg.by_stage) and "fetch_error" in cfg.filters, "the breakpoints"
        )
        train_loader = DataLoader(RowDataset(16, raise_at=9), batch_size=4, collate_fn=PadCollate())
        lid = instrument_loader(train_loader)
        ds, collate = train_loader.dataset, train_loader.collate_fn
        assert isinstance(ds, MapDatasetProxy) and isinstance(collate, CollateProxy)
        out = {}

        def fetch(n, idx):
            tagged = tags.tag(tags.TaggedIndices, idx, (lid, "train_loader", 0, n, 4, 0))
            try:
                out[n] = collate([ds[i] for i in tagged])
            except Exception as e:
                out[n] = e

        t = threading.Thread(target=fetch, args=(1, [4, 5, 6, 7]))
        t.start()
        st = c.stopped(timeout=60)
        assert (st["stage"], st["batch"]["index"], st["threadId"]) == ("fetch", 1, 1)
        frames = c.request("stackTrace", threadId=1)["stackFrames"]
        assert frames[0]["source"]["path"].endswith("debug_data.py")  # the user's __getitem__
        c.request("stepIn", threadId=1)
        st = c.stopped(timeout=60)
        frames, v = c.top_scope_vars(1)
        assert st["stage"] == "sample" and v["index"]["value"] == "4"
        c.request("continue", threadId=1)
        st = c.stopped(timeout=60)
        assert st["stage"] == "collate"
        frames, v = c.top_scope_vars(1)
        assert v["samples"]["indexedVariables"] == 4
        c.request("continue", threadId=1)
        t.join(10)
        assert out[1]["idx"].tolist() == [4, 5, 6, 7]

        c.request("setFunctionBreakpoints", breakpoints=[])
        t = threading.Thread(target=fetch, args=(2, [8, 9, 10, 11]))
        t.start()
        st = c.stopped(timeout=60)
        assert st["text"] == "fetch_error" and st["batch"]["index"] == 2
        info = c.request("exceptionInfo", threadId=1)
        assert info["details"]["typeName"] == "ValueError" and "bad row 9" in info["details"]["message"]
        c.request("continue", threadId=1)
        t.join(10)
        assert isinstance(out[2], ValueError)  # the user's exception still reaches torch unchanged
    finally:
        live_session.end(ctl, c)


def test_ordered_hits_count_in_batch_order_whatever_the_arrival_order():
    from batchscope_runtime.debug.controller.ordered_hits import OrderedHits

    bp = breakpoints.Breakpoints()
    bp.set_function([{"name": "fetch", "hitCondition": "% 2"}])
    assert bp.for_agents()[0]["hit"] == "ordered"
    oh = bp.ordered
    # Batch 1 arrives first: it waits for batch 0, then both are counted in order.
    assert oh.report(1, (0, 0, 1), True, "b1") == []
    assert oh.waiting()
    assert oh.report(1, (0, 0, 0), True, "b0") == [("b0", False), ("b1", True)]
    assert not oh.waiting()
    # A condition-false batch (no reply) still takes its place in the order.
    assert oh.report(1, (0, 0, 3), True, "b3") == []
    assert oh.report(1, (0, 0, 2), False, None) == [("b3", False)]  # third hit
    # A batch that never comes: the gap is skipped, and a late one is counted on arrival.
    assert oh.report(1, (0, 0, 5), True, "b5") == []
    assert oh.skip_gaps() == [("b5", True)]  # fourth hit
    assert oh.report(1, (0, 0, 4), True, "b4") == [("b4", False)]
    assert isinstance(oh, OrderedHits)


def test_ordered_hits_of_a_resumed_epoch_start_at_its_first_batch():
    # accelerate's skip_first_batches resumes at batch 6: the key's 4th element says so, and the
    # first hit is counted at once instead of waiting GAP_S for batches 0-5 that never come.
    bp = breakpoints.Breakpoints()
    bp.set_function([{"name": "fetch", "hitCondition": "% 2"}])
    oh = bp.ordered
    assert oh.report(1, (0, 0, 7, 6), True, "b7") == []  # waits for batch 6, not for batch 0
    assert oh.report(1, (0, 0, 6, 6), True, "b6") == [("b6", False), ("b7", True)]
    assert not oh.waiting()


def test_ordered_hits_wait_for_a_worker_that_has_not_reported_yet():
    # The CI flake: worker 1 reports batch 1 while worker 0's agent is still connecting. The short gap
    # timer must not skip batch 0 then (it would stop batch 2 for `% 2`); only once every worker has
    # reported, or after the long fallback.
    bp = breakpoints.Breakpoints()
    bp.set_function([{"name": "fetch", "hitCondition": "% 2"}])
    oh = bp.ordered
    assert oh.report(1, (0, 0, 1), True, "b1", worker=1, workers=2) == []
    assert oh.skip_gaps(0.0, 3600.0) == []  # worker 0 has not reported: batch 0 may still come
    assert oh.report(1, (0, 0, 0), True, "b0", worker=0, workers=2) == [("b0", False), ("b1", True)]
    # Both workers have reported: a gap now is a lost batch, skipped by the short timer.
    assert oh.report(1, (0, 0, 3), True, "b3", worker=1, workers=2) == []
    assert oh.skip_gaps(0.0, 3600.0) == [("b3", False)]  # third hit
    # Another epoch, a worker that never reports (its share ended, or it died): the long fallback.
    assert oh.report(1, (0, 1, 1), True, "e1b1", worker=1, workers=2) == []
    assert oh.skip_gaps(0.0, 3600.0) == []
    assert oh.skip_gaps(0.0, 0.0) == [("e1b1", True)]  # fourth hit


def test_unbatched_index_tags_survive_pickling():
    t = tags.tag_single(7, (0, "loader0", 0, 7, 8))
    u = pickle.loads(pickle.dumps(t))
    assert u == 7 and type(u) is tags.TaggedIndex and u._bs == (0, "loader0", 0, 7, 8)
    assert tags.tag_single("key", (0, "x", 0, 0, None)) is None
    tags.pending_iter.clear()
    pickle.loads(pickle.dumps(tags.IterBatchTag((3, "stream", 1, 4, None))))
    assert tags.pending_iter.pop(3) == (3, "stream", 1, 4, None)
