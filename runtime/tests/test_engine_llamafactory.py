"""The LLaMA-Factory lane: LLaMA-Factory's own full and LoRA SFT examples (examples/train_full/qwen3_full_sft.yaml,
examples/train_lora/qwen3_lora_sft.yaml, shrunk: tiny local model, 8 samples of identity + alpaca_en_demo)
run through `batchscope_runtime train` and through `llamafactory-cli train` in .venv-llamafactory: identical
losses, and our events (engine chosen automatically for `template: qwen3_nothink`) match the schema.

Skipped unless .venv-llamafactory exists (bash scripts/setup-llamafactory.sh makes it)."""

import json
import os
import shutil
import subprocess

import jsonschema
import pytest

from conftest import FIXTURES, REPO, RUNTIME

LF_VENV = REPO / ".venv-llamafactory"
LF_PY = LF_VENV / "bin" / "python"
LF_CLI = LF_VENV / "bin" / "llamafactory-cli"
EXAMPLES = RUNTIME / "tests" / "fixtures" / "llamafactory"
SCHEMA = json.loads((REPO / "protocol" / "train-events.schema.json").read_text())

# The stamp is written last by the set-up script: a venv without it is half-built (an interrupted
# set-up), which is skipped like a missing one rather than failing on a missing import.
pytestmark = pytest.mark.skipif(
    not (LF_CLI.exists() and (LF_VENV / ".batchscope-stamp").exists()),
    reason="no complete .venv-llamafactory (optional lane): run bash scripts/setup-llamafactory.sh",
)


def _env():
    return dict(os.environ, PYTHONPATH=str(RUNTIME), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", DISABLE_VERSION_CHECK="1")


def _prepare(tmp_path, kind, out):
    """The example YAML, unchanged but for the model and output paths, in a folder holding data/."""
    if not (tmp_path / "data").exists():
        shutil.copytree(EXAMPLES / "data", tmp_path / "data")
    text = (EXAMPLES / ("qwen3_%s_sft.yaml" % kind)).read_text()
    path = tmp_path / ("%s_%s.yaml" % (kind, out))
    path.write_text(text.replace("MODEL_DIR", str(FIXTURES / "model")).replace("OUTPUT_DIR", out))
    return path


def _log_losses(folder):
    lines = [json.loads(l) for l in (folder / "trainer_log.jsonl").read_text().splitlines() if l.strip()]
    return [(l["current_steps"], l["loss"]) for l in lines if "loss" in l]


@pytest.mark.parametrize("kind", ["full", "lora"])
def test_the_example_gives_identical_losses_through_batchscope_and_llamafactory_cli(tmp_path, kind):
    ours = _prepare(tmp_path, kind, "out_batchscope")
    theirs = _prepare(tmp_path, kind, "out_cli")
    r = subprocess.run(
        [str(LF_PY), "-m", "batchscope_runtime", "train", ours.name],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    c = subprocess.run(
        [str(LF_CLI), "train", theirs.name], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=900
    )
    assert c.returncode == 0, c.stderr[-4000:]
    a, b = _log_losses(tmp_path / "out_batchscope"), _log_losses(tmp_path / "out_cli")
    assert a and [s for s, _ in a] == [s for s, _ in b]
    assert all(abs(x - y) < 1e-6 for (_, x), (_, y) in zip(a, b)), (a, b)

    events = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for e in events:
        assert not list(validator.iter_errors(e)), e
    assert events[0]["type"] == "launch" and events[0]["engine"] == "llamafactory"
    assert "template: qwen3_nothink" in events[0]["reason"]
    steps = {e["step"]: e["loss"] for e in events if e["type"] == "step"}
    assert sorted(steps) == [s for s, _ in a]
    assert all(abs(steps[s] - x) < 1e-3 for s, x in a)  # trainer_log rounds losses to 4 digits
    assert events[-1]["type"] == "finished" and events[-1]["reason"] == "completed"
    if kind == "lora":
        assert (tmp_path / "out_batchscope" / "adapter_model.safetensors").exists()
