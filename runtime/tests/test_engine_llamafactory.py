"""The LLaMA-Factory lane (scripts/test-llamafactory.sh): LLaMA-Factory's own full and LoRA SFT examples
(examples/train_full/qwen3_full_sft.yaml, examples/train_lora/qwen3_lora_sft.yaml, shrunk: tiny local model,
8 samples of identity + alpaca_en_demo) run through `batchscope_runtime train` and through
`llamafactory-cli train`: identical losses, and our events (engine chosen automatically for
`template: qwen3_nothink`) match the schema. The DataLoader debugger stops at `collate` inside a
LLaMA-Factory run, on the samples LLaMA-Factory's own preprocessing made.

These need the LLaMA-Factory venv (bash scripts/setup-llamafactory.sh); the lane script passes its
interpreter in BATCHSCOPE_LLAMAFACTORY_PYTHON. Elsewhere (the main pytest lane) they are skipped, so
they run once per test-all, in their own lane."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, REPO, RUNTIME
from debug_client import Client

LF_PY = Path(os.environ.get("BATCHSCOPE_LLAMAFACTORY_PYTHON", "/nonexistent"))
LF_CLI = LF_PY.parent / "llamafactory-cli"
EXAMPLES = RUNTIME / "tests" / "fixtures" / "llamafactory"
VALIDATOR = jsonschema.Draft202012Validator(json.loads((REPO / "protocol" / "train-events.schema.json").read_text()))

pytestmark = pytest.mark.skipif(
    not LF_CLI.exists(),
    reason=os.environ.get("BATCHSCOPE_LLAMAFACTORY_SKIP")
    or "runs in the py-llamafactory lane (bash scripts/test-llamafactory.sh, which sets "
    "BATCHSCOPE_LLAMAFACTORY_PYTHON to the venv of bash scripts/setup-llamafactory.sh)",
)


def _env(**extra):
    # No DISABLE_VERSION_CHECK: the venv holds exactly the versions LLaMA-Factory asks for.
    return dict(os.environ, PYTHONPATH=str(RUNTIME), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", **extra)


def _prepare(tmp_path, kind, out):
    """The example YAML, unchanged but for the model and output paths, in a folder holding data/."""
    if not (tmp_path / "data").exists():
        shutil.copytree(EXAMPLES / "data", tmp_path / "data")
    text = (EXAMPLES / ("qwen3_%s_sft.yaml" % kind)).read_text()
    path = tmp_path / ("%s_%s.yaml" % (kind, out))
    path.write_text(text.replace("MODEL_DIR", str(FIXTURES / "model")).replace("OUTPUT_DIR", out))
    return path


def _start(cmd, cwd, group=False, **env):
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,
    )


def _finish(proc, timeout=900):
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-4000:]
    return out


def _events(stdout):
    events = [json.loads(l) for l in stdout.splitlines() if l.startswith("{")]
    for e in events:
        assert not list(VALIDATOR.iter_errors(e)), e
    return events


def _log_losses(folder):
    lines = [json.loads(l) for l in (folder / "trainer_log.jsonl").read_text().splitlines() if l.strip()]
    return [(l["current_steps"], l["loss"]) for l in lines if "loss" in l]


@pytest.mark.parametrize("kind", ["full", "lora"])
def test_the_example_gives_identical_losses_through_batchscope_and_llamafactory_cli(tmp_path, kind):
    ours = _prepare(tmp_path, kind, "out_batchscope")
    theirs = _prepare(tmp_path, kind, "out_cli")
    # Both at once: each is one thread (OMP_NUM_THREADS=1) and mostly imports, so on two cores this halves the lane.
    r = _start([str(LF_PY), "-m", "batchscope_runtime", "train", ours.name], tmp_path)
    c = _start([str(LF_CLI), "train", theirs.name], tmp_path)
    stdout = _finish(r)
    _finish(c)
    a, b = _log_losses(tmp_path / "out_batchscope"), _log_losses(tmp_path / "out_cli")
    assert len(a) == 4 and [s for s, _ in a] == [s for s, _ in b] == [1, 2, 3, 4]
    assert all(abs(x - y) < 1e-6 for (_, x), (_, y) in zip(a, b)), (a, b)

    events = _events(stdout)
    assert events[0]["type"] == "launch" and events[0]["engine"] == "llamafactory"
    assert "template: qwen3_nothink" in events[0]["reason"]
    started = [e for e in events if e["type"] == "started"]
    assert len(started) == 1 and started[0]["engine"] == "llamafactory" and started[0]["finetuning_type"] == kind
    steps = {e["step"]: e["loss"] for e in events if e["type"] == "step"}
    assert sorted(steps) == [s for s, _ in a]
    assert all(abs(steps[s] - x) < 1e-3 for s, x in a)  # trainer_log rounds losses to 4 digits
    assert events[-1]["type"] == "finished" and events[-1]["reason"] == "completed"
    if kind == "lora":
        adapter = json.loads((tmp_path / "out_batchscope" / "adapter_config.json").read_text())
        assert adapter["peft_type"] == "LORA" and adapter["r"] == 8
        assert (tmp_path / "out_batchscope" / "adapter_model.safetensors").exists()


class _DebugJob:
    """`python -m batchscope_runtime debug --config lora.yaml` in the LLaMA-Factory venv, its output kept."""

    def __init__(self, cwd, config):
        self.secret = secrets.token_hex(8)
        cmd = [str(LF_PY), "-m", "batchscope_runtime", "debug", "--port", "0", "--linger", "5", "--config", config]
        # Its own process group, so that a failing test takes the run (the launcher's child) down with it.
        self.proc = _start(cmd, cwd, group=True, BATCHSCOPE_SECRET=self.secret, PYTHONUNBUFFERED="1")
        first = self.proc.stdout.readline()
        assert first.startswith('{"type": "listening"'), first + self.proc.stderr.read()[-2000:]
        self.port = json.loads(first)["port"]
        self.lines, self.stderr = [], []
        for stream, out in ((self.proc.stdout, self.lines), (self.proc.stderr, self.stderr)):
            threading.Thread(target=lambda s=stream, o=out: o.extend(s), daemon=True).start()

    def wait(self, timeout=300):
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def _hash_expr(expr):
    # A digest travels whole; a long list's repr would be cut short by the debugger's value preview.
    return "__import__('hashlib').sha256(__import__('json').dumps(%s).encode()).hexdigest()" % expr


def test_the_debugger_stops_at_collate_inside_a_llamafactory_run_on_its_own_samples(tmp_path):
    import hashlib

    config = _prepare(tmp_path, "lora", "out")
    # Ground truth, in parallel with the session: LLaMA-Factory's get_dataset (through `preview`).
    preview = _start(
        [str(LF_PY), "-m", "batchscope_runtime", "preview", config.name, "--n", "16", "--out", "preview.jsonl"],
        tmp_path,
    )
    job = _DebugJob(tmp_path, config.name)
    c = Client(job.port, job.secret)
    try:
        bp = c.request("setFunctionBreakpoints", breakpoints=[{"name": "collate", "condition": "batch_index == 1"}])
        assert bp["breakpoints"][0]["verified"]
        c.request("configurationDone")
        st = c.stopped(timeout=600)  # LLaMA-Factory's imports and preprocessing come first
        assert st["reason"] == "function breakpoint" and st["stage"] == "collate" and st["batch"]["index"] == 1
        tid = st["threadId"]
        frames, v = c.top_scope_vars(tid)
        assert frames[0]["name"].startswith("collate · batch 1")
        indices = json.loads(v["indices"]["value"])
        assert len(indices) == 2 and v["samples"]["value"] == "list[2]"  # per_device_train_batch_size: 2
        fid = frames[0]["id"]
        keys = c.request("evaluate", expression="sorted(samples[0])", frameId=fid)
        kids = c.request("variables", variablesReference=keys["variablesReference"])["variables"]
        assert {"input_ids", "labels", "attention_mask"} <= {json.loads(k["value"].replace("'", '"')) for k in kids}
        got = c.request(
            "evaluate", expression=_hash_expr("[[s['input_ids'], s['labels']] for s in samples]"), frameId=fid
        )
        prompt_masked = c.request("evaluate", expression="samples[0]['labels'][0]", frameId=fid)["result"]
        assert prompt_masked == "-100"  # LLaMA-Factory masks the prompt (train_on_prompt: false)

        c.request("next", threadId=tid)
        st = c.stopped(timeout=120)
        assert (st["stage"], st["batch"]["index"]) == ("batch_ready", 1)
        _, v = c.top_scope_vars(tid)
        batch = {
            x["name"]: x
            for x in c.request("variables", variablesReference=v["batch"]["variablesReference"])["variables"]
        }
        assert batch["input_ids"]["value"].startswith("Tensor[2, ") and "labels" in batch
        c.request("continue", threadId=tid)
        assert c.wait_event("exited", timeout=300)["exitCode"] == 0
    except BaseException:
        job.kill()  # a run paused at a breakpoint would outlive the test
        preview.kill()
        raise
    finally:
        c.close()
    assert job.wait() == 0, "".join(job.stderr)[-4000:]
    events = _events("".join(job.lines))
    assert events[0]["type"] == "launch" and events[0]["engine"] == "llamafactory"
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    assert events[-1]["type"] == "finished" and events[-1]["reason"] == "completed"

    _finish(preview)
    rows = [json.loads(l) for l in (tmp_path / "preview.jsonl").read_text().splitlines()][1:]
    assert [r["index"] for r in rows] == list(range(16))
    want = [[rows[i]["input_ids"], rows[i]["labels"]] for i in indices]
    assert got["result"].strip("'") == hashlib.sha256(json.dumps(want).encode()).hexdigest(), (indices, want)
