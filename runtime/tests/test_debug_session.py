"""End-to-end debug sessions: the real launcher, controller, agents and torch DataLoaders on CPU,
driven through protocol/debug-protocol.md by a small Python client (debug_client.py)."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import FIXTURES, RUNTIME
from debug_client import FIXTURE_DIR, JOB, PYTHON, Client, Job, run_plain

TOKENIZER = FIXTURES / "tokenizer"


def tokenizer_dir():
    if not (TOKENIZER / "tokenizer.json").exists():
        builder = RUNTIME.parent / "test" / "fixtures" / "builders" / "a_tokenizer.py"
        subprocess.run([PYTHON, str(builder), str(FIXTURES)], check=True, capture_output=True, timeout=120)
    return TOKENIZER


def names(variables):
    return {v["name"]: v for v in variables}


def test_break_at_collate_on_batch_3_inspect_step_and_no_hang_or_timeout_while_paused():
    # fork workers, a user DataLoader timeout of 2 s and a hang timeout of 1 s: a pause of 3 s must trip neither.
    job = Job(
        ["--workers", 2, "--size", 32, "--start-method", "fork", "--timeout", 2],
        hang_timeout=1,
        tokenizer=tokenizer_dir(),
    )
    c = job.client()
    try:
        bp = c.request(
            "setFunctionBreakpoints",
            breakpoints=[{"name": "collate", "condition": "batch_index == 3"}, {"name": "no_such_stage"}],
        )["breakpoints"]
        assert bp[0]["verified"] and not bp[1]["verified"] and "stages" in bp[1]["message"]
        c.request("setExceptionBreakpoints", filters=["hang", "collate_error"])
        c.request("configurationDone")
        st = c.stopped()
        assert st["reason"] == "function breakpoint" and st["stage"] == "collate"
        assert st["batch"]["index"] == 3 and st["batch"]["loader"] == "train_loader"
        assert st["threadId"] == 101  # batch 3 → worker 1 (round robin) → 100·(0+1)+1
        deadline = time.monotonic() + 60  # on a loaded machine worker 0 may connect after worker 1 stopped
        while True:
            threads = {t["id"]: t["name"] for t in c.request("threads")["threads"]}
            if {1, 100, 101} <= set(threads) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert {1, 100, 101} <= set(threads) and "pid" in threads[101] and "epoch 0" in threads[101]

        frames, v = c.top_scope_vars(101)
        assert frames[0]["name"].startswith("collate · batch 3")
        assert frames[0]["source"]["path"].endswith("debug_data.py")
        assert frames[1]["presentationHint"] == "subtle" and "indices [12, 13, 14, 15]" in frames[1]["name"]
        assert v["batch_index"]["value"] == "3" and v["worker_id"]["value"] == "1"
        assert json.loads(v["indices"]["value"]) == [12, 13, 14, 15]
        assert (
            c.request("evaluate", expression="[s['idx'] for s in samples]", frameId=frames[0]["id"])["result"]
            == "[12, 13, 14, 15]"
        )
        bad = c.raw("evaluate", expression="nope", frameId=frames[0]["id"])
        assert not bad["success"] and "NameError" in bad["message"]
        sample0 = c.request("variables", variablesReference=v["samples"]["variablesReference"], count=1)["variables"][0]
        kids = names(c.request("variables", variablesReference=sample0["variablesReference"])["variables"])
        assert kids["idx"]["value"] == "12"

        time.sleep(3)  # paused longer than both the hang timeout and the DataLoader timeout

        c.request("next", threadId=101)
        st = c.stopped()
        assert (st["reason"], st["stage"], st["threadId"], st["batch"]["index"]) == ("step", "batch_ready", 101, 3)
        frames, v = c.top_scope_vars(101)
        batch = names(c.request("variables", variablesReference=v["batch"]["variablesReference"])["variables"])
        assert batch["input_ids"]["value"].startswith("Tensor[4, ") and "int64" in batch["input_ids"]["value"]
        stats = names(c.request("variables", variablesReference=batch["labels"]["variablesReference"])["variables"])
        assert stats["min"]["value"] == "-100" and "padding_ratio" in stats
        assert "decoded" in stats and "·" in stats["decoded"]["value"]  # masked -100 rendered as dots
        ids_kids = names(
            c.request("variables", variablesReference=batch["input_ids"]["variablesReference"])["variables"]
        )
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(TOKENIZER / "tokenizer.json"))
        first_row = c.request(
            "evaluate",
            expression="batch['input_ids'][0][batch['attention_mask'][0].bool()].tolist()",
            frameId=frames[0]["id"],
        )["result"]
        expected = tok.decode(json.loads(first_row), skip_special_tokens=False)
        got = c.request("variables", variablesReference=ids_kids["decoded"]["variablesReference"])["variables"][0][
            "value"
        ]
        assert expected in eval(got)  # the padded row decodes to the unpadded text plus pad tokens

        c.request("next", threadId=101)
        st = c.stopped()
        assert (st["stage"], st["threadId"], st["batch"]["index"]) == ("to_device", 1, 3)
        frames = c.request("stackTrace", threadId=1)["stackFrames"]
        assert frames[0]["source"]["path"].endswith("loader_job.py")
        c.request("stepOut", threadId=1)
        st = c.stopped()
        assert (st["stage"], st["batch"]["index"]) == ("train_step", 3)
        c.request("continue", threadId=1)
        exited = c.wait_event("exited", timeout=120)
        assert exited["exitCode"] == 0
        recent = c.request("recentBatches")["batches"]
        assert any(r["batch"] == 3 and "collate" in r["timings"] for r in recent)
    finally:
        c.close()
    assert job.wait() == 0
    assert job.records()[-1] == {"done": True, "steps": 8}
    assert not any("timed out" in line for line in job.stderr)


def test_spawn_workers_hang_names_the_line_and_multiarg_collate_error_stops_live():
    job = Job(
        [
            "--workers",
            2,
            "--size",
            32,
            "--start-method",
            "spawn",
            "--sleep-at",
            9,
            "--sleep-s",
            8,
            "--collate-fail-on",
            21,
            "--collate-fail-kind",
            "multiarg",
        ],
        hang_timeout=2,
    )
    c = job.client()
    try:
        c.request("setExceptionBreakpoints", filters=["collate_error", "hang"])
        c.request("configurationDone")
        seen = {}
        while len(seen) < 2:
            st = c.stopped(timeout=120)
            seen[st["text"]] = st
            info = c.request("exceptionInfo", threadId=st["threadId"])
            st["info"] = info
            if st["text"] == "hang":
                st["frames"] = c.request("stackTrace", threadId=st["threadId"])["stackFrames"]
        hang, err = seen["hang"], seen["collate_error"]
        line = next(i for i, l in enumerate(open(FIXTURE_DIR / "debug_data.py"), 1) if "HANG-LINE" in l)
        assert hang["threadId"] == 100 and hang["batch"]["index"] == 2  # index 9 is in batch 2 → worker 0
        assert "debug_data.py:%d" % line in hang["description"]
        assert any(
            f["line"] == line and f.get("source", {}).get("path", "").endswith("debug_data.py") for f in hang["frames"]
        )
        assert err["threadId"] == 101 and err["batch"]["index"] == 5 and err["stage"] == "collate"
        d = err["info"]["details"]
        assert d["typeName"] == "MultiArgError" and "row 21 has no labels" in d["message"]
        assert "debug_data.py" in d["stackTrace"]
        frames, v = c.top_scope_vars(101)
        assert json.loads(v["indices"]["value"]) == [20, 21, 22, 23]
        assert c.request("evaluate", expression="exception.code", frameId=frames[0]["id"])["result"] == "7"
        c.request("continue", threadId=101)
        exited = c.wait_event("exited", timeout=120)
        assert exited["exitCode"] == 1 and "MultiArgError" in exited["error"]["message"]
    finally:
        c.close()
    assert job.wait() == 1


def test_worker_killed_reports_worker_died_and_controller_outlives_the_main_process():
    job = Job(["--workers", 2, "--size", 32, "--kill-at", 13], linger=10)
    c = job.client()
    try:
        c.request("setExceptionBreakpoints", filters=["worker_died"])
        c.request("configurationDone")
        st = c.stopped(timeout=120)
        assert st["text"] == "worker_died" and st["threadId"] == 101 and st["batch"]["index"] == 3
        info = c.request("exceptionInfo", threadId=101)
        assert "SIGKILL" in info["description"]
        scopes = c.request("scopes", frameId=c.request("stackTrace", threadId=101)["stackFrames"][0]["id"])["scopes"]
        w = names(c.request("variables", variablesReference=scopes[0]["variablesReference"])["variables"])
        assert w["signal"]["value"] == "SIGKILL" and json.loads(w["indices"]["value"]) == [12, 13, 14, 15]
        assert float(w["rss_mb"]["value"]) > 0
        c.request("continue", threadId=101)
        exited = c.wait_event("exited", timeout=120)
        assert exited["exitCode"] not in (0, None)  # torch raised in the main process
        # The main process is gone; the controller still answers.
        assert isinstance(c.request("threads")["threads"], list)
        assert c.request("recentBatches")["batches"]
    finally:
        c.close()
    assert job.wait() != 0


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 :].split()[0].decode()
    except (OSError, ValueError):
        return None


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to see the program become a zombie")
def test_worker_died_is_reported_when_the_main_process_is_gone_before_the_controller_reads():
    # The race behind the flaky worker_died tests, forced: the controller (the launcher) is stopped
    # while worker 1 dies and the main process raises, says bye and exits, so nobody is left to
    # answer a probe when the controller reads the worker's EOF. The main's bye must carry the status.
    job = Job(["--workers", 2, "--size", 32, "--sleep-at", 12, "--sleep-s", 3, "--kill-at", 13], linger=10)
    c = job.client()
    try:
        c.request("setExceptionBreakpoints", filters=["worker_died"])
        c.request("configurationDone")
        deadline = time.monotonic() + 120
        while True:  # both workers connected (a worker cannot connect to a stopped controller)
            threads = {t["id"]: t["name"] for t in c.request("threads")["threads"]}
            if {1, 100, 101} <= set(threads) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert {1, 100, 101} <= set(threads), threads
        program = int(threads[1].split("pid ")[1].split(")")[0])
        os.kill(job.proc.pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 120
            while _state(program) not in ("Z", None) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _state(program) in ("Z", None), "the program did not end while the controller was stopped"
        finally:
            os.kill(job.proc.pid, signal.SIGCONT)
        st = c.stopped(timeout=60)
        assert st["text"] == "worker_died" and st["threadId"] == 101 and st["batch"]["index"] == 3
        assert "SIGKILL" in c.request("exceptionInfo", threadId=101)["description"]
        c.request("continue", threadId=101)
        assert c.wait_event("exited", timeout=60)["exitCode"] not in (0, None)
    finally:
        c.close()
    assert job.wait() != 0


def test_iterable_dataset_uneven_shards_and_two_loaders():
    args = ["--workers", 2, "--iterable", "--shards", "5,2", "--batch-size", 2, "--val", "--size", 32]
    plain = run_plain(args)
    job = Job(args)
    c = job.client()
    try:
        c.request(
            "setFunctionBreakpoints",
            breakpoints=[
                {"name": "collate", "condition": "loader == 'val_loader' and batch_index == 1"},
                {"name": "fetch", "condition": "loader == 'train_loader' and worker_id == 1"},
            ],
        )
        c.request("configurationDone")
        st = c.stopped()
        assert (st["stage"], st["threadId"], st["batch"]["loader"]) == ("fetch", 101, "train_loader")
        c.request("stepIn", threadId=101)
        st = c.stopped()
        assert st["stage"] == "sample" and st["threadId"] == 101
        frames, v = c.top_scope_vars(101)
        assert v["sample"]["variablesReference"] > 0  # the sample worker 1 just produced
        c.request(
            "setFunctionBreakpoints",
            breakpoints=[{"name": "collate", "condition": "loader == 'val_loader' and batch_index == 1"}],
        )
        c.request("continue", threadId=101)
        st = c.stopped()
        assert st["batch"]["loader"] == "val_loader" and st["threadId"] == 201  # loader 1, worker 1
        deadline = time.monotonic() + 60  # on a loaded machine worker 0 may connect after worker 1 stopped
        while True:
            threads = {t["id"] for t in c.request("threads")["threads"]}
            if {200, 201} <= threads or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert {200, 201} <= threads
        c.request("continue", threadId=201)
        assert c.wait_event("exited", timeout=120)["exitCode"] == 0
    finally:
        c.close()
    assert job.wait() == 0
    assert job.records() == plain  # same batches, same order, same rows as without the debugger


def test_persistent_workers_pin_memory_two_epochs_keep_thread_ids_pause_and_nan():
    job = Job(["--workers", 2, "--size", 16, "--epochs", 2, "--persistent", "--pin-memory", "--nan-on", 5])
    c = job.client()
    stops, names_at = [], {}
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "collate", "condition": "batch_index == 1"}])
        c.request("setExceptionBreakpoints", filters=["nan_inf"])
        c.request("configurationDone")
        while True:
            try:
                st = c.stopped(timeout=60)
            except EOFError:
                break
            key = (
                st["reason"],
                st.get("text"),
                st["stage"],
                st["threadId"],
                st["batch"]["epoch"] if st["reason"] != "pause" else None,
            )
            stops.append(key)
            names_at[key] = {t["id"]: t["name"] for t in c.request("threads")["threads"]}
            if st.get("text") == "nan_inf":
                info = c.request("exceptionInfo", threadId=st["threadId"])
                assert info["exceptionId"] == "nan_inf" and "batch['weights']" in info["description"]
            if len(stops) == 1:
                c.request("pause", threadId=100)
            c.request("continue", threadId=st["threadId"], singleThread=True)
    finally:
        c.close()
    assert job.wait() == 0
    collate = [k for k in stops if k[0] == "function breakpoint"]
    nans = [k for k in stops if k[1] == "nan_inf"]
    pauses = [k for k in stops if k[0] == "pause"]
    # batch 1 (rows 4-7, row 5 has a NaN weight) runs on worker 1 in both epochs: same thread id
    assert collate == [
        ("function breakpoint", None, "collate", 101, 0),
        ("function breakpoint", None, "collate", 101, 1),
    ]
    assert nans == [("exception", "nan_inf", "batch_ready", 101, 0), ("exception", "nan_inf", "batch_ready", 101, 1)]
    assert len(pauses) == 1 and pauses[0][3] == 100
    n0, n1 = names_at[collate[0]][101], names_at[collate[1]][101]
    pid = n0.split("pid ")[1].split(",")[0]
    assert "epoch 0" in n0 and "pid %s, epoch 1" % pid in n1  # the same (persistent) process, new epoch


def test_shuffled_seeded_breakpoint_indices_match_plain_loader_and_pin_hook():
    args = ["--size", 40, "--shuffle", "--seed", 1234, "--pin-probe"]
    plain = run_plain(args)
    job = Job(args)
    c = job.client()
    try:
        c.request(
            "setFunctionBreakpoints",
            breakpoints=[
                {"name": "sampler", "condition": "batch_index == 5"},
                {"name": "pin_memory", "hitCondition": "7"},
            ],
        )
        c.request("configurationDone")
        st = c.stopped()
        assert (st["stage"], st["threadId"]) == ("sampler", 1)
        frames, v = c.top_scope_vars(1)
        assert json.loads(v["indices"]["value"]) == plain[5]["idx"]
        c.request("stepIn", threadId=1)  # sampler → fetch (stepIn only enters samples from fetch)
        st = c.stopped()
        assert st["stage"] == "fetch"
        c.request("stepIn", threadId=1)
        st = c.stopped()
        frames, v = c.top_scope_vars(1)
        assert st["stage"] == "sample" and int(v["index"]["value"]) == plain[5]["idx"][0]
        c.request("continue", threadId=1)
        st = c.stopped()  # the pin_memory hook, 7th hit (hitCondition counted by the controller)
        assert st["stage"] == "pin_memory" and st["batch"]["index"] == 6
        # num_workers=0: the main-process stages read the indices from the batch's own fetch, which
        # happened in this process (nothing is noted per batch for them)
        frames, v = c.top_scope_vars(1)
        assert json.loads(v["indices"]["value"]) == plain[6]["idx"]
        c.request("next", threadId=1)
        st = c.stopped()
        assert (st["stage"], st["batch"]["index"]) == ("to_device", 6)
        frames, v = c.top_scope_vars(1)
        assert json.loads(v["indices"]["value"]) == plain[6]["idx"]
        c.request("continue", threadId=1)
        assert c.wait_event("exited", timeout=120)["exitCode"] == 0
    finally:
        c.close()
    assert job.wait() == 0
    assert [r for r in job.records() if "idx" in r] == [r for r in plain if "idx" in r]


def _non_loopback_ip():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        ip = s.getsockname()[0]
    except OSError:
        ip = None
    finally:
        s.close()
    return None if ip is None or ip.startswith("127.") else ip


def test_attach_after_200_steps_then_detach_and_refusals(tmp_path):
    session_file = tmp_path / "session.json"
    env = dict(os.environ, PYTHONPATH=str(RUNTIME), BATCHSCOPE_SESSION_FILE=str(session_file), PYTHONUNBUFFERED="1")
    env.pop("BATCHSCOPE_SECRET", None)
    proc = subprocess.Popen(
        [
            PYTHON,
            str(JOB),
            "--listen",
            "--workers",
            "2",
            "--size",
            "1200",
            "--batch-size",
            "2",
            "--step-sleep",
            "0.002",
        ],
        cwd=str(FIXTURE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        step = -1
        for line in proc.stdout:
            rec = json.loads(line)
            step = rec.get("step", step)
            if step >= 200:
                break
        assert step >= 200
        info = json.loads(session_file.read_text())
        assert oct(session_file.stat().st_mode & 0o777) == "0o600"
        port, secret = info["port"], info["secret"]

        with pytest.raises(ConnectionRefusedError):
            Client(port, "wrong-secret")
        raw = socket.create_connection(("127.0.0.1", port))
        raw.sendall(b"not json at all\n")
        assert b"refused" in raw.recv(4096)
        raw.close()
        ip = _non_loopback_ip()
        if ip:
            with pytest.raises(OSError):  # bound to 127.0.0.1 only
                socket.create_connection((ip, port), timeout=2)

        c = Client(port, secret)
        assert c.welcome["mode"] == "attach"
        with pytest.raises(ConnectionRefusedError):
            Client(port, secret)  # one adapter at a time
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "collate"}])
        st = c.stopped()
        assert st["stage"] == "collate" and st["batch"]["index"] > 200
        c.request("detach")
        c.close()
        rest = proc.stdout.read()
        assert proc.wait(timeout=180) == 0
        assert '"done": true' in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _has_accelerator():
    r = subprocess.run(
        [PYTHON, "-c", "import torch; print(int(torch.cuda.is_available()))"], capture_output=True, text=True
    )
    return r.stdout.strip() == "1"


@pytest.mark.skipif(not _has_accelerator(), reason="pin memory needs an accelerator (CPU-only torch never pins)")
def test_pin_memory_thread_on_an_accelerator():
    job = Job(["--workers", 2, "--size", 16, "--pin-memory"])
    c = job.client()
    try:
        c.request("setFunctionBreakpoints", breakpoints=[{"name": "pin_memory", "condition": "batch_index == 2"}])
        c.request("configurationDone")
        st = c.stopped()
        assert (st["stage"], st["threadId"], st["batch"]["index"]) == ("pin_memory", 2, 2)
        assert any(t["id"] == 2 and "pin memory" in t["name"] for t in c.request("threads")["threads"])
        frames, v = c.top_scope_vars(2)
        assert frames[0]["name"].startswith("pin_memory · batch 2")
        c.request("next", threadId=2)
        st = c.stopped()
        assert (st["stage"], st["threadId"], st["batch"]["index"]) == ("to_device", 1, 2)
        c.request("continue", threadId=1)
        assert c.wait_event("exited", timeout=120)["exitCode"] == 0
    finally:
        c.close()
    assert job.wait() == 0


def test_terminate_kills_what_the_program_started(tmp_path):
    # The program starts a child that ignores SIGTERM (like a spawn worker still importing torch,
    # which has no parent watchdog yet): terminate must not leave it behind.
    pidfile = tmp_path / "child.pid"
    prog = tmp_path / "prog.py"
    prog.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)'])\n"
        "open(%r, 'w').write(str(child.pid))\n"
        "time.sleep(120)\n" % str(pidfile)
    )
    secret = "s3cret-terminate"
    env = dict(os.environ, BATCHSCOPE_SECRET=secret, PYTHONPATH=str(RUNTIME))
    proc = subprocess.Popen(
        [PYTHON, "-m", "batchscope_runtime", "debug", "--port", "0", "--no-wait", "--linger", "1", "--", str(prog)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    child = None
    try:
        port = json.loads(proc.stdout.readline())["port"]
        c = Client(port, secret)
        deadline = time.monotonic() + 30
        while not pidfile.exists() or not pidfile.read_text():
            assert time.monotonic() < deadline, "the program did not start its child"
            time.sleep(0.1)
        child = int(pidfile.read_text())
        c.request("terminate")
        assert c.wait_event("exited", timeout=60)["signal"] == "SIGTERM"
        deadline = time.monotonic() + 60
        while True:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            with open("/proc/%d/stat" % child) as f:  # an orphan re-parented to init may sit as a zombie briefly
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            assert time.monotonic() < deadline, "the program's child outlived terminate"
            time.sleep(0.2)
        c.close()
        assert proc.wait(20) == 128 + 15
    finally:
        if proc.poll() is None:
            proc.kill()
        if child is not None:
            try:
                os.kill(child, 9)
            except OSError:
                pass
