"""Starting a session inside the job: `listen()` (attach mode) and the launched-program setup.

`listen()` starts the controller as its own standard-library-only process, so it outlives this
process long enough to report how it ended, and connects this process's agent to it.
`install_from_env()` is what `hooks.install_from_env()` runs (registered by the package): it picks
launch or attach mode from the environment.
"""

import atexit
import json
import os
import secrets
import subprocess
import sys
import traceback

_listening = {}
_RUNTIME_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def child_env(env, addr, secret):
    env = dict(env)
    env["BATCHSCOPE_CONTROLLER"] = addr
    env["BATCHSCOPE_SECRET"] = secret
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if _RUNTIME_DIR not in paths:
        env["PYTHONPATH"] = os.pathsep.join([_RUNTIME_DIR] + paths)
    return env


def _parse_listen(value):
    value = (value or "").strip()
    if not value:
        return 0
    host, _, port = value.rpartition(":")
    if host and host not in ("127.0.0.1", "localhost"):
        raise ValueError("BATCHSCOPE_LISTEN may only name 127.0.0.1 (got %r)" % value)
    return int(port)


def listen(port=None, secret=None, hang_timeout=None, tokenizer=None, session_file=None):
    """Let a Batchscope debug adapter attach to this job later. Returns the port.

    port: None → BATCHSCOPE_LISTEN, else 0 (any free port). secret: None → BATCHSCOPE_SECRET, else a
    random one. The port and secret are written to `session_file` (default BATCHSCOPE_SESSION_FILE or
    ~/.cache/batchscope/sessions/<pid>.json, mode 0600). The job never waits for the adapter.
    """
    if _listening.get("pid") == os.getpid():
        return _listening["port"]
    if port is None:
        port = _parse_listen(os.environ.get("BATCHSCOPE_LISTEN"))
    secret = secret or os.environ.get("BATCHSCOPE_SECRET") or secrets.token_hex(16)
    hang_timeout = hang_timeout or float(os.environ.get("BATCHSCOPE_HANG_TIMEOUT") or 30)
    tokenizer = tokenizer or os.environ.get("BATCHSCOPE_TOKENIZER")
    cmd = [
        sys.executable,
        "-m",
        "batchscope_runtime",
        "controller",
        "--port",
        str(int(port)),
        "--watch-pid",
        str(os.getpid()),
        "--hang-timeout",
        str(hang_timeout),
    ]
    if tokenizer:
        cmd += ["--tokenizer", tokenizer]
    path = (
        session_file
        or os.environ.get("BATCHSCOPE_SESSION_FILE")
        or os.path.join(os.path.expanduser("~"), ".cache", "batchscope", "sessions", "%d.json" % os.getpid())
    )
    # The controller removes the file once this process is gone: a job killed by a signal (Stop,
    # SIGTERM, SIGKILL) runs no atexit, and the file holds the secret.
    cmd += ["--session-file", os.path.abspath(path)]
    env = child_env(os.environ, "", secret)
    env.pop("BATCHSCOPE_CONTROLLER", None)
    # Its own session: a Ctrl-C aimed at the job must not take the controller down before it reports.
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True)
    line = proc.stdout.readline()
    proc.stdout.close()
    try:
        info = json.loads(line)
    except ValueError:
        info = {}
    if info.get("type") != "listening":
        raise RuntimeError(
            "batchscope: the debug controller did not start: %s"
            % (info.get("message") or line.decode(errors="replace").strip())
        )
    real_port = int(info["port"])
    os.environ["BATCHSCOPE_CONTROLLER"] = "127.0.0.1:%d" % real_port
    os.environ["BATCHSCOPE_SECRET"] = secret
    if tokenizer:
        os.environ["BATCHSCOPE_TOKENIZER"] = tokenizer
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if _RUNTIME_DIR not in paths:  # spawned workers must import the instrumentation
        os.environ["PYTHONPATH"] = os.pathsep.join([_RUNTIME_DIR] + paths)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"port": real_port, "secret": secret, "pid": os.getpid(), "controllerPid": proc.pid}, f)
    except OSError as e:
        print("batchscope: cannot write the session file %s: %s" % (path, e), file=sys.stderr)
        path = None
    print("batchscope: listening on 127.0.0.1:%d (session file %s)" % (real_port, path), file=sys.stderr, flush=True)
    _listening.update(pid=os.getpid(), port=real_port, proc=proc, session_file=path)
    if path:
        atexit.register(_remove_session_file, path, os.getpid())
    activate(wait_go=False)
    return real_port


def _remove_session_file(path, owner):
    # The file holds the secret: it lives exactly as long as the job. Forked workers inherit atexit
    # handlers, so only the process that wrote it removes it.
    if os.getpid() == owner:
        try:
            os.remove(path)
        except OSError:
            pass


def install_from_env():
    """Start a debug session when the environment asks for one; returns the port or None.

    BATCHSCOPE_LISTEN=[127.0.0.1:]PORT → listen() (attach later); BATCHSCOPE_CONTROLLER (set by
    `python -m batchscope_runtime debug`) → connect to that controller. Otherwise nothing.
    """
    if os.environ.get("BATCHSCOPE_CONTROLLER") and os.environ.get("BATCHSCOPE_SECRET"):
        activate(wait_go=False)
        return int(os.environ["BATCHSCOPE_CONTROLLER"].rpartition(":")[2])
    if os.environ.get("BATCHSCOPE_LISTEN"):
        return listen()
    return None


def activate(wait_go=False):
    """Install the hooks and connect this (main) process to the controller named in the environment."""
    # Imported here, not at the top: the launcher imports this module for child_env() and must not
    # load the agent and the torch instrumentation into the controller process.
    from . import agent, instrument

    instrument.install()
    a = agent.start_main(wait_go=wait_go)
    if a is not None:
        from ..record.links import attach_agent  # the batch recorder: launch.json `record`, recordBatches

        attach_agent(a)
    if a is not None and not _listening.get("hooked"):
        _listening["hooked"] = True
        _hook_exit(a)
    return a


def error_info(exc):
    return {
        "typeName": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


def _hook_exit(a):
    previous = sys.excepthook

    def excepthook(tp, value, tb):
        try:
            a.bye(
                error={
                    "typeName": tp.__name__,
                    "message": str(value),
                    "traceback": "".join(traceback.format_exception(tp, value, tb)),
                }
            )
        except Exception:
            pass
        previous(tp, value, tb)

    sys.excepthook = excepthook
    atexit.register(_at_exit, a)


def _at_exit(a):
    # The batch recorder reports its end through this agent (record/links.py): it finishes first,
    # whichever order the two exit hooks were registered in, since the agent's threads end here.
    record = sys.modules.get(__package__.rpartition(".")[0] + ".record")
    finish = getattr(record, "_finish_at_exit", None)
    if finish is not None:
        try:
            finish()
        except Exception:
            pass
    a.at_exit()
