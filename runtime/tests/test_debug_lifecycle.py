"""The debug session's life cycle against real jobs: a clean exit with the `hang` filter on, Stop
(terminate) taking the job, its workers and its session file, the indices a late attach can and
cannot know, and batch numbers after accelerate's `skip_first_batches` (a Trainer resume)."""

import json
import os
import subprocess
import time

import pytest

from conftest import REPO, RUNTIME
from debug_client import PYTHON, Client, Job

PROGRAMS = REPO / "test" / "debug" / "programs"
BEFORE_ATTACH = "'unknown (batch dispatched before attach)'"


def _repl(c, frame_id, expr):
    return c.request("evaluate", expression=expr, frameId=frame_id, context="repl")["result"]


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _listening_job(tmp_path, args, env_extra=None):
    session_file = tmp_path / "session.json"
    env = dict(os.environ, PYTHONPATH=str(RUNTIME), BATCHSCOPE_SESSION_FILE=str(session_file), PYTHONUNBUFFERED="1")
    env.pop("BATCHSCOPE_SECRET", None)
    env.update(env_extra or {})
    proc = subprocess.Popen(
        [PYTHON, str(PROGRAMS / "loader.py"), "--listen"] + [str(a) for a in args],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return proc, session_file


def _wait_for_line(proc, prefix):
    for line in proc.stdout:
        if line.startswith(prefix):
            return line
    raise AssertionError("the job ended before printing %r: %s" % (prefix, proc.stderr.read()[-2000:]))


def _kill(proc):
    try:
        os.killpg(proc.pid, 9)
    except OSError:
        pass
    proc.wait()


def test_late_attach_names_indices_it_saw_and_says_unknown_for_batches_dispatched_before(tmp_path):
    dump = tmp_path / "indices.jsonl"
    # 0.25 s steps: the 4 batches the workers prefetched before the attach take 1 s to reach
    # train_step, so the breakpoint is armed before the last of them arrives even under load.
    args = ["--n", 240, "--batch-size", 4, "--workers", 2, "--shuffle", "--seed", 5, "--step-delay", 0.25]
    proc, session_file = _listening_job(tmp_path, args + ["--dump-indices", dump])
    try:
        _wait_for_line(proc, "step 50")
        info = json.loads(session_file.read_text())
        c = Client(info["port"], info["secret"])
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "train_step"}])
        c.request("configurationDone")
        seen = []
        for _ in range(8):
            st = c.stopped(timeout=60)
            assert st["stage"] == "train_step"
            frame = c.request("stackTrace", threadId=1)["stackFrames"][0]
            seen.append((st["batch"]["index"], _repl(c, frame["id"], "indices")))
            c.request("continue", threadId=1)
        c.request("setFunctionBreakpoints", breakpoints=[])
        c.request("detach")
        c.close()
        proc.stdout.read()
        assert proc.wait(timeout=120) == 0
    finally:
        _kill(proc)
    truth = {}
    for line in dump.read_text().splitlines():
        rec = json.loads(line)
        truth[rec["batch"]] = rec["indices"]
    # The batch at the first stop was prefetched by a worker before the adapter attached: no indices
    # are known for it, and it says so. Once the sampler's output is seen, each batch's are exact.
    assert seen[0][1] == BEFORE_ATTACH, seen
    known = [(b, v) for b, v in seen if v != BEFORE_ATTACH]
    assert len(known) >= 3, seen
    for b, v in known:
        assert v == repr(truth[b]), (b, v, truth[b])
    first_known = known[0][0]
    assert all(b < first_known for b, v in seen if v == BEFORE_ATTACH), seen


@pytest.mark.parametrize("workers", [0, 2])
def test_batch_index_after_skip_first_batches_is_the_position_in_the_epoch(workers):
    job = Job(
        ["--n", 40, "--batch-size", 4, "--workers", workers, "--skip", 3],
        program=PROGRAMS / "resume.py",
        cwd=REPO,
    )
    c = job.client()
    stops = []
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}, {"name": "train_step"}])
        c.request("configurationDone")

        def look(st):
            frame = c.request("stackTrace", threadId=st["threadId"])["stackFrames"][0]
            batch_index, indices = (_repl(c, frame["id"], x) for x in ("batch_index", "indices"))
            stops.append((st["stage"], st["batch"]["index"], batch_index, indices))

        exited = _run_to_exit(c, look)  # every stop until the end, so none is left paused
        assert exited["exitCode"] == 0
    finally:
        c.close()
    assert job.wait() == 0
    truth = {r["batch"]: r["indices"] for r in job.records() if "batch" in r}
    assert sorted(truth) == list(range(3, 10))
    # Every batch of the resumed epoch stops at fetch and at train_step, numbered from the resume point.
    assert sorted(s[1] for s in stops if s[0] == "fetch") == list(range(3, 10)), stops
    assert sorted(s[1] for s in stops if s[0] == "train_step") == list(range(3, 10)), stops
    for stage, index, batch_index, indices in stops:
        assert index >= 3 and batch_index == str(index), stops
        assert indices == repr(truth[index]), (stage, index, indices, truth[index])


