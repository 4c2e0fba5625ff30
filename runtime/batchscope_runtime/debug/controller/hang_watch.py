"""The controller's hang watch: turns an agent's faulthandler dump into a `hang` stop, when it is one.

Each agent keeps one faulthandler timer aimed at "start of its batch in flight + hangTimeout"
(agent/hang_timer.py) and moves it lazily, so a dump can be stale (the batch finished) or early
(the agent could not move the timer in time). The agent's state file says which batch is in
flight since when; a hang is reported only when that very batch has really run that long.
"""

import os
import re
import sysconfig
import threading
import time

from .. import procinfo
from .stops import inspected_stop, local_stop

SIGNAL_GRACE_S = 1.0  # the timer's own dump normally arrives within a tick of hangTimeout
INSPECT_WAIT_S = 2.0  # a process whose stuck thread holds the GIL cannot answer: fall back sooner

_LIB_DIRS = tuple(
    os.path.realpath(p) + os.sep
    for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    if p
)


def _is_user(path):
    """Not the standard library, an installed package or this debugger (their frames are dimmed)."""
    return (
        bool(path)
        and not path.startswith("<")
        and "batchscope_runtime" not in path
        and not os.path.realpath(path).startswith(_LIB_DIRS)
    )


def parse_faulthandler(text, ident):
    """Frames of the thread `ident` (int) from a faulthandler dump, most recent first."""
    blocks = re.split(r"\n(?=(?:Current thread|Thread) 0x)", "\n" + text)
    chosen = None
    for block in blocks:
        m = re.match(r"\s*(?:Current thread|Thread) (0x[0-9a-fA-F]+)", block)
        if not m:
            continue
        if ident is None or int(m.group(1), 16) == ident:
            chosen = block
            break
    if chosen is None:
        chosen = next((b for b in blocks if "File " in b), "")
    frames = []
    for m in re.finditer(r'File "(.*)", line (\d+) in (\S+)', chosen):
        frames.append({"path": m.group(1), "line": int(m.group(2)), "name": m.group(3)})
    return frames


def stuck_first(text, ident):
    """The dump with the block of thread `ident` moved to the front (faulthandler lists the thread
    that fired first, which is its watchdog's or a signal handler's, not the stuck one)."""
    blocks = [b.strip("\n") for b in re.split(r"\n(?=(?:Current thread|Thread) 0x)", "\n" + text) if b.strip()]
    mine = [b for b in blocks if re.match(r"(?:Current thread|Thread) 0x0*%x\b" % ident, b)] if ident else []
    return "\n\n".join(mine + [b for b in blocks if b not in mine]) if mine else text


