"""The stages that live outside the DataLoader (to_device, train_step) while a session is active.

`hooks.stage(name, ...)` calls `enter_stage(name, info)` once instrument.install() has registered
it. The batch's identity is the one the main thread's iterator last handed out
(thread_state.main_batch), so steps and conditions line up with the worker stages.
"""

import contextlib
import os
import sys

from .. import agent as agent_mod
from ..agent.batch_context import BatchCtx
from . import batch_indices
from .thread_state import tls
from .trainer_hooks import batch_of


class StageCM:
    """`hooks.stage(name, ...)` while a breakpoint, step or pause is armed: the stop at entry."""

    __slots__ = ("name", "info")

    def __init__(self, name, info):
        self.name = name
        self.info = info

    def __enter__(self):
        a = agent_mod.get()
        if a is not None and a.cfg.armed:
            info = self.info
            # The batch the iterator handed out with this very tensor (accelerate runs a batch
            # ahead, so the last one handed out may be the next batch), else the last one.
            b = info.get("batch")
            mb = (batch_of(b) if b is not None else None) or getattr(tls, "main_batch", None)
            # The batch's identity is the one the DataLoader iterator last handed out, so steps and
            # conditions line up with the worker stages; the caller's own counter (a global
            # micro-step, say) stays visible as `info_batch_index`.
            lid, lname, epoch, n = (
                (mb[0], mb[1], mb[2], mb[3]) if mb else (0, "loader0", 0, info.get("batch_index", -1))
            )
            ctx = BatchCtx(lid, lname, epoch, n, batch_indices.lookup(lid, epoch, n) if mb else None, None, 1)
            ctx.first = mb[6] if mb else 0
            ctx.batch = b if b is not None else (mb[4] if mb else None)
            extra = {
                ("info_batch_index" if k == "batch_index" else k): v
                for k, v in info.items()
                if k != "batch" and not k.startswith("_")
            }
            if extra:
                ctx.extra = extra
            src = info.get("_source")  # set by the automatic stages (trainer_hooks.py): the user's code
            if src is None:
                caller = sys._getframe(2)
                src = (os.path.abspath(caller.f_code.co_filename), caller.f_lineno)
                module = caller.f_globals.get("__name__")
            else:
                module = info.get("_module")
            ctx.sources = {self.name: src, "module": module}
            a.stops.boundary(self.name, ctx)
        return self

    def __exit__(self, *exc):
        return False


# Attached but nothing armed (the usual state of a running job): these stages have nothing to do,
# so every batch gets this one shared, reusable context manager and allocates nothing.
_IDLE = contextlib.nullcontext()


def enter_stage(name, info):
    """What hooks.stage() calls while instrumentation is installed."""
    a = agent_mod.get()
    if a is None or not a.cfg.armed:
        return _IDLE
    return StageCM(name, info)
