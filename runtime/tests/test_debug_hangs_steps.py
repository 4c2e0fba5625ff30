"""Issue 11 through the Python client, so the torch 1.13 lane (scripts/test-torch113.sh) runs them
too: what /proc says about a blocked thread, a hang stop in a FIFO read (syscall, file, frames,
locals, read-only evaluate), Show All Stacks' data (`dumpStacks`), Step Into samples read by a
dataset's own `__getitems__`, and Step Over through a real Hugging Face Trainer step.
The adapter-level versions are test/debug/{hang,stepping,trainer}.test.ts."""

import json
import os
import sys
import tempfile
import threading
import time

import pytest

from conftest import REPO, RUNTIME
from debug_client import Job

sys.path.insert(0, str(RUNTIME))
from batchscope_runtime.debug import procinfo  # noqa: E402

PROGRAMS = REPO / "test" / "debug" / "programs"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")


class Program(Job):
    """`python -m batchscope_runtime debug … -- programs/<name> ARGS` (debug_client.Job: its own
    process group, so kill() takes the program and its workers along)."""

    def __init__(self, name, args, hang_timeout=None):
        super().__init__(args, hang_timeout=hang_timeout, program=PROGRAMS / name, cwd=REPO)

    def output(self):
        return "".join(self.lines + self.stderr)


def _var_map(c, ref):
    return {v["name"]: v for v in c.request("variables", variablesReference=ref)["variables"]}


@linux_only
def test_procinfo_names_the_syscall_and_the_fifo_of_a_blocked_thread(tmp_path):
    fifo = tmp_path / "shard.fifo"
    os.mkfifo(fifo)
    started = threading.Event()
    native = {}

    def reader():
        native["id"] = threading.get_native_id()
        fd = os.open(fifo, os.O_RDWR)
        native["fd"] = fd
        started.set()
        os.read(fd, 1)  # blocks until the test writes

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    started.wait(5)
    try:
        info = None
        for _ in range(50):  # until the thread is inside read()
            info = procinfo.blocked_in(os.getpid(), native["id"])
            if info and info.get("syscall") == "read":
                break
            time.sleep(0.05)
        assert info["syscall"] == "read" and info["fd"] == native["fd"]
        assert info["target"] == str(fifo) and info["kind"] == "FIFO"
        assert info["text"] == "read(fd %d) on %s (FIFO)" % (native["fd"], fifo)
        assert procinfo.state_text(info).startswith("blocked in read(fd")
    finally:
        os.write(native["fd"], b"x")
        t.join(5)
        os.close(native["fd"])


@linux_only
def test_hang_in_a_fifo_read_stops_with_syscall_file_frames_locals_and_readonly_evaluate():
    d = tempfile.mkdtemp(prefix="batchscope-fifo-")
    fifo = os.path.join(d, "shard-3.fifo")
    job = Program(
        "loader.py", ["--n", 16, "--batch-size", 4, "--workers", 2, "--fifo-at", 5, "--fifo", fifo], hang_timeout=1.5
    )
    c = job.client()
    try:
        c.request("setExceptionBreakpoints", filters=["hang"])
        c.request("configurationDone")
        st = c.stopped(timeout=90)
        assert (st["reason"], st["text"], st["threadId"]) == ("exception", "hang", 101)
        assert st["description"].startswith("worker 1 blocked in read(fd ")
        assert "on %s (FIFO) for " % fifo in st["description"]
        frames = c.request("stackTrace", threadId=101)["stackFrames"]
        assert frames[0]["name"] == "__getitem__" and frames[0]["source"]["path"].endswith("loader.py")
        scopes = {s["name"]: s["variablesReference"] for s in c.request("scopes", frameId=frames[0]["id"])["scopes"]}
        local = _var_map(c, scopes["Locals"])
        assert local["i"]["value"] == "5" and local["shard_path"]["value"] == repr(fifo)
        hang = _var_map(c, scopes["Hang"])
        blocked = _var_map(c, hang["blocked_in"]["variablesReference"])
        assert blocked["syscall"]["value"] == "'read'" and blocked["target"]["value"] == repr(fifo)
        ev = c.request("evaluate", expression="i + 100", frameId=frames[0]["id"], context="repl")
        assert ev["result"] == "105"
        bad = c.raw("evaluate", expression="i = 0", frameId=frames[0]["id"], context="repl")
        assert not bad["success"] and "read-only" in bad["message"]
        # dumpStacks (Show All Stacks) while it hangs: the worker's blocking call is named.
        procs = c.request("dumpStacks", timeout=30)["processes"]
        worker = next(p for p in procs if p.get("threadId") == 101)
        assert worker["inFlight"]["stage"] == "fetch" and worker["inFlight"]["batch"]["index"] == 1
        assert any("blocked in read(fd" in (t.get("state") or "") for t in worker["threads"])
        c.request("terminate")
    finally:
        c.close()
        job.kill()


