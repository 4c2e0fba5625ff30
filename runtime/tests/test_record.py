"""The batch recorder (batchscope_runtime/record): what a real Trainer's training_step received, read
back from the recording with pyarrow; bounds by count and size; workers; the YAML key and its errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pyarrow as pa
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from conftest import FIXTURES, REPO, RUNTIME

sys.path.insert(0, str(Path(__file__).parent / "record_programs"))
import trainer_capture  # noqa: E402

import batchscope_runtime.record as record  # noqa: E402
from batchscope_runtime.record.options import RecordOptionError, parse  # noqa: E402

SCHEMA = json.loads((REPO / "protocol" / "train-events.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
PROGRAM = Path(__file__).parent / "record_programs" / "trainer_capture.py"


def read(path):
    with pa.OSFile(str(path), "rb") as f:
        return pa.ipc.open_stream(f).read_all()


def by_batch(table):
    """{(epoch, batch): {column: [row values]}} in file order."""
    d = table.to_pydict()
    out = {}
    for i in range(table.num_rows):
        rows = out.setdefault((d["epoch"][i], d["batch"][i]), {k: [] for k in d})
        for k in d:
            rows[k].append(d[k][i])
    return out


def env(**extra):
    e = dict(os.environ, PYTHONPATH=str(RUNTIME), OMP_NUM_THREADS="1")
    e.update(extra)
    return e


# ---- a real Trainer run, 2 workers, through `batchscope_runtime train script.py`


@pytest.fixture(scope="module")
def trainer_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trainer")
    rec, seen = tmp / "rec.arrow", tmp / "seen.pt"
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "train", str(PROGRAM), str(seen), "2", "24"],
        env=env(BATCHSCOPE_RECORD=json.dumps({"batches": 20, "path": str(rec)})),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=str(tmp),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {"table": read(rec), "seen": torch.load(str(seen)), "events": events, "path": rec, "stderr": r.stderr}


def test_twenty_trainer_batches_read_back_equal_to_what_training_step_received(trainer_run):
    seen, batches = trainer_run["seen"], by_batch(trainer_run["table"])
    assert len(seen) == 24 and len(batches) == 20
    for k, ((epoch, index), rows) in enumerate(batches.items()):
        assert (epoch, index) == (k // 10, k % 10)  # 40 samples / 4 per batch: 10 batches an epoch
        for name in ("input_ids", "labels", "attention_mask"):
            assert rows[name] == seen[k][name].tolist(), (k, name)
        assert rows["row"] == [0, 1, 2, 3]
        assert set(rows["loader"]) == {"loader0"}


def test_each_row_names_its_sample_and_worker(trainer_run):
    ds = trainer_capture.Tokens()
    d = trainer_run["table"].to_pydict()
    for i in range(trainer_run["table"].num_rows):
        sample = ds[d["sample_index"][i]]
        n = len(sample["input_ids"])
        assert d["input_ids"][i][:n] == sample["input_ids"]
        assert d["labels"][i][:n] == sample["labels"]
        # padding as the model saw it: pad id, label -100, attention_mask 0
        assert d["attention_mask"][i] == [1] * n + [0] * (len(d["input_ids"][i]) - n)
        assert set(d["input_ids"][i][n:]) <= {trainer_capture.PAD}
        assert set(d["labels"][i][n:]) <= {-100}
    # two workers take the batches in turns (torch hands tasks out round-robin)
    workers = [w for i, w in enumerate(d["worker"]) if i % 4 == 0]
    assert workers == [k % 2 for k in range(20)]


def test_progress_events_follow_the_schema_and_end_with_the_file(trainer_run):
    recs = [e for e in trainer_run["events"] if e["type"] == "record"]
    assert recs, trainer_run["events"][:3]
    for e in recs:
        assert not list(VALIDATOR.iter_errors(e)), e
    last = recs[-1]
    assert last["done"] and last["reason"] == "batches" and last["batches"] == 20 and last["rows"] == 80
    assert last["bytes"] == os.path.getsize(trainer_run["path"])
    assert sum(1 for e in recs if e["done"]) == 1
    assert "recording the next 20 batches" in trainer_run["stderr"]


# ---- in-process loaders


class Numbered(Dataset):
    """Item i is i repeated (1 + i % 5) times, so every row says which sample it is."""

    def __len__(self):
        return 64

    def __getitem__(self, i):
        return {
            "input_ids": torch.full((1 + i % 5,), i, dtype=torch.long),
            "score": torch.tensor(i / 2.0, dtype=torch.bfloat16),
        }


def pad(items):
    width = max(len(x["input_ids"]) for x in items)
    ids = torch.full((len(items), width), -1, dtype=torch.long)
    for r, x in enumerate(items):
        ids[r, : len(x["input_ids"])] = x["input_ids"]
    return {"input_ids": ids, "score": torch.stack([x["score"] for x in items]), "step": 7}


def run_loader(loader, epochs=1):
    got = []
    for _ in range(epochs):
        for b in loader:
            got.append(b)
    return got


@pytest.mark.parametrize("workers", [0, 2])
def test_bounded_by_batch_count(tmp_path, workers):
    r = record.start(batches=5, path=str(tmp_path / "r.arrow"))
    got = run_loader(DataLoader(Numbered(), batch_size=4, shuffle=True, num_workers=workers, collate_fn=pad))
    assert r.wait(30)
    p = r.progress()
    assert (p["batches"], p["reason"], p["done"]) == (5, "batches", True)
    batches = by_batch(read(tmp_path / "r.arrow"))
    assert len(batches) == 5
    for k, rows in enumerate(batches.values()):
        assert rows["input_ids"] == got[k]["input_ids"].tolist()
        assert rows["score"] == got[k]["score"].float().tolist()  # bf16 recorded as float32
        assert rows["step"] == [7] * 4  # a plain number: repeated on every row
        assert rows["sample_index"] == [ids[0] for ids in rows["input_ids"]]
        assert rows["worker"] == [None if workers == 0 else k % 2] * 4


def test_bounded_by_size_cap(tmp_path):
    cap_mb = 0.01
    r = record.start(batches=1000, max_mb=cap_mb, path=str(tmp_path / "r.arrow"))
    got = run_loader(DataLoader(Numbered(), batch_size=4, collate_fn=pad), epochs=3)
    assert r.wait(30)
    p = r.progress()
    size = os.path.getsize(tmp_path / "r.arrow")
    assert p["reason"] == "size" and 0 < p["batches"] < len(got)
    assert size <= cap_mb * 1024 * 1024 and size == p["bytes"]
    batches = list(by_batch(read(tmp_path / "r.arrow")).values())
    assert len(batches) == p["batches"]
    assert [b["input_ids"] for b in batches] == [g["input_ids"].tolist() for g in got[: len(batches)]]


def test_a_batch_over_the_cap_is_not_written_and_says_so(tmp_path):
    r = record.start(batches=3, max_mb=0.0001, path=str(tmp_path / "r.arrow"))
    run_loader(DataLoader(Numbered(), batch_size=16, collate_fn=pad))
    assert r.wait(30)
    p = r.progress()
    assert p["batches"] == 0 and p["reason"] == "size" and "more than the size cap" in p["error"]


def test_epochs_loaders_and_one_sample_batches(tmp_path):
    r = record.start(batches=10, path=str(tmp_path / "r.arrow"))
    train = DataLoader(Numbered(), batch_size=None, sampler=[3, 9, 4])  # batch_size=None: one sample a batch
    run_loader(train, epochs=2)
    run_loader(DataLoader(Numbered(), batch_size=8, collate_fn=pad))
    assert r.wait(30)
    d = read(tmp_path / "r.arrow").to_pydict()
    assert d["sample_index"][:6] == [3, 9, 4, 3, 9, 4]
    assert d["epoch"][:6] == [0, 0, 0, 1, 1, 1] and d["batch"][:6] == [0, 1, 2, 0, 1, 2]
    assert d["input_ids"][:2] == [[3] * 4, [9] * 5]
    assert len(set(d["loader"][:6])) == 1 and d["loader"][6] != d["loader"][0]
    assert d["input_ids"][6] == [0] + [-1] * 4  # the second loader's first row, padded by its collate


def test_tuple_batches_name_their_fields_by_position(tmp_path):
    r = record.start(batches=2, path=str(tmp_path / "r.arrow"))
    xs = torch.arange(24, dtype=torch.float32).reshape(12, 2)
    run_loader(DataLoader(list(zip(xs, torch.arange(12))), batch_size=6))
    assert r.wait(30)
    d = read(tmp_path / "r.arrow").to_pydict()
    assert d["0"][:2] == [[0.0, 1.0], [2.0, 3.0]] and d["1"][:6] == list(range(6))


class Stream(torch.utils.data.IterableDataset):
    """Each worker streams its own shard: worker w yields 100*w + k."""

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        w = info.id if info else 0
        for k in range(12):
            yield {"input_ids": torch.tensor([100 * w + k] * 3)}


def test_iterable_dataset_with_workers_records_rows_without_sample_indices(tmp_path):
    r = record.start(batches=4, path=str(tmp_path / "r.arrow"))
    got = run_loader(DataLoader(Stream(), batch_size=4, num_workers=2))
    assert r.wait(30)
    batches = list(by_batch(read(tmp_path / "r.arrow")).values())
    assert [b["input_ids"] for b in batches] == [g["input_ids"].tolist() for g in got[:4]]
    assert all(set(b["sample_index"]) == {None} for b in batches)  # a stream has no sample indices
    assert [b["worker"][0] for b in batches] == [0, 1, 0, 1]


def test_batch_encoding_is_recorded_as_the_dict_it_is(tmp_path):
    from transformers import BatchEncoding

    def collate(items):
        ids = torch.tensor([[i, i + 1] for i in items])
        return BatchEncoding({"input_ids": ids, "attention_mask": torch.ones_like(ids)})

    r = record.start(batches=1, path=str(tmp_path / "r.arrow"))
    run_loader(DataLoader(list(range(6)), batch_size=3, collate_fn=collate))
    assert r.wait(30)
    d = read(tmp_path / "r.arrow").to_pydict()
    assert d["input_ids"] == [[0, 1], [1, 2], [2, 3]] and d["attention_mask"] == [[1, 1]] * 3


def test_batches_queued_faster_than_written_go_out_grouped_and_unchanged(tmp_path):
    # offer() straight from this thread, 200 batches with varying widths and dtypes, a few with an
    # extra field: the writer groups what queued up (one record batch per group) and falls back to
    # one by one where layouts differ; the rows are the same either way.
    r = record.start(batches=200, path=str(tmp_path / "r.arrow"))
    sent = []
    for k in range(200):
        ids = torch.arange(4 * (3 + k % 5)).reshape(4, -1) + k
        b = {"input_ids": ids, "labels": ids * -1, "weight": torch.full((4,), k / 4.0)}
        if k % 37 == 5:
            b["extra"] = torch.ones(4, 2)
        sent.append(b)
        r.offer(b, (k, 0, k % 3, "loader0", list(range(4 * k, 4 * k + 4))))
    assert r.wait(60)
    t = read(tmp_path / "r.arrow")
    assert t.num_rows == 800 and t.to_batches()[0].num_rows == 4  # the first batch fixes the schema alone
    batches = list(by_batch(t).values())
    for k, rows in enumerate(batches):
        assert rows["input_ids"] == sent[k]["input_ids"].tolist() and rows["labels"] == sent[k]["labels"].tolist()
        assert rows["weight"] == sent[k]["weight"].tolist() and rows["worker"] == [k % 3] * 4
        assert rows["sample_index"] == list(range(4 * k, 4 * k + 4)) and rows["batch"] == [k] * 4
    assert r.progress()["dropped_columns"] == ["extra"]  # not in the first batch: named, not written


def test_a_group_is_the_same_rows_as_its_batches_one_by_one():
    from batchscope_runtime.record.columns import group_record_batch, snapshot, to_record_batch

    items = []
    for k in range(5):
        ids = torch.arange(3 * (2 + k)).reshape(3, -1)
        items.append(
            (
                snapshot({"input_ids": ids, "w": ids[:, 0].float()}),
                (k, 1, None if k == 2 else k, "l", [k, k + 1, k + 2]),
            )
        )
    grouped = group_record_batch(pa, items)
    one_by_one = pa.Table.from_batches([to_record_batch(pa, it)[0] for it in items])
    assert grouped is not None and pa.Table.from_batches([grouped]).equals(one_by_one)
    mixed = items[:2] + [(snapshot({"input_ids": torch.zeros(3, 2, dtype=torch.long)}), (9, 1, 0, "l", None))]
    assert group_record_batch(pa, mixed) is None  # different fields: written one by one instead


def test_every_dtype_reads_back_as_the_loop_saw_it_alone_and_grouped():
    # The columns are built from the tensors' own memory (no pa.array): bool bits, small ints, half
    # floats (as float32), a big-endian numpy field, nulls for an unknown worker or sample index, and
    # the same values whether a batch is written alone or in a group.
    from batchscope_runtime.record.columns import group_record_batch, snapshot, to_record_batch

    def batch(k):
        ids = torch.arange(6 * (2 + k)).reshape(3, -1) + k
        return {
            "input_ids": ids,
            "mask": ids % 3 == 0,
            "u8": (ids % 256).to(torch.uint8),
            "half": ids[:, 0].to(torch.float16) / 4,
            "be": np.arange(3 * 2, dtype=">i4").reshape(3, 2) + k,
        }

    items = [
        (snapshot(batch(k)), (k, 0, None if k % 2 else k, "l%d" % k, None if k == 1 else [k, k + 1, k + 2]))
        for k in range(4)
    ]
    for k, item in enumerate(items):
        rb, skipped = to_record_batch(pa, item)
        rb.validate(full=True)
        got, b = rb.to_pydict(), batch(k)
        assert skipped == [] and got["input_ids"] == b["input_ids"].tolist() and got["mask"] == b["mask"].tolist()
        assert got["u8"] == b["u8"].tolist() and got["half"] == b["half"].float().tolist()
        assert got["be"] == b["be"].tolist() and rb.schema.field("be").type == pa.list_(pa.int32())
        assert got["worker"] == [None if k % 2 else k] * 3 and got["loader"] == ["l%d" % k] * 3
        assert got["sample_index"] == ([None] * 3 if k == 1 else [k, k + 1, k + 2])
    grouped = group_record_batch(pa, [(s[:4], m) for s, m in items])  # the numpy field is not a tensor: no group
    alone = pa.Table.from_batches([to_record_batch(pa, (s[:4], m))[0] for s, m in items])
    assert grouped is not None and pa.Table.from_batches([grouped]).equals(alone)
    assert group_record_batch(pa, items) is None


def test_stop_writes_what_is_queued(tmp_path):
    r = record.start(batches=100, path=str(tmp_path / "r.arrow"))
    it = iter(DataLoader(Numbered(), batch_size=4, collate_fn=pad))
    for _ in range(3):
        next(it)
    p = record.stop()
    assert (p["batches"], p["done"], p["reason"]) == (3, True, "stopped") and r.done
    assert read(tmp_path / "r.arrow").num_rows == 12


@pytest.mark.parametrize(
    "value, message",
    [
        ({"batchs": 5}, "unknown setting 'batchs'"),
        ({"batches": 0, "max_mb": 1}, "'batches' must be a whole number"),
        ({"max_mb": -1}, "'max_mb' must be a positive"),
        ("twenty", "expected a number of batches or a mapping"),
    ],
)
def test_bad_settings_are_named(value, message):
    with pytest.raises(RecordOptionError, match=message):
        parse(value)


def test_settings_forms(tmp_path):
    assert parse(None) is None and parse(False) is None
    o = parse(20, str(tmp_path))
    assert o.batches == 20 and o.path.startswith(str(tmp_path)) and o.path.endswith(".arrow")
    o = parse({"batches": 3, "maxMB": 2, "path": "x.arrow"})
    assert (o.batches, o.max_bytes, o.path) == (3, 2 * 1024 * 1024, os.path.abspath("x.arrow"))


def test_without_pyarrow_the_error_says_how_to_install_it(tmp_path):
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import batchscope_runtime.record as r\n"
        "try:\n    r.start(batches=1, path=%r)\nexcept r.RecordError as e:\n    print(e)\n" % str(tmp_path / "x.arrow")
    )
    out = subprocess.run([sys.executable, "-c", code], env=env(), capture_output=True, text=True, timeout=120)
    assert "python -m pip install pyarrow" in out.stdout, out.stderr


# ---- the training YAML's `record` key


def test_a_bad_batchscope_record_fails_the_run_with_a_config_error(tmp_path):
    script = tmp_path / "loop.py"
    script.write_text("print('never runs')\n")
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "train", str(script)],
        env=env(BATCHSCOPE_RECORD='{"batches": "all"}'),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(tmp_path),
    )
    assert r.returncode == 2 and "never runs" not in r.stdout, r.stderr[-2000:]
    err = [json.loads(x) for x in r.stdout.splitlines() if x.strip() and json.loads(x)["type"] == "error"][0]
    assert err["message"].startswith("BATCHSCOPE_RECORD: 'batches' must be a whole number")


def test_yaml_record_key_with_a_typo_is_an_error_on_its_line(tmp_path):
    cfg = tmp_path / "train.yaml"
    text = (FIXTURES / "train" / "train.yaml").read_text()
    text = text.replace("../model", str(FIXTURES / "model")).replace(
        "dataset_dir: .", "dataset_dir: %s" % (FIXTURES / "train")
    )
    cfg.write_text(text + "record:\n  batchs: 5\n")
    line = text.count("\n") + 2  # the line of the mapping under `record:`, where `batchs` is
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "train", str(cfg)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(tmp_path),
    )
    assert r.returncode == 2, r.stderr[-2000:]
    err = [json.loads(x) for x in r.stdout.splitlines() if x.strip() and json.loads(x)["type"] == "error"][0]
    assert "unknown setting 'batchs'" in err["message"] and err["location"]["line"] == line


def test_yaml_record_key_records_the_transformers_engine_batches(tmp_path):
    cfg = tmp_path / "train.yaml"
    text = (FIXTURES / "train" / "train.yaml").read_text()
    text = text.replace("../model", str(FIXTURES / "model")).replace(
        "dataset_dir: .", "dataset_dir: %s" % (FIXTURES / "train")
    )
    text = text.replace("max_steps: 30", "max_steps: 4").replace("output_dir: ../out/train", "output_dir: out")
    cfg.write_text(text + "record: {batches: 3, max_mb: 8}\nsave_strategy: 'no'\n")
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "train", str(cfg)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=str(tmp_path),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    events = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    last = [e for e in events if e["type"] == "record"][-1]
    assert last["done"] and last["batches"] == 3 and last["limit_bytes"] == 8 * 1024 * 1024
    path = Path(last["path"])
    assert path.parent == tmp_path / "out" and path.suffix == ".arrow"  # default: in output_dir
    t = read(path)
    assert {"input_ids", "labels", "attention_mask", "sample_index"} <= set(t.schema.names)
    d = t.to_pydict()
    for ids, mask in zip(d["input_ids"], d["attention_mask"]):
        assert len(ids) == len(mask) and np.all(np.diff(mask) <= 0)  # right padding: ones, then zeros


# ---- the end of the program waits for the writer thread


# A program recording 3 batches of a 6-row loader: `%(setup)s` patches the writer first, `%(ending)s` ends it.
RECORDING_PROGRAM = """
import sys, time, torch
from torch.utils.data import DataLoader
import batchscope_runtime.record as record
from batchscope_runtime.record import writer
%(setup)s
rows = [{"input_ids": [1, 2, 3], "labels": [1, 2, -100]}] * 6
def collate(b):
    return {"input_ids": torch.tensor([x["input_ids"] for x in b]), "labels": torch.tensor([x["labels"] for x in b])}
