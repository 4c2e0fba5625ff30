"""Any script under the runtime: `python -m batchscope_runtime train script.py args...`, unchanged.
A hand-written loop reports DataLoader-timed steps plus batchscope_runtime.log(); a TRL SFTTrainer
script reports through the callback injected into transformers.Trainer."""

import json
import os
import subprocess
import sys

import jsonschema

from conftest import FIXTURES, REPO, RUNTIME

SCRIPTS = RUNTIME / "tests" / "fixtures" / "scripts"
VALIDATOR = jsonschema.Draft202012Validator(json.loads((REPO / "protocol" / "train-events.schema.json").read_text()))


def run_script(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(RUNTIME), OMP_NUM_THREADS="1")
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "train", *map(str, args)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    events = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    for e in events:
        assert not list(VALIDATOR.iter_errors(e)), e
    return events


def test_a_hand_written_loop_reports_its_logged_steps_and_the_data_wait():
    events = run_script(SCRIPTS / "hand_loop.py", "--steps", "5")
    assert events[0]["type"] == "launch" and events[0]["engine"] == "script"
    steps = [e for e in events if e["type"] == "step"]
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5]
    assert all(e["loss"] is not None and e["lr"] == 0.1 and e["data_wait_ms"] > 0 for e in steps)
    assert steps[-1]["loss"] < steps[0]["loss"]
    assert events[-1]["type"] == "finished" and events[-1]["step"] == 5


def test_a_trl_sft_trainer_script_reports_through_the_injected_callback(tmp_path):
    events = run_script(SCRIPTS / "trl_sft.py", FIXTURES / "model", tmp_path / "out")
    started = [e for e in events if e["type"] == "started"]
    assert len(started) == 1 and started[0]["engine"] == "script" and started[0]["total_steps"] == 4
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    assert all(e["loss"] is not None and e["tokens_per_s"] > 0 for e in events if e["type"] == "step")
    assert [e["step"] for e in events if e["type"] == "checkpoint"] == [2, 4]
    assert events[-1]["type"] == "finished" and events[-1]["reason"] == "completed"
    # Ground truth: TRL's own record of the run (trainer_state.json of the last checkpoint).
    state = json.loads((tmp_path / "out" / "checkpoint-4" / "trainer_state.json").read_text())
    theirs = {h["step"]: h["loss"] for h in state["log_history"] if "loss" in h}
    ours = {e["step"]: e["loss"] for e in events if e["type"] == "step"}
    assert sorted(theirs) == [1, 2, 3, 4] and all(abs(ours[s] - theirs[s]) < 1e-6 for s in theirs), (ours, theirs)


LOOP_WITHOUT_LOG = """
import torch
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x, y = torch.randn(20, 4), torch.randn(20, 1)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(2):
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=8):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(xb), yb).backward()
        opt.step()
"""


def test_a_hand_written_loop_without_log_calls_run_as_a_module_reports_one_step_per_batch(tmp_path):
    (tmp_path / "plain_loop.py").write_text(LOOP_WITHOUT_LOG)
    events = run_script("-m", "plain_loop", cwd=tmp_path)
    assert events[0]["type"] == "launch" and events[0]["engine"] == "script"
    steps = [e for e in events if e["type"] == "step"]
    # 20 samples in batches of 8: 3 batches an epoch, 2 epochs; no loss is known without log().
    assert [e["step"] for e in steps] == [1, 2, 3, 4, 5, 6]
    assert all(e["loss"] is None and e["data_wait_ms"] >= 0 for e in steps)
    assert events[-1]["type"] == "finished" and events[-1]["step"] == 6
