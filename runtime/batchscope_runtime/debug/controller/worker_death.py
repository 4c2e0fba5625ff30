"""`worker_died`: a worker's connection closed without a goodbye; find out how it ended and report it.

Only the worker's parent, the job's main process, can read its exit status, so the controller
gets it from the main agent (agent/worker_exits.py), from whichever comes first:
- the answer to a `probe` (the agent waits for the worker to have fully exited, then reads the
  status without reaping it);
- the main process's `bye`, which carries the status of every worker that has ended.
The wait ends as soon as the status is known or the main connection is closed (its `bye`, if any,
was handled before, since both come in order on that connection), not after a fixed time: a fixed
wait that lost the race against the main process exiting under CPU load was what made the
worker_died tests flaky (the death was then taken for torch's teardown and never reported).
A status that says SIGTERM (or nothing) while the main process is saying goodbye is torch's
teardown, not a death to report.
"""

import threading
import time

from .stops import local_stop, mark_exited

# Longest wait for the main process's answer while it stays connected but cannot answer (stuck in
# C with the GIL held); longer than the agent's own wait for the worker to finish exiting.
STATUS_WAIT_S = 15.0


class WorkerDeaths:
    def __init__(self, ctl):
        self.ctl = ctl
        self.cond = threading.Condition()
        self.statuses = {}  # worker pid -> {"pid", "signal", "exitCode"[, "unknown"]} from the main agent
        self.reporting = 0  # deaths being looked into (under ctl.agent_news): `exited` waits for them

    def record(self, statuses):
        """Exit statuses from the main agent (a probe answer or its bye)."""
        with self.cond:
            for st in statuses or ():
                pid = st.get("pid") if isinstance(st, dict) else None
                if pid is None:
                    continue
                known = self.statuses.get(pid)
                if known is None or (known.get("unknown") and not st.get("unknown")):
                    self.statuses[pid] = st
            self.cond.notify_all()

    def main_gone(self):
        """The main agent's connection closed: nobody will answer a probe any more."""
        with self.cond:
            self.cond.notify_all()

    def worker_gone(self, peer):
        with self.ctl.agent_news:
            self.reporting += 1
        threading.Thread(target=self._report_counted, args=(peer,), name="bs-worker-gone", daemon=True).start()

    def _report_counted(self, peer):
        try:
            self._report(peer)
        finally:
            with self.ctl.agent_news:
                self.reporting -= 1
                self.ctl.agent_news.notify_all()

    def _status(self, pid):
        ctl = self.ctl
        deadline = time.monotonic() + STATUS_WAIT_S
        cid = None
        try:
            with self.cond:
                while True:
                    st = self.statuses.get(pid)
                    if st is not None:
                        return st
                    main = ctl.main_agent()
                    if main is None:
                        return None  # gone, and its bye (if it said one) did not name this worker
                    if cid is None:
                        cid = ctl.calls.new(("probe", lambda body: self.record([body]) if body else None))
                        # A failed send means the main process has closed its end: its bye may still be
                        # unread on that connection, so wait for the connection to be served to its end
                        # (main_gone) rather than give up here, which took a killed worker for a normal exit.
                        main.conn.send({"type": "probe", "id": cid, "pid": pid})
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self.cond.wait(left)
        finally:
            if cid is not None:
                ctl.calls.pop(cid)

    def _report(self, a):
        ctl = self.ctl
        cur = a.current()
        a.remove_files()
        status = self._status(a.pid) or {}
        sig = status.get("signal")
        code = status.get("exitCode")
        main = ctl.main_agent()
        normal = sig is None and code in (0, None) and not status.get("unknown")
        # While the job ends torch terminates (SIGTERM) workers that do not stop in time: not a death to report.
        teardown = (main is None or main.said_bye) and sig in (None, "SIGTERM")
        if normal or teardown:
            with ctl.lock:
                t = ctl.threads.get(a.thread_id)
                if t and t.slot == a.slot:
                    mark_exited(ctl, t)
            return
        how = ("killed by signal %s" % sig) if sig else ("exited with code %s" % code if code is not None else "ended")
        desc = "worker %s (pid %s) %s" % (a.worker, a.pid, how)
        if cur.get("stage"):
            desc += " during %s of batch %s" % (cur["stage"], cur.get("batch", {}).get("index"))
        elif cur.get("batch"):
            desc += " after batch %s" % cur["batch"].get("index")
        info = {
            "pid": a.pid,
            "worker_id": a.worker,
            "signal": sig,
            "exit_code": code,
            "last_stage": cur.get("stage"),
            "batch_index": (cur.get("batch") or {}).get("index"),
            "epoch": (cur.get("batch") or {}).get("epoch"),
            "indices": cur.get("indices"),
            "rss_mb": cur.get("rssMb"),
        }
        frames = [
            {
                "name": "%s · batch %s (worker died)" % (cur.get("stage") or "?", info["batch_index"]),
                "path": cur.get("path"),
                "line": cur.get("line"),
            },
            {"name": "worker %s · pid %s · %s" % (a.worker, a.pid, how), "hint": "label"},
        ]
        exc = {
            "exceptionId": "worker_died",
            "description": desc,
            "breakMode": "always",
            "details": {
                "message": desc,
                "typeName": "WorkerDied",
                "fullTypeName": "batchscope.WorkerDied",
                "stackTrace": "",
            },
        }
        with ctl.lock:
            t = ctl.threads.get(a.thread_id)
            if t:
                t.alive = False
        local_stop(
            ctl,
            a.thread_id,
            "worker_died",
            desc,
            frames,
            {"Worker": info},
            batch=cur.get("batch"),
            stage=cur.get("stage"),
            exception=exc,
        )
