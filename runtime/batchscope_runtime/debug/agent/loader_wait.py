"""The main process's live DataLoader iterators: their user `timeout`, and what the main thread waits for.

While an adapter is attached a paused worker would trip the user's DataLoader timeout, so it is
switched off and this module watches the wait instead: the main thread's thread name says
"waiting Ns for batch N from worker k", and a wait longer than the user's timeout stops as `hang`
(unless the batch's worker is paused on purpose).
"""

import sys
import threading
import time

from .stack_dump import frames_of


class LoaderWait:
    def __init__(self, agent):
        self.agent = agent
        self.iterators = []  # (weakref to a live DataLoader iterator, user timeout) in the main process
        # (since, loader name, epoch, batch, worker, total, user timeout, loader id) of the main thread's wait
        self.waiting = None
        self.last_report = 0.0
        self.timeout_reported = None

    def register_iterator(self, it_ref, user_timeout):
        self.iterators.append((it_ref, user_timeout))
        self.iterators = [(r, t) for r, t in self.iterators if r() is not None]
        self.apply_timeouts()

    def live_iterators(self):
        return [it for it in (ref() for ref, _ in list(self.iterators)) if it is not None]

    def apply_timeouts(self):
        # While attached a paused worker would trip the user's DataLoader timeout: switch it off and
        # let tick() watch instead; on detach give it back.
        attached = self.agent.cfg.attached
        for ref, user_timeout in self.iterators:
            it = ref()
            if it is not None and user_timeout and hasattr(it, "_timeout"):
                it._timeout = 0 if attached else user_timeout

    def restore_timeouts(self):
        for ref, user_timeout in self.iterators:
            it = ref()
            if it is not None and user_timeout and hasattr(it, "_timeout"):
                it._timeout = user_timeout

    def tick(self):
        """A few times a second from the agent's receiver thread: report the main thread's wait."""
        a = self.agent
        w = self.waiting
        if w is None or not a.cfg.attached:
            return
        since, loader, epoch, batch, worker, total, user_timeout, loader_id = w
        waited = time.monotonic() - since
        if waited < 1:
            return
        src = " from worker %s" % worker if worker is not None else ""
        msg = "waiting %ds for batch %d%s" % (waited, batch, src)
        now = time.monotonic()
        if now - self.last_report >= 1:
            self.last_report = now
            a.send(
                {
                    "type": "waiting",
                    "loader": loader,
                    "epoch": epoch,
                    "batch": batch,
                    "worker": worker,
                    "total": total,
                    "seconds": int(waited),
                    "message": msg,
                }
            )
        cfg = a.cfg
        paused = any(100 * (loader_id + 1) <= t < 100 * (loader_id + 2) or t == 2 + loader_id for t in cfg.stopped)
        if user_timeout and waited > user_timeout and not paused and self.timeout_reported != (loader_id, epoch, batch):
            self.timeout_reported = (loader_id, epoch, batch)
            frames = [{"name": msg, "hint": "label"}]
            main = sys._current_frames().get(threading.main_thread().ident)
            frames += frames_of(main)
            a.send(
                {
                    "type": "hang",
                    "threadId": 1,
                    "stage": "fetch",
                    "batch": {"loader": loader, "loaderId": loader_id, "epoch": epoch, "index": batch},
                    "description": "DataLoader timeout (%gs): %s" % (user_timeout, msg),
                    "frames": frames,
                    "scopes": {
                        "Waiting": {
                            "batch_index": batch,
                            "worker_id": worker,
                            "waited_s": round(waited, 1),
                            "user_timeout_s": user_timeout,
                        }
                    },
                }
            )