def _run_to_exit(c, on_stop, single=True):
    """Hand each stop to on_stop(body), continue it, until the program exits; the exited body."""
    while True:
        e = c.events.get(timeout=120)
        assert e is not None, "the connection closed before the program ended"
        if e["event"] == "exited":
            return e["body"]
        if e["event"] == "stopped":
            on_stop(e["body"])
            c.request("continue", threadId=e["body"]["threadId"], singleThread=single)


def _batches_stopped_at(job, breakpoints):
    """Run `job` to its end with these function breakpoints; the (epoch, batch) of every stop."""
    c = job.client()
    stops = []
    try:
        c.request("setFunctionBreakpoints", breakpoints=breakpoints)
        c.request("configurationDone")
        exited = _run_to_exit(c, lambda st: stops.append((st["batch"]["epoch"], st["batch"]["index"])))
        assert exited["exitCode"] == 0
    finally:
        c.close()
    assert job.wait() == 0
    return stops


def test_a_trainer_style_resume_keeps_the_trainers_epoch_and_counts_hits_from_the_resume_point():
    # The Trainer resumes epoch 2 at batch 3 through an accelerate loader (skip_first_batches, then
    # set_epoch(2)), then runs epoch 3 on the original loader. The resumed loader is a new object
    # whose own pass count is 0: the stops must still say epoch 2, and the next epoch 3.
    job = Job(
        ["--n", 24, "--batch-size", 4, "--workers", 2, "--skip", 3, "--accelerate", "--epoch", 2],
        program=PROGRAMS / "resume.py",
        cwd=REPO,
    )
    stops = _batches_stopped_at(job, [{"name": "fetch", "hitCondition": "% 2"}])
    truth = [(r["epoch"], r["batch"]) for r in job.records() if "batch" in r]
    assert truth == [(2, 3), (2, 4), (2, 5)] + [(3, b) for b in range(6)]
    # Every second batch in (epoch, batch) order from the resume point: 2/3 is the first hit.
    assert sorted(stops) == truth[1::2], stops


def test_the_first_batch_of_a_later_epoch_has_its_own_epoch_at_train_step_with_no_workers():
    # With num_workers=0 the sampler starts its pass inside the epoch's first __next__: the epoch of
    # that batch at to_device/train_step was read before it and said the previous epoch.
    job = Job(["--size", 8, "--batch-size", 4, "--workers", 0, "--epochs", 3])
    stops = _batches_stopped_at(job, [{"name": "train_step", "condition": "batch_index == 0"}])
    assert stops == [(0, 0), (1, 0), (2, 0)], stops


def test_recent_batches_at_a_stop_hold_every_batch_finished_before_it():
    # The agent sends the finished batches' records once a second, and before every stop: seven small
    # batches take far less than a second, so only the send before the stop can bring them in time.
    job = Job(["--size", 64, "--batch-size", 4, "--workers", 0])
    c = job.client()
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "train_step", "condition": "batch_index == 6"}])
        c.request("configurationDone")
        st = c.stopped()
        assert (st["stage"], st["batch"]["index"]) == ("train_step", 6)
        recent = c.request("recentBatches", count=50)["batches"]
        assert [r["batch"] for r in recent] == list(range(7)), recent
        assert all("fetch" in r["timings"] and "collate" in r["timings"] for r in recent), recent
        assert recent[6]["indices"] == [24, 25, 26, 27]
        c.request("continue", threadId=st["threadId"])
        assert c.wait_event("exited", timeout=120)["exitCode"] == 0
    finally:
        c.close()
    assert job.wait() == 0


