"""End-to-end runs of `python -m batchscope_runtime train` on the tiny fixture model (real torch, transformers,
peft, tensorboard; CPU), from the config's folder (relative paths resolve against the working directory).

One 12-step LoRA run (module fixture) is shared by the loss, schema, adapter, log and TensorBoard tests."""

import json
import os
import signal
import subprocess
import sys
import time  # noqa: F401
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


def run_train(config, *sets, env=None, timeout=600, extra=()):
    """Runs a training to the end; returns (events, returncode, stderr)."""
    r = subprocess.run(
        train_cmd(config, *sets, extra=extra),
        env=env or train_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(Path(config).parent),
    )
    events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return events, r.returncode, r.stderr


def assert_valid(events):
    for e in events:
        errors = [err.message for err in VALIDATOR.iter_errors(e)]
        assert not errors, (e.get("type"), errors)


def losses(events):
    return {e["step"]: e["loss"] for e in events if e["type"] == "step"}


LORA = (
    "finetuning_type=lora",
    "lora_target=all",
    "lora_rank=8",
    "max_steps=12",
    "save_steps=6",
    "learning_rate=1.0e-2",
    "report_to=tensorboard",
)


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("lora")
    events, rc, stderr = run_train(CONFIG, "output_dir=%s" % out, *LORA)
    assert rc == 0, stderr
    return out, events


def test_the_first_event_names_the_engine_and_why(lora_run):
    _, events = lora_run
    assert events[0]["type"] == "launch" and events[0]["engine"] == "transformers"
    assert "default" in events[0]["reason"] and events[0]["world_size"] == 1
    started = next(e for e in events if e["type"] == "started")
    assert started["engine"] == "transformers" and started["finetuning_type"] == "lora"
    assert 0 < started["trainable_params"] < started["total_params"]


def test_lora_lowers_the_loss_and_every_event_matches_the_schema(lora_run):
    _, events = lora_run
    assert_valid(events)
    l = losses(events)
    assert sorted(l) == list(range(1, 13))
    assert sum(l[s] for s in (10, 11, 12)) / 3 < sum(l[s] for s in (1, 2, 3)) / 3 - 0.05, l
    assert events[-1]["type"] == "finished" and events[-1]["reason"] == "completed" and events[-1]["step"] == 12
    step = next(e for e in events if e["type"] == "step")
    assert step["tokens_per_s"] > 0 and step["samples_per_s"] > 0 and step["step_ms"] > 0
    assert step["gpu_mem_allocated"] is None  # CPU run


def test_the_adapter_loads_in_peft(lora_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out, events = lora_run
    for folder in (out, out / "checkpoint-12"):
        assert (folder / "adapter_model.safetensors").exists() and (folder / "adapter_config.json").exists()
    base = AutoModelForCausalLM.from_pretrained(str(FIXTURES / "model"))
    model = PeftModel.from_pretrained(base, str(out))
    trained = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert trained and any(float(p.abs().sum()) > 0 for p in trained)  # B starts at zero: it was trained
    assert [e["path"] for e in events if e["type"] == "checkpoint"] == [
        str(out / "checkpoint-6"),
        str(out / "checkpoint-12"),
    ]


def test_trainer_log_and_tensorboard_files_are_written(lora_run):
    out, events = lora_run
    lines = [json.loads(l) for l in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert [l["current_steps"] for l in lines] == list(range(1, 13))
    for key in ("current_steps", "total_steps", "loss", "lr", "epoch", "percentage", "elapsed_time", "remaining_time"):
        assert key in lines[0]
    assert abs(lines[4]["loss"] - losses(events)[5]) < 1e-12
    assert list(out.rglob("events.out.tfevents.*")), "report_to: tensorboard wrote no event file"
    state = json.loads((out / "checkpoint-12" / "trainer_state.json").read_text())
    assert state["global_step"] == 12


def _start_long_run(tmp_path, extra=()):
    return subprocess.Popen(
        train_cmd(
            CONFIG,
            "output_dir=%s" % tmp_path,
            "max_steps=100000",
            "save_steps=1000",
            "num_train_epochs=1000",
            extra=extra,
        ),
        env=train_env(),
        cwd=str(CONFIG.parent),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def _read_until_step(proc):
    seen = []
    for line in proc.stdout:
        seen.append(json.loads(line))
        if seen[-1]["type"] == "step":
            return seen
    raise AssertionError("no step event; stderr: %s" % proc.stderr.read())


@pytest.mark.parametrize("how", ["stdin", "sigint"])
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
