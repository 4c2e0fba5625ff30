"""The loop in-process: the debug stage hooks see every to-device copy and optimizer step, and a
CUDA out-of-memory error points at the batch-size line of the config with a hint."""
import contextlib
import io
import json

import torch

from batchscope_runtime.debug import hooks
from batchscope_runtime.train import _report
from batchscope_runtime.train.config import load_config
from batchscope_runtime.train.distributed import Context
from batchscope_runtime.train.events import EventWriter
from batchscope_runtime.train.loop import Trainer
from batchscope_runtime.train.stop import StopRequest
from conftest import FIXTURES


class Recorder:
    def __init__(self):
        self.calls = []

    def stage(self, name, **info):
        self.calls.append((name, info))
        return contextlib.nullcontext()


def test_stage_hooks_wrap_to_device_and_train_step(tmp_path, monkeypatch):
    cfg = load_config(FIXTURES / "train" / "train.yaml", ["output_dir=%s" % tmp_path, "max_steps=3",
                                                           "gradient_accumulation_steps=2", "save_steps=0"])
    rec = Recorder()
    monkeypatch.setattr(hooks, "_active", rec)
    stream = io.StringIO()
    trainer = Trainer(cfg, EventWriter(stream), StopRequest(), Context())
    trainer.prepare()
    assert trainer.run() == 0
    names = [n for n, _ in rec.calls]
    assert names == ["to_device", "to_device", "train_step"] * 3
    to_device = [i for n, i in rec.calls if n == "to_device"]
    assert [i["batch_index"] for i in to_device] == [0, 1, 2, 3, 4, 5]
    assert set(to_device[0]["batch"]) == {"input_ids", "attention_mask", "labels"}
    steps = [i for n, i in rec.calls if n == "train_step"]
    assert [s["batch_index"] for s in steps] == [1, 3, 5] and torch.is_tensor(steps[0]["loss"])
    events = [json.loads(l) for l in stream.getvalue().splitlines()]
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3]


def test_cuda_oom_points_at_the_batch_size_line(tmp_path):
    cfg = load_config(FIXTURES / "train" / "train.yaml", ["output_dir=%s" % tmp_path])
    stream = io.StringIO()
    oom = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    try:
        raise oom
    except torch.cuda.OutOfMemoryError as e:
        code = _report(EventWriter(stream), e, cfg, step=7)
    assert code == 1
    (event,) = [json.loads(l) for l in stream.getvalue().splitlines()]
    assert event["error_type"] == "OutOfMemoryError" and event["step"] == 7
    assert event["location"]["key"] == "per_device_train_batch_size"
    assert event["location"]["line"] == cfg.where["per_device_train_batch_size"][0]
    assert "per_device_train_batch_size (now 4)" in event["hint"] and "cutoff_len (now 128)" in event["hint"]
    # torch 1.13 raised a RuntimeError with the same text
    from batchscope_runtime.train.errors import is_cuda_oom

    assert is_cuda_oom(RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"))
    assert not is_cuda_oom(RuntimeError("shape mismatch"))