def test_a_job_that_ends_while_its_hang_stop_evaluates_torch_code_exits_with_status_0():
    # The bug behind "a rare SIGABRT at exit with the hang filter on": a hang stop is served from
    # another thread while the job runs on, so the job can end while that thread is inside torch's
    # C++ (a tensor being formatted, an expression being evaluated). CPython ends a daemon thread
    # that wants the GIL back during finalisation with pthread_exit, and unwinding torch's noexcept
    # frames calls std::terminate: SIGABRT. Here an evaluation runs torch.mm for 3 s while the stuck
    # sample (2 s of sleep in the main process) ends and the program exits.
    job = Job(["--size", 8, "--workers", 0, "--sleep-at", 2, "--sleep-s", 2.0], hang_timeout=0.5, linger=2)
    c = job.client()
    try:
        c.request("setExceptionBreakpoints", filters=["hang"])
        c.request("configurationDone")
        st = c.stopped(timeout=120)
        assert st["text"] == "hang"
        frame = c.request("stackTrace", threadId=st["threadId"])["stackFrames"][0]
        end = time.monotonic() + 3.0  # CLOCK_MONOTONIC: the same clock in the job
        expr = (
            "sum(1 for _ in iter(lambda: torch.mm(torch.ones(300, 300), torch.ones(300, 300)) "
            "if time.monotonic() < %r else None, None))" % end
        )
        c.send("evaluate", expression=expr, frameId=frame["id"], context="repl")  # answered or not
        exited = c.wait_event("exited", timeout=120)
    finally:
        c.close()
    code = job.wait()
    assert (exited.get("exitCode"), exited.get("signal"), code) == (0, None, 0), (exited, job.stderr[-20:])


@pytest.mark.parametrize("workers", [0, 2])
def test_jobs_with_the_hang_filter_on_exit_with_status_0_every_time(workers):
    # Each run ends right after a hang stop was served and continued: the hang timer, the hang
    # stop's server thread and the receive loop are all live when the interpreter exits. A daemon
    # thread of ours waking during finalisation (or faulthandler armed then) ended runs with SIGABRT.
    for run in range(2):
        job = Job(["--size", 12, "--workers", workers, "--sleep-at", 10, "--sleep-s", 1.2], hang_timeout=0.5, linger=2)
        c = job.client()
        try:
            c.request("setExceptionBreakpoints", filters=["hang"])
            c.request("configurationDone")
            stops = []
            exited = _run_to_exit(c, stops.append, single=False)
            assert all(st["text"] == "hang" for st in stops), stops
            hangs = len(stops)
        finally:
            c.close()
        code = job.wait()
        assert (exited.get("exitCode"), exited.get("signal"), code) == (0, None, 0), (run, exited, job.stderr[-20:])
        assert hangs >= 1, "the slow sample made a hang stop"


def test_stop_of_an_attached_job_kills_it_and_its_paused_workers_and_removes_the_session_file(tmp_path):
    proc, session_file = _listening_job(tmp_path, ["--n", 400, "--batch-size", 4, "--workers", 2, "--step-delay", 0.01])
    try:
        _wait_for_line(proc, "step 50")
        info = json.loads(session_file.read_text())
        assert info["pid"] == proc.pid
        workers = [p for p in _children(proc.pid) if p != info["controllerPid"]]
        c = Client(info["port"], info["secret"])
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}])
        c.request("configurationDone")
        st = c.stopped(timeout=60)
        assert st["threadId"] >= 100  # a worker is paused at fetch: it cannot exit by itself
        c.request("terminate")
        exited = c.wait_event("exited", timeout=30)
        c.close()
        assert exited.get("exitCode") != 0
        assert proc.wait(timeout=30) != 0
        # The job, every worker (the paused one included) and the session file (it holds the
        # secret; a job killed by a signal runs no atexit, so the controller removes it) are gone.
        end = time.monotonic() + 10
        while time.monotonic() < end and (any(_alive(p) for p in workers) or session_file.exists()):
            time.sleep(0.1)
        assert len(workers) == 2 and not [p for p in workers if _alive(p)]
        assert not session_file.exists()
    finally:
        _kill(proc)


def test_stop_of_a_launch_session_kills_the_program_and_its_paused_workers():
    job = Job(["--size", 32, "--workers", 2], linger=30)
    c = job.client()
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "fetch"}])
        c.request("configurationDone")
        st = c.stopped(timeout=120)
        assert st["threadId"] >= 100
        program = [p for p in _children(job.proc.pid) if _alive(p)]
        assert len(program) == 1
        workers = _children(program[0])
        assert len(workers) == 2
        c.request("terminate")
        c.close()
        # The launcher ends once the program is gone; it does not wait for the paused workers.
        assert job.proc.wait(timeout=30) != 0
        end = time.monotonic() + 10
        while time.monotonic() < end and any(_alive(p) for p in program + workers):
            time.sleep(0.1)
        assert not [p for p in program + workers if _alive(p)]
    finally:
        c.close()
        job.kill()
