"""Checkpoints as `output_dir/checkpoint-<step>/`: safetensors weights (save_pretrained), the
tokenizer, optimizer/scheduler/RNG state and trainer_state.json.

A checkpoint is written into a hidden temporary folder beside it and renamed into place, and
trainer_state.json is written last, so a kill at any moment leaves every earlier checkpoint intact
and never leaves a half-written `checkpoint-<step>` behind. BATCHSCOPE_TEST_SAVE_DELAY (seconds)
sleeps between files so tests can kill a save deterministically.
"""
import inspect
import json
import os
import random
import re
import shutil
import time
from pathlib import Path

import torch

STATE_FILE = "trainer_state.json"
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def _pause():
    delay = float(os.environ.get("BATCHSCOPE_TEST_SAVE_DELAY", "0") or 0)
    if delay:
        time.sleep(delay)


def _fsync_dir(path):
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:  # Windows cannot open folders; rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path):
    for p in Path(path).rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(path)


def rng_state():
    """RNG state in plain types + tensors, so torch.load(weights_only=True) can read it back."""
    import numpy as np

    np_state = np.random.get_state()
    state = {
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
        "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "cpu": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    import numpy as np

    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n[0], np.array(n[1], dtype=np.uint32), n[2], n[3], n[4]))
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def torch_load(path):
    """weights_only=True where supported (torch >= 2.0) so loading never runs pickled code."""
    # torch 1.13 has weights_only, but its unpickler rejects floats (opcode BINFLOAT: "Unsupported
    # operand 71"), and every optimizer/scheduler state_dict holds floats (lr, betas): there, load
    # our own checkpoint files the old way.
    if int(torch.__version__.split(".")[0]) < 2:
        return torch.load(str(path), map_location="cpu")
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except TypeError:  # pragma: no cover - torch < 1.13
        return torch.load(str(path), map_location="cpu")


def save_pretrained_kwargs(model):
    # transformers 4.x takes safe_serialization (default True since 4.35); 5.x always writes safetensors.
    params = inspect.signature(model.save_pretrained).parameters
    return {"safe_serialization": True} if "safe_serialization" in params else {}


def save_checkpoint(output_dir, step, model, tokenizer, optimizer, scheduler, trainer_state):
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / ("checkpoint-%d" % step)
    tmp = output_dir / (".checkpoint-%d.tmp-%d" % (step, os.getpid()))
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save_pretrained(str(tmp), **save_pretrained_kwargs(model))
    _pause()
    if tokenizer is not None:
        tokenizer.save_pretrained(str(tmp))
    _pause()
    torch.save(optimizer.state_dict(), str(tmp / "optimizer.pt"))
    _pause()
    torch.save(scheduler.state_dict(), str(tmp / "scheduler.pt"))
    torch.save(rng_state(), str(tmp / "rng_state.pth"))
    _pause()
    (tmp / STATE_FILE).write_text(json.dumps(trainer_state, indent=2))
    _fsync_tree(tmp)
    if final.exists():  # re-saving the same step (a resumed run stopped at once): swap atomically
        old = output_dir / (".checkpoint-%d.old-%d" % (step, os.getpid()))
        os.rename(str(final), str(old))
        os.rename(str(tmp), str(final))
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(str(tmp), str(final))
    _fsync_dir(output_dir)
    return final


def list_checkpoints(output_dir):
    """Complete checkpoints (trainer_state.json present), oldest first, as (step, path)."""
    out = []
    d = Path(output_dir)
    if not d.is_dir():
        return out
    for p in d.iterdir():
        m = CHECKPOINT_RE.match(p.name)
        if m and p.is_dir() and (p / STATE_FILE).exists():
            out.append((int(m.group(1)), p))
    return sorted(out)


def latest_checkpoint(output_dir):
    cps = list_checkpoints(output_dir)
    return cps[-1][1] if cps else None


def remove_stale_temporaries(output_dir):
    """Half-written saves from a killed run (never renamed into place)."""
    d = Path(output_dir)
    if d.is_dir():
        for p in d.iterdir():
            if p.name.startswith(".checkpoint-") and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)


def rotate(output_dir, limit, keep):
    """save_total_limit: delete the oldest checkpoints, never `keep` (the one just written)."""
    if not limit:
        return
    cps = [p for _, p in list_checkpoints(output_dir) if p != keep]
    for p in cps[: max(len(cps) - (limit - 1), 0)]:
        shutil.rmtree(p, ignore_errors=True)


def load_trainer_state(path):
    f = Path(path) / STATE_FILE
    if not f.exists():
        raise FileNotFoundError("%s is not a complete checkpoint (no %s)" % (path, STATE_FILE))
    return json.loads(f.read_text())