class HangWatch:
    def __init__(self, ctl):
        self.ctl = ctl

    def start(self):
        threading.Thread(target=self._loop, name="bs-watch", daemon=True).start()

    def _loop(self):
        ctl = self.ctl
        while not ctl.closed.wait(0.25):
            with ctl.lock:
                agents = list(ctl.agents.values())
            for a in agents:
                try:
                    self.check(a)
                except Exception as e:  # the watchdog must keep running
                    ctl.emit(
                        "output",
                        {
                            "category": "stderr",
                            "output": "batchscope controller: hang check: %s: %s\n" % (type(e).__name__, e),
                        },
                    )

    def check(self, a):
        if not a.hang_file:
            return
        text = None
        try:
            if os.stat(a.hang_file).st_size:
                with open(a.hang_file, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                os.truncate(a.hang_file, 0)  # the agent's fd is O_APPEND: its next dump starts at 0
        except OSError:
            return
        if text is None and a.pending_hang is None:
            self._ask_for_dump(a)
            return
        cur = a.current()
        start = cur.get("start")
        if not cur.get("busy") or start is None:
            a.pending_hang = None  # the batch finished (or is paused): nothing is stuck
            return
        if text is not None:
            a.pending_hang = (start, text)
        elif a.pending_hang[0] != start:
            a.pending_hang = None  # another batch is in flight now
            return
        if time.monotonic() - start < self.ctl.hang_timeout - 0.1 or a.hang_reported == start:
            return  # fired early: report once this very batch has really run that long
        a.hang_reported = start
        text = a.pending_hang[1]
        a.pending_hang = None
        self._report(a, text, cur)

    def _ask_for_dump(self, a):
        """A batch past hangTimeout (+ SIGNAL_GRACE_S) with no dump: its timer thread never got the
        GIL to arm faulthandler. Ask the process's C-level faulthandler handler by signal, once."""
        ctl = self.ctl
        if (
            not a.dump_signal
            or a.pid is None
            or a.said_bye  # exiting: its handler may be unregistered already
            or ctl.adapter is None
            or "hang" not in ctl.breakpoints.filters
        ):
            return
        cur = a.current()
        start = cur.get("start")
        if not cur.get("busy") or start is None or a.signalled == start or a.hang_reported == start:
            return
        if time.monotonic() - start < ctl.hang_timeout + SIGNAL_GRACE_S:
            return
        a.signalled = start
        try:
            os.kill(a.pid, a.dump_signal)
        except OSError:
            pass

    def _inspect(self, a, tid, cur):
        """Ask the stuck process's agent to snapshot the stuck thread (frames, locals, syscall) and
        serve the stop itself; the stop's body, or None when it does not answer in time."""
        ctl = self.ctl
        box = {}
        done = threading.Event()

        def answered(body):
            box["body"] = body
            done.set()

        cid = ctl.calls.new(("inspect", answered))
        msg = {
            "type": "inspectHang",
            "id": cid,
            "threadId": tid,
            "stage": cur.get("stage"),
            "hangTimeout": ctl.hang_timeout,
        }
        if not a.conn.send(msg) or not done.wait(INSPECT_WAIT_S):
            if ctl.calls.pop(cid) is None and done.wait(0.5):  # answered just now
                return box.get("body")
            return None
        return box.get("body")

    def _report(self, a, text, cur):
        ctl = self.ctl
        tid = a.thread_id if a.kind == "worker" else 1
        t = ctl.threads.get(tid)
        if t is not None and t.stop is not None:
            return  # paused by the user: never a hang
        body = self._inspect(a, tid, cur)
        if body is not None:
            inspected_stop(ctl, a, body)
            return
        # The agent did not answer (its stuck thread holds the GIL, or it is gone): what the
        # faulthandler dump and /proc say, served by the controller.
        frames = [
            {"name": f["name"], "path": f["path"], "line": f["line"]} for f in parse_faulthandler(text, a.stage_ident)
        ]
        for f in frames:
            if not _is_user(f["path"]):
                f["hint"] = "subtle"
        # The innermost frame in the user's code (the stdlib `re.match` it called is not the news).
        stuck = next((f for f in frames if "hint" not in f), None) or next(
            (f for f in frames if "/torch/" not in f["path"] and "batchscope_runtime" not in f["path"]), None
        )
        stage = cur.get("stage") or "fetch"
        batch = cur.get("batch") or {}
        hang_timeout = ctl.hang_timeout
        desc = "%s of batch %s stuck for over %gs" % (stage, batch.get("index"), hang_timeout)
        if stuck:
            desc += " at %s:%d in %s" % (os.path.basename(stuck["path"]), stuck["line"], stuck["name"])
        blocked = procinfo.blocked_in(a.pid, a.native_tid) if a.native_tid else None
        state = procinfo.state_text(blocked)
        if state:
            desc += "; %s" % state
        label = [{"name": "%s · batch %s (hang > %gs)" % (stage, batch.get("index"), hang_timeout), "hint": "label"}]
        info = {
            "pid": a.pid,
            "stage": stage,
            "batch_index": batch.get("index"),
            "indices": cur.get("indices"),
            "hang_timeout_s": hang_timeout,
            "faulthandler": text[-4000:],
        }
        if blocked:
            info["blocked_in"] = blocked
        exc = {
            "exceptionId": "hang",
            "description": desc,
            "breakMode": "always",
            "details": {
                "message": desc,
                "typeName": "Hang",
                "fullTypeName": "batchscope.Hang",
                "stackTrace": stuck_first(text, a.stage_ident)[:8000],
            },
        }
        local_stop(
            ctl, tid, "hang", desc, frames + label, {"Hang": info}, batch=batch or None, stage=stage, exception=exc
        )
