"""`python -m batchscope_runtime debug …`: the launch-mode controller. This process is the
controller; the program runs as its child, so a crash of the program is observed and reported.
Standard library only (the program's torch import happens in the child)."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from .controller.core import Controller
from .controller.process_tree import kill_tree
from .session import child_env

USAGE = (
    "python -m batchscope_runtime debug [--port 0] [--secret S] [--hang-timeout SEC] [--tokenizer DIR] "
    "[--cwd DIR] [--no-wait] [--linger SEC] ( -- program.py ARGS | -- -m module ARGS | --config train.yaml )"
)


def parse(argv):
    if "--" in argv:
        i = argv.index("--")
        opts, target = argv[:i], argv[i + 1 :]
    else:
        opts, target = argv, []
    p = argparse.ArgumentParser(prog="batchscope_runtime debug", usage=USAGE)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--secret")
    p.add_argument("--hang-timeout", type=float, default=30.0)
    p.add_argument("--tokenizer")
    p.add_argument("--cwd")
    p.add_argument("--config")
    p.add_argument("--no-wait", action="store_true")
    p.add_argument("--linger", type=float, default=30.0)
    a = p.parse_args(opts)
    if a.config and target:
        p.error("give either --config or a program after --, not both")
    if not a.config and not target:
        p.error("nothing to run: add -- program.py, -- -m module, or --config train.yaml")
    if target[:1] == ["-m"] and len(target) < 2:
        p.error("-m needs a module name")
    base = a.cwd or os.getcwd()
    if a.config:
        path = os.path.join(base, a.config)
        if not os.path.isfile(path):
            p.error("config not found: %s" % path)
        a.target = ["--config", os.path.abspath(path)]
    elif target[0] == "-m":
        a.target = ["-m"] + target[1:]
    else:
        path = os.path.join(base, target[0])
        if not os.path.isfile(path):
            p.error("program not found: %s" % path)
        a.target = ["--", os.path.abspath(path)] + target[1:]
    return a


def main(argv):
    a = parse(argv)
    secret = a.secret or os.environ.get("BATCHSCOPE_SECRET")
    if not secret:
        print("batchscope debug: pass --secret or set BATCHSCOPE_SECRET", file=sys.stderr)
        return 2
    if a.tokenizer:
        a.tokenizer = os.path.abspath(a.tokenizer)  # the program may run in another --cwd
    try:
        ctl = Controller(
            secret, port=a.port, mode="launch", hang_timeout=a.hang_timeout, tokenizer=a.tokenizer, wait=not a.no_wait
        )
    except OSError as e:
        print(json.dumps({"type": "error", "message": "cannot listen on 127.0.0.1:%d: %s" % (a.port, e)}), flush=True)
        return 1
    ctl.start()
    sys.stdout.write(json.dumps({"type": "listening", "port": ctl.port, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    env = child_env(os.environ, "127.0.0.1:%d" % ctl.port, secret)
    env["BATCHSCOPE_HANG_TIMEOUT"] = str(a.hang_timeout)
    if a.tokenizer:
        env["BATCHSCOPE_TOKENIZER"] = a.tokenizer
    cmd = [sys.executable, "-m", "batchscope_runtime.debug.bootstrap"] + a.target
    try:
        proc = subprocess.Popen(cmd, env=env, cwd=a.cwd or None)
    except OSError as e:
        ctl.program_exited(None, error={"typeName": type(e).__name__, "message": str(e), "traceback": ""})
        ctl.close()
        return 1

    killers = []

    def terminate():
        if proc.poll() is None:
            killers.append(kill_tree(proc.pid, 0.5, proc))

    ctl.terminate_hook = terminate
    # Ctrl-C / SIGTERM to the launcher go to the program; we stay to report its end.
    for s in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(s, lambda n, f: proc.poll() is None and proc.send_signal(n))
        except (ValueError, OSError):
            pass
    code = proc.wait()
    sig = None
    if code < 0:
        try:
            sig = signal.Signals(-code).name
        except ValueError:
            sig = str(-code)
    ctl.program_exited(code if code >= 0 else None, sig)  # after the agents' last messages
    if ctl.adapter is not None:
        deadline = time.monotonic() + a.linger
        while ctl.adapter is not None and time.monotonic() < deadline:
            ctl.adapter_gone.wait(0.2)
    ctl.close()
    for t in killers:  # the program's leftovers are SIGKILLed after the grace period: stay for that
        if t is not None:
            t.join(5.0)
    return code if code >= 0 else 128 - code
