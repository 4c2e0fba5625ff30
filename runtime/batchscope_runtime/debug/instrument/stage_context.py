"""The stages that live outside the DataLoader (to_device, train_step) while a session is active.

`hooks.stage(name, ...)` calls `enter_stage(name, info)` once instrument.install() has registered
it. The batch's identity is the one the main thread's iterator last handed out
(thread_state.main_batch), so steps and conditions line up with the worker stages.
"""

import os
import sys
import time

from .. import agent as agent_mod
from ..agent.batch_context import BatchCtx
from .thread_state import tls


class StageCM:
    """`hooks.stage(name, ...)` while a session is active: stop at entry, time the stage."""

    __slots__ = ("name", "info", "t")

    def __init__(self, name, info):
        self.name = name
        self.info = info

    def __enter__(self):
        a = agent_mod.get()
        if a is not None and a.cfg.armed:
            mb = getattr(tls, "main_batch", None)
            info = self.info
            # The batch's identity is the one the DataLoader iterator last handed out, so steps and
            # conditions line up with the worker stages; the caller's own counter (a global
            # micro-step, say) stays visible as `info_batch_index`.
            lid, lname, epoch, n = (
                (mb[0], mb[1], mb[2], mb[3]) if mb else (0, "loader0", 0, info.get("batch_index", -1))
            )
            ctx = BatchCtx(lid, lname, epoch, n, None, None, 1)
            b = info.get("batch")
            ctx.batch = b if b is not None else (mb[4] if mb else None)
            extra = {("info_batch_index" if k == "batch_index" else k): v for k, v in info.items() if k != "batch"}
            if extra:
                ctx.extra = extra
            caller = sys._getframe(2)
            ctx.sources = {
                self.name: (os.path.abspath(caller.f_code.co_filename), caller.f_lineno),
                "module": caller.f_globals.get("__name__"),
            }
            a.stops.boundary(self.name, ctx)
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        return False


def enter_stage(name, info):
    """What hooks.stage() calls while instrumentation is installed."""
    return StageCM(name, info)
