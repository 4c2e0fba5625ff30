"""`python -m batchscope_runtime controller`: the attach-mode controller process, started by listen().

It runs beside the job rather than inside it, so it can still tell the adapter how the job ended;
it stays while the job's main process lives, then lingers for the attached adapter to read the end.
"""

import argparse
import json
import os
import sys
import time

from .core import Controller


def main(argv):
    p = argparse.ArgumentParser(prog="batchscope_runtime controller")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--watch-pid", type=int, required=True)
    p.add_argument("--hang-timeout", type=float, default=30.0)
    p.add_argument("--tokenizer")
    p.add_argument("--session-file")
    a = p.parse_args(argv)
    secret = os.environ.get("BATCHSCOPE_SECRET")
    if not secret:
        print("batchscope controller: BATCHSCOPE_SECRET is not set", file=sys.stderr)
        return 2
    try:
        c = Controller(
            secret, port=a.port, mode="attach", hang_timeout=a.hang_timeout, tokenizer=a.tokenizer, wait=False
        )
    except OSError as e:
        print(json.dumps({"type": "error", "message": "cannot listen on 127.0.0.1:%d: %s" % (a.port, e)}), flush=True)
        return 1
    c.program_pid = a.watch_pid
    c.start()
    print(json.dumps({"type": "listening", "port": c.port, "pid": os.getpid()}), flush=True)
    # Stay while the job lives; once it is gone, linger for the attached adapter to read the end.
    while True:
        if c.main_gone.wait(0.5):
            break
        try:
            os.kill(a.watch_pid, 0)
        except ProcessLookupError:
            c.program_exited(None)
            break
        except PermissionError:
            pass
    _remove_session_file(a.session_file, a.watch_pid)
    deadline = time.monotonic() + 30
    while c.adapter is not None and time.monotonic() < deadline:
        c.adapter_gone.wait(0.5)
    c.close()
    return 0


def _remove_session_file(path, pid):
    """The job's own atexit removes its session file; a job killed by a signal cannot. Only a file
    that still names the job's pid is removed (a later job may have reused the path)."""
    if not path:
        return
    try:
        with open(path) as f:
            owner = json.load(f).get("pid")
    except (OSError, ValueError, AttributeError):
        return
    if owner == pid:
        try:
            os.remove(path)
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
