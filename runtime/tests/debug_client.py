"""A small Python client of protocol/debug-protocol.md, used by the debug tests (not a test file)."""

import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time

from conftest import REPO, RUNTIME

sys.path.insert(0, str(RUNTIME))
from batchscope_runtime.debug import wire  # noqa: E402

FIXTURE_DIR = REPO / "test" / "fixtures" / "debug"
JOB = FIXTURE_DIR / "loader_job.py"
PYTHON = os.environ.get("BATCHSCOPE_TEST_PYTHON", sys.executable)


def messages(reader):
    """A peer's messages until its connection ends (closed, reset or unreadable)."""
    while True:
        try:
            msg = reader.read()
        except (OSError, ValueError):
            return
        if msg is None:
            return
        yield msg


class FakeAgent:
    """An agent's side of the controller protocol over a real socket, for controller unit tests: it
    applies (acknowledges) each config after `ack_delay` seconds, or never when `ack_delay` is None,
    and queues every other message."""

    def __init__(self, port, secret, ack_delay=0.0, kind="main", thread_id=1):
        hello = {"type": "hello", "role": "agent", "protocol": wire.PROTOCOL, "secret": secret, "pid": os.getpid()}
        hello.update(kind=kind, threadId=thread_id, name=kind)
        self.sock, self.reader, self.first = wire.connect("127.0.0.1", port, hello)
        self.ack_delay = ack_delay
        self.acked = []
        self.messages = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for msg in messages(self.reader):
            if msg.get("type") != "config":
                self.messages.put(msg)
            elif self.ack_delay is not None:
                time.sleep(self.ack_delay)
                self.acked.append(msg["version"])
                try:
                    self.send({"type": "configAck", "version": msg["version"]})
                except OSError:
                    return  # closed by the test

    def send(self, msg):
        self.sock.sendall(wire.encode(msg))

    def next(self, kind, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            if msg.get("type") == kind:
                return msg

    def close(self):
        import socket

        try:  # FIN now: a close() alone waits for the reader thread's recv to return
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Client:
    def __init__(self, port, secret, host="127.0.0.1"):
        self.sock, self.reader, self.welcome = wire.connect(
            host, port, {"type": "hello", "role": "adapter", "protocol": 1, "secret": secret, "client": "pytest"}
        )
        if self.welcome is None or self.welcome.get("type") != "welcome":
            raise ConnectionRefusedError(str(self.welcome))
        self.seq = 0
        self.events = queue.Queue()
        self.responses = {}
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for msg in messages(self.reader):
            if msg.get("type") == "response":
                with self.cond:
                    self.responses[msg["request_seq"]] = msg
                    self.cond.notify_all()
            elif msg.get("type") == "event":
                self.events.put(msg)
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self.events.put(None)

    def send(self, command, **arguments):
        self.seq += 1
        self.sock.sendall(wire.encode({"type": "request", "seq": self.seq, "command": command, "arguments": arguments}))
        return self.seq

    def raw(self, command, timeout=20, **arguments):
        seq = self.send(command, **arguments)
        deadline = time.monotonic() + timeout
        with self.cond:
            while seq not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise TimeoutError("no response to %s" % command)
                self.cond.wait(left)
            return self.responses.pop(seq)

    def request(self, command, timeout=20, **arguments):
        r = self.raw(command, timeout=timeout, **arguments)
        if not r["success"]:
            raise AssertionError("%s failed: %s" % (command, r.get("message")))
        return r["body"]

    def wait_event(self, name, pred=None, timeout=60):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %s event; saw %s" % (name, [e["event"] for e in seen][-20:]))
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if e is None:
                raise EOFError(
                    "connection closed while waiting for %s; saw %s" % (name, [x["event"] for x in seen][-20:])
                )
            seen.append(e)
            if e["event"] == name and (pred is None or pred(e["body"])):
                return e["body"]

    def stopped(self, timeout=60, pred=None):
        return self.wait_event("stopped", pred, timeout)

    def top_scope_vars(self, thread_id):
        frames = self.request("stackTrace", threadId=thread_id)["stackFrames"]
        scopes = self.request("scopes", frameId=frames[0]["id"])["scopes"]
        vars_ = self.request("variables", variablesReference=scopes[0]["variablesReference"])["variables"]
        return frames, {v["name"]: v for v in vars_}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Job:
    """`python -m batchscope_runtime debug … -- loader_job.py ARGS` with its stdout collected."""

    def __init__(self, args, hang_timeout=None, tokenizer=None, no_wait=False, linger=5, program=JOB, cwd=FIXTURE_DIR):
        self.secret = secrets.token_hex(8)
        cmd = [PYTHON, "-m", "batchscope_runtime", "debug", "--port", "0", "--linger", str(linger)]
        if hang_timeout:
            cmd += ["--hang-timeout", str(hang_timeout)]
        if tokenizer:
            cmd += ["--tokenizer", str(tokenizer)]
        if no_wait:
            cmd.append("--no-wait")
        cmd += ["--", str(program)] + [str(a) for a in args]
        env = dict(os.environ, BATCHSCOPE_SECRET=self.secret, PYTHONPATH=str(RUNTIME), PYTHONUNBUFFERED="1")
        # Its own process group: kill() takes the program and its workers down with the launcher, so a
        # failed test never leaves a job behind (a worker spinning in a regex ran on for 20 minutes).
        self.proc = subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        first = self.proc.stdout.readline()
        info = json.loads(first)
        assert info["type"] == "listening", first
        self.port = info["port"]
        self.lines = []
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr), daemon=True).start()

    @staticmethod
    def _pump(stream, out):
        for line in stream:
            out.append(line)

    def client(self):
        return Client(self.port, self.secret)

    def records(self):
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait(self, timeout=120):
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the launcher, the program and its workers
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_plain(args, timeout=120):
    """The same program without the debugger: the ground truth for indices."""
    env = dict(os.environ, PYTHONPATH=str(RUNTIME))
    r = subprocess.run(
        [PYTHON, str(JOB)] + [str(a) for a in args],
        cwd=str(FIXTURE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