record.start(batches=3, path=sys.argv[1])
for b in DataLoader(rows, batch_size=2, collate_fn=collate):
    pass
%(ending)s
"""

SLOW_WRITER = """

# A writer slower than the old 5 s bound of stop(): each write sleeps, then converts a torch tensor
# (an op that releases the GIL inside C++), as a loaded machine makes the real writer slow.
_write = writer.Recorder._write
def slow(self, item):
    time.sleep(2.5)
    torch.ones(64).clone()
    return _write(self, item)
writer.Recorder._write = slow
writer.Recorder._write_group = lambda self, group: all(slow(self, it) for it in group)
"""


def test_exit_without_stop_waits_for_a_slow_writer_and_loses_nothing(tmp_path):
    """A program that never calls stop(): the exit hook joins the writer thread itself, so the program
    exits 0 and every queued batch is in the file, however slow the writer."""
    out = tmp_path / "slow.arrow"
    ending = "# no stop(): the atexit hook ends the recording"
    r = subprocess.run(
        [sys.executable, "-c", RECORDING_PROGRAM % {"setup": SLOW_WRITER, "ending": ending}, str(out)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    t = read(out)
    assert sorted(set(t.column("batch").to_pylist())) == [0, 1, 2]
    assert t.num_rows == 6


LATE_TORCH_WORK = """
# Work the writer thread still does after its recording is marked done (its last progress report),
# inside one torch call that releases the GIL: the shape of the window in which the program ended.
_progress = writer.Recorder._progress
def late(self, done):
    _progress(self, done)
    if done:
        a = torch.ones(2500, 2500)
        torch.mm(a, a)
writer.Recorder._progress = late
"""


def test_exit_after_stop_waits_for_the_writer_thread_to_end(tmp_path):
    """Before, stop() returned once the recording was marked done while the writer thread still ran: a
    program ending right then had that daemon thread ended inside torch's C++ during finalisation, and
    died by SIGABRT ("terminate called without an active exception")."""
    out = tmp_path / "late.arrow"
    r = subprocess.run(
        [sys.executable, "-c", RECORDING_PROGRAM % {"setup": LATE_TORCH_WORK, "ending": "record.stop()"}, str(out)],
        env=env(OMP_NUM_THREADS="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert read(out).num_rows == 6
