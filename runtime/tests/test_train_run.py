"""End-to-end runs of `python -m batchscope_runtime train` on the tiny fixture model (real torch, CPU).

One 30-step run (module fixture) is shared by the loss, schema, log and resume tests."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, REPO, RUNTIME

CONFIG = FIXTURES / "train" / "train.yaml"
SCHEMA = json.loads((REPO / "protocol" / "train-events.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def train_cmd(config, *sets, extra=()):
    cmd = [sys.executable, "-m", "batchscope_runtime", "train", str(config)]
    for s in sets:
        cmd += ["--set", s]
    return cmd + list(extra)


def train_env(**extra):
    env = dict(os.environ, PYTHONPATH=str(RUNTIME), OMP_NUM_THREADS="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_train(config, *sets, env=None, timeout=120, extra=()):
    """Runs a training to the end; returns (events, returncode, stderr)."""
    r = subprocess.run(train_cmd(config, *sets, extra=extra), env=env or train_env(), capture_output=True,
                       text=True, timeout=timeout)
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return events, r.returncode, r.stderr


def assert_valid(events):
    for e in events:
        errors = [err.message for err in VALIDATOR.iter_errors(e)]
        assert not errors, (e.get("type"), errors)


def losses(events):
    return {e["step"]: e["loss"] for e in events if e["type"] == "step"}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    events, rc, stderr = run_train(CONFIG, "output_dir=%s" % out)
    assert rc == 0, stderr
    return out, events


def test_thirty_steps_lower_the_loss(full_run):
    out, events = full_run
    l = losses(full_run[1])
    assert sorted(l) == list(range(1, 31))
    first, last = sum(l[s] for s in range(1, 4)) / 3, sum(l[s] for s in range(28, 31)) / 3
    assert last < first - 1.0, (first, last)
    assert [e["type"] for e in events][0] == "started" and events[-1]["type"] == "finished"
    assert events[-1]["reason"] == "completed" and events[-1]["step"] == 30


def test_every_event_matches_the_shared_schema(full_run):
    _, events = full_run
    assert_valid(events)
    kinds = {e["type"] for e in events}
    assert {"started", "step", "checkpoint", "finished"} <= kinds
    step = next(e for e in events if e["type"] == "step")
    assert step["tokens_per_s"] > 0 and step["samples_per_s"] > 0 and step["step_ms"] > 0
    assert step["gpu_mem_allocated"] is None  # CPU run


def test_trainer_log_has_llamafactory_keys_and_checkpoints_are_complete(full_run):
    out, events = full_run
    lines = [json.loads(l) for l in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert [l["current_steps"] for l in lines] == list(range(1, 31))
    for key in ("current_steps", "total_steps", "loss", "lr", "epoch", "percentage", "elapsed_time", "remaining_time"):
        assert key in lines[0]
    assert lines[-1]["percentage"] == 100.0
    assert abs(lines[4]["loss"] - losses(events)[5]) < 1e-12
    for step in (10, 20, 30):
        cp = out / ("checkpoint-%d" % step)
        assert (cp / "model.safetensors").exists() and (cp / "optimizer.pt").exists()
        assert (cp / "scheduler.pt").exists() and (cp / "rng_state.pth").exists()
        assert json.loads((cp / "trainer_state.json").read_text())["global_step"] == step
    assert [e["path"] for e in events if e["type"] == "checkpoint"] == [str(out / ("checkpoint-%d" % s)) for s in (10, 20, 30)]
    assert (out / "model.safetensors").exists()  # the final model, as LLaMA-Factory leaves it


def test_resume_reproduces_the_following_losses(full_run, tmp_path):
    out, events = full_run
    import shutil

    shutil.copytree(out / "checkpoint-10", tmp_path / "checkpoint-10")
    resumed, rc, stderr = run_train(CONFIG, "output_dir=%s" % tmp_path, "resume_from_checkpoint=true")
    assert rc == 0, stderr
    started = resumed[0]
    assert started["start_step"] == 10 and started["resumed_from"] == str(tmp_path / "checkpoint-10")
    want, got = losses(events), losses(resumed)
    assert sorted(got) == list(range(11, 31))
    for step in got:
        assert abs(got[step] - want[step]) < 1e-5, (step, got[step], want[step])
    log = [json.loads(l)["current_steps"] for l in (tmp_path / "trainer_log.jsonl").read_text().splitlines()]
    assert log == list(range(11, 31))


def _wait_for(predicate, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def test_kill_during_a_save_leaves_the_previous_checkpoint_loadable(tmp_path):
    # Each save sleeps 0.5 s between files: the save at step 10 is killed while its files are half written.
    proc = subprocess.Popen(train_cmd(CONFIG, "output_dir=%s" % tmp_path, "save_steps=5", "max_steps=20"),
                            env=train_env(BATCHSCOPE_TEST_SAVE_DELAY=0.5), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        in_progress = lambda: (tmp_path / "checkpoint-5").exists() and any(tmp_path.glob(".checkpoint-10.tmp-*/model.safetensors"))
        assert _wait_for(in_progress, proc), "the save at step 10 never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (tmp_path / "checkpoint-10").exists()
    sys.path.insert(0, str(RUNTIME))
    from batchscope_runtime.train import checkpoint as ckpt
    from transformers import AutoModelForCausalLM

    assert ckpt.latest_checkpoint(tmp_path) == tmp_path / "checkpoint-5"
    AutoModelForCausalLM.from_pretrained(str(tmp_path / "checkpoint-5"))
    assert ckpt.torch_load(tmp_path / "checkpoint-5" / "optimizer.pt")["state"]
    # and a resume picks it up and cleans the half-written folder away
    # (this run also writes its events to a file with --events: stdout then carries none)
    channel = tmp_path / "events.jsonl"
    on_stdout, rc, stderr = run_train(CONFIG, "output_dir=%s" % tmp_path, "resume_from_checkpoint=true",
                                      "max_steps=6", "save_steps=0", extra=("--events", str(channel)))
    assert rc == 0, stderr
    assert on_stdout == []
    events = [json.loads(l) for l in channel.read_text().splitlines()]
    assert_valid(events)
    assert events[0]["start_step"] == 5 and events[-1]["step"] == 6
    assert not list(tmp_path.glob(".checkpoint-*"))


def _start_long_run(tmp_path, extra=()):
    return subprocess.Popen(train_cmd(CONFIG, "output_dir=%s" % tmp_path, "max_steps=100000", "save_steps=0",
                                      "num_train_epochs=1000", extra=extra),
                            env=train_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1)


def _read_until_step(proc):
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["type"] == "step":
            return seen
    raise AssertionError("no step event; stderr: %s" % proc.stderr.read())


@pytest.mark.parametrize("how", ["stdin", "sigint", "stop-file"])
def test_a_stop_request_saves_a_checkpoint_and_exits_cleanly(tmp_path, how):
    stop_file = tmp_path / "stop"
    proc = _start_long_run(tmp_path / "out", extra=("--stop-file", str(stop_file)) if how == "stop-file" else ())
    try:
        seen = _read_until_step(proc)
        if how == "stdin":
            proc.stdin.write('{"type":"stop"}\n')
            proc.stdin.flush()
        elif how == "sigint":
            proc.send_signal(signal.SIGINT)
        else:
            stop_file.write_text("stop\n")
        rest, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    events = seen + [json.loads(l) for l in rest.splitlines() if l.strip()]
    assert_valid(events)
    cp = [e for e in events if e["type"] == "checkpoint"]
    fin = events[-1]
    assert fin["type"] == "finished" and fin["reason"] == "stopped"
    assert len(cp) == 1 and cp[0]["reason"] == "stop" and cp[0]["step"] == fin["step"]
    assert (Path(cp[0]["path"]) / "trainer_state.json").exists()