@linux_only
def test_hang_holding_the_gil_is_still_caught_and_names_the_user_line():
    # A regex backtracking in C holds the GIL: the agent's timer thread cannot arm faulthandler, so
    # the controller asks for the dump by signal and serves the stop itself.
    job = Program("loader.py", ["--n", 16, "--batch-size", 4, "--workers", 2, "--regex-at", 5], hang_timeout=1.5)
    c = job.client()
    try:
        c.request("setExceptionBreakpoints", filters=["hang"])
        c.request("configurationDone")
        st = c.stopped(timeout=90)
        assert (st["text"], st["threadId"]) == ("hang", 101)
        assert st["description"].startswith("fetch of batch 1 stuck for over 1.5s at loader.py:")
        assert "in __getitem__; running on a CPU" in st["description"]
        info = c.request("exceptionInfo", threadId=101)
        assert 'loader.py", line' in info["details"]["stackTrace"]
        c.request("terminate")
    finally:
        c.close()
        job.kill()


def test_step_in_from_fetch_stops_at_each_sample_read_by_getitems():
    job = Program("loader.py", ["--n", 16, "--batch-size", 4, "--getitems"])
    c = job.client()
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch", "condition": "batch_index == 1"}])
        c.request("configurationDone")
        st = c.stopped(timeout=90)
        assert st["stage"] == "fetch"
        c.request("stepIn", threadId=1)
        seen = []
        for _ in range(4):
            st = c.stopped()
            assert st["stage"] == "sample"
            frames, v = c.top_scope_vars(1)
            seen.append(int(v["index"]["value"]))
            c.request("next", threadId=1)
        assert seen == [4, 5, 6, 7]
        assert c.stopped()["stage"] == "collate"
        c.request("continue", threadId=1)
        c.wait_event("terminated", timeout=90)
        assert "done steps=4" in job.output()
    finally:
        c.close()
        job.kill()


def test_trainer_step_over_walks_to_train_step_and_on_to_the_next_batch():
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    job = Program("trainer.py", ["--n", 32, "--batch-size", 4, "--steps", 4])
    c = job.client()
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "sampler", "condition": "batch_index == 1"}])
        c.request("configurationDone")
        st = c.stopped(timeout=180)
        assert st["stage"] == "sampler"
        _, v = c.top_scope_vars(1)
        indices = json.loads(v["indices"]["value"])
        walked = []
        for _ in range(5):
            c.request("next", threadId=st["threadId"])
            st = c.stopped()
            walked.append((st["stage"], st["batch"]["index"]))
        assert walked == [("fetch", 1), ("collate", 1), ("batch_ready", 1), ("to_device", 1), ("train_step", 1)]
        frames = c.request("stackTrace", threadId=1)["stackFrames"]
        got = c.request(
            "evaluate", expression="batch['input_ids'][:, 0].tolist()", frameId=frames[0]["id"], context="repl"
        )
        assert json.loads(got["result"]) == [(7 * i) % 60 + 4 for i in indices]
        c.request("next", threadId=1)
        st = c.stopped()
        assert st["reason"] == "step" and st["batch"]["index"] == 2
        c.request("continue", threadId=1)
        c.wait_event("terminated", timeout=120)
        assert "done steps=4" in job.output()
    finally:
        c.close()
        job.kill()


def test_step_over_reaches_a_worker_even_when_its_config_arrives_late():
    """Step Over from `sampler` (main process) must stop at `fetch` in the worker that fetches the
    batch. The workers' agents apply every config 0.4 s late (CI's loaded machine once lagged like
    that, and the walk landed on to_device), so the step holds its thread until every agent has
    applied the step's target. Batch 6: by then both workers are connected (a worker that connects
    later gets the step in its hello)."""
    job = Program("loader.py", ["--n", 40, "--batch-size", 4, "--workers", 2, "--late-config-s", 0.4])
    c = job.client()
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "sampler", "condition": "batch_index == 6"}])
        c.request("configurationDone")
        st = c.stopped(timeout=120)
        assert (st["stage"], st["batch"]["index"], st["threadId"]) == ("sampler", 6, 1)
        walked = []
        for _ in range(5):
            c.request("next", threadId=st["threadId"])
            st = c.stopped(timeout=30)
            walked.append((st["stage"], st["batch"]["index"], "worker" if st["threadId"] >= 100 else "main"))
        assert walked == [
            ("fetch", 6, "worker"),
            ("collate", 6, "worker"),
            ("batch_ready", 6, "worker"),
            ("to_device", 6, "main"),
            ("train_step", 6, "main"),
        ]
        c.request("next", threadId=1)
        st = c.stopped(timeout=30)
        assert (st["reason"], st["batch"]["index"]) == ("step", 7)
        c.request("continue", threadId=st["threadId"])
        c.wait_event("terminated", timeout=120)
        assert "done steps=10" in job.output()
    finally:
        c.close()
        job.kill()
