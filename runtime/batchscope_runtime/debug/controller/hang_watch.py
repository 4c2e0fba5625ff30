"""The controller's hang watch: turns an agent's faulthandler dump into a `hang` stop, when it is one.

Each agent keeps one faulthandler timer aimed at "start of its batch in flight + hangTimeout"
(agent/hang_timer.py) and moves it lazily, so a dump can be stale (the batch finished) or early
(the agent could not move the timer in time). The agent's state file says which batch is in
flight since when; a hang is reported only when that very batch has really run that long.
"""

import os
import re
import threading
import time

from .stops import local_stop


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

    def _report(self, a, text, cur):
        ctl = self.ctl
        tid = a.thread_id if a.kind == "worker" else 1
        t = ctl.threads.get(tid)
        if t is not None and t.stop is not None:
            return  # paused by the user: never a hang
        frames = [
            {"name": f["name"], "path": f["path"], "line": f["line"]} for f in parse_faulthandler(text, a.stage_ident)
        ]
        stuck = next((f for f in frames if "/torch/" not in f["path"] and "batchscope_runtime" not in f["path"]), None)
        stage = cur.get("stage") or "fetch"
        batch = cur.get("batch") or {}
        hang_timeout = ctl.hang_timeout
        desc = "%s of batch %s stuck for over %gs" % (stage, batch.get("index"), hang_timeout)
        if stuck:
            desc += " at %s:%d in %s" % (os.path.basename(stuck["path"]), stuck["line"], stuck["name"])
        label = [{"name": "%s · batch %s (hang > %gs)" % (stage, batch.get("index"), hang_timeout), "hint": "label"}]
        info = {
            "pid": a.pid,
            "stage": stage,
            "batch_index": batch.get("index"),
            "indices": cur.get("indices"),
            "hang_timeout_s": hang_timeout,
            "faulthandler": text[-4000:],
        }
        exc = {
            "exceptionId": "hang",
            "description": desc,
            "breakMode": "always",
            "details": {
                "message": desc,
                "typeName": "Hang",
                "fullTypeName": "batchscope.Hang",
                "stackTrace": text[-8000:],
            },
        }
        local_stop(
            ctl, tid, "hang", desc, frames + label, {"Hang": info}, batch=batch or None, stage=stage, exception=exc
        )
