"""A CUDA out-of-memory error points at the batch-size line of the config with a hint."""

import io
import json

import torch

from batchscope_runtime.train import _report
from batchscope_runtime.train.config import load_config
from batchscope_runtime.train.events import EventWriter

from conftest import FIXTURES


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
