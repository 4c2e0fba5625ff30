"""The hook on torch's `_utils.pin_memory.pin_memory`: the pin_memory stage.

With workers torch pins in its `_pin_memory_loop` thread (thread `2 + loader id` in the debugger,
announced on its first batch); without workers the main thread pins inline inside `__next__`.
Both paths look the module attribute up at call time, so one guarded patch (patches.py) covers both.
"""

import sys
import threading

from .. import agent as agent_mod
from .. import wire
from ..agent.batch_context import BatchCtx
from . import batch_indices
from .loaders import index_sampler, known_name, loader_by_id
from .thread_state import tls


def wrap_pin(orig_pin):
    def pin(data, *args, **kwargs):
        if getattr(tls, "in_pin", False):
            return orig_pin(data, *args, **kwargs)
        a = agent_mod.get()
        if a is None:
            return orig_pin(data, *args, **kwargs)
        ident = threading.get_ident()
        lid = a.pin_threads.get(ident)
        if lid is None:
            lid = False if threading.current_thread() is threading.main_thread() else _register_pin_thread(a, ident)
            a.pin_threads[ident] = lid
        if not a.cfg.armed:
            return orig_pin(data, *args, **kwargs)
        in_pin_loop = lid is not False
        if in_pin_loop:
            tid, idx = wire.thread_id_for_pin(lid), -1
            caller = sys._getframe(1)
            if isinstance(caller.f_locals.get("idx"), int):  # torch's pin loop holds the batch's send index
                idx = caller.f_locals["idx"]
        else:
            tid = 1
            w = a.loaders.waiting
            if w is not None:  # inline pinning inside __next__ (num_workers=0): the batch being produced
                lid, idx = w[7], w[3]
            else:  # called after the batch was handed out (user code)
                mb = getattr(tls, "main_batch", None)
                lid, idx = (mb[0], mb[3]) if mb else (0, -1)
        loader = loader_by_id(lid)
        name = known_name(loader, "loader%d" % lid) if loader is not None else "loader%d" % lid
        sampler = index_sampler(loader)
        epoch = max(getattr(sampler, "_bs_epoch", 0), 0)
        first = getattr(sampler, "_bs_offset", 0)
        if in_pin_loop and idx >= 0:
            idx += first  # torch's send index counts from the resume point
        indices = batch_indices.lookup(lid, epoch, idx) if idx >= 0 else None
        ctx = BatchCtx(lid, name, epoch, idx, indices, None, tid)
        ctx.first = first
        ctx.batch = data
        a.stops.boundary("pin_memory", ctx)
        tls.in_pin = True
        try:
            return orig_pin(data, *args, **kwargs)
        finally:
            tls.in_pin = False

    return pin


def _register_pin_thread(a, ident):
    """Find which live iterator owns this pin-memory thread; announce it as thread 2 + loader id."""
    for ref, _ in list(a.loaders.iterators):
        it = ref()
        pin = getattr(it, "_pin_memory_thread", None)
        info = getattr(it, "_bs_info", None)
        if pin is not None and info is not None and pin.ident == ident:
            a.pin_threads[ident] = info[0]
            a.send(
                {
                    "type": "thread",
                    "reason": "started",
                    "threadId": wire.thread_id_for_pin(info[0]),
                    "name": "pin memory · %s (pid %d)" % (info[1], a.pid),
                }
            )
            return info[0]
    return False  # not a pin thread we know: treat like the main thread
