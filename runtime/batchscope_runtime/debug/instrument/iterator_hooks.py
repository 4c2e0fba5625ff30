"""The hooks on torch's base DataLoader iterator: `__init__` (instrument the loader) and `__next__`.

`__init__` swaps the proxies in before torch reads the loader and registers the iterator with the
agent (its user timeout, its pin-memory thread). `__next__` records which batch the main thread
waits for (the "waiting Ns for batch N from worker k" status) and which one it got (the identity
the to_device/train_step stage hooks use). Both are built around torch's original by patches.py.
"""

import sys
import time
import weakref

from .. import agent as agent_mod
from ..agent import core as _core
from . import trainer_hooks
from .loader_setup import instrument_loader
from .loaders import index_sampler, known_name
from .thread_state import tls

_monotonic = time.monotonic


def wrap_init(orig_init):
    def iter_init(self, loader, *args, **kwargs):
        lid = None
        try:
            lid = instrument_loader(loader)
            if lid is not None:
                _note_declared_epoch(loader, sys._getframe(1))
        except Exception as e:  # instrumentation must never break the user's DataLoader
            print("batchscope: DataLoader not instrumented: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        orig_init(self, loader, *args, **kwargs)
        if lid is None:
            return
        trainer_hooks.maybe_patch()  # Trainer / accelerate stages, once those libraries are loaded
        a = agent_mod.get()
        if a is None:
            return
        try:
            name = known_name(loader, None) or "loader%d" % lid
            user_timeout = getattr(self, "_timeout", 0) if getattr(self, "_num_workers", 0) else 0
            object.__setattr__(self, "_bs_info", (lid, name, weakref.ref(loader), user_timeout))
            # The pin-memory thread does not exist yet (the subclass starts it after this base __init__):
            # the pin hook recognises it on its first batch.
            a.loaders.register_iterator(weakref.ref(self), user_timeout)
        except Exception as e:
            print("batchscope: iterator not tracked: %s: %s" % (type(e).__name__, e), file=sys.stderr)

    return iter_init


def wrap_next(orig_next):
    def iter_next(self):
        d = self.__dict__
        info = d.get("_bs_info")
        if info is None:
            return orig_next(self)
        a = _core._agent
        if a is None or not a.ok:
            a = agent_mod.get()
            if a is None:
                return orig_next(self)
        try:
            fixed = d.get("_bs_fixed")
            if fixed is None or fixed[0]._bs_epoch != fixed[1]:
                fixed = d["_bs_fixed"] = _fixed_for_epoch(a, self, info)
            sampler, epoch, skipped, total, nw, lid, name, user_timeout = fixed
            n = d.get("_num_yielded", 0) + skipped
            worker = _worker_of(d, n - skipped, nw) if nw else None
            since = _monotonic()
            loaders = a.loaders
            loaders.waiting = (since, name, epoch, n, worker, total, user_timeout, lid)
        except Exception:  # bookkeeping must never break iteration
            return orig_next(self)
        try:
            data = orig_next(self)
        finally:
            loaders.waiting = None
        # The epoch as of now: at num_workers=0 the sampler starts its pass inside this very call.
        epoch = sampler._bs_epoch
        entry = tls.main_batch = (lid, name, epoch if epoch > 0 else 0, n, data, total, skipped)
        if trainer_hooks._originals and a.cfg.attached:  # only under Trainer/accelerate: a batch ahead
            trainer_hooks.note_handed(entry, data)
        if since - a.last_progress >= 0.5:  # progress() reports twice a second at most
            a.progress(name, entry[2], n, total)
        return data

    return iter_next


def _worker_of(d, k, nw):
    """The worker that delivers the k-th batch of this pass (torch deals them round-robin from its own 0)."""
    task = d.get("_task_info", {}).get(d.get("_rcvd_idx", -1))
    return task[0] if task else k % nw


class _NoSampler:
    _bs_epoch = 0


def _fixed_for_epoch(a, it, info):
    """What stays the same for a whole pass of this iterator, looked up once per epoch instead of per
    batch (a persistent-workers iterator is reused across epochs: the sampler's epoch tells them apart):
    (sampler, epoch, skipped batches, total, num_workers, loader id, loader name, user timeout)."""
    lid, name, loader_ref, user_timeout = info
    sampler = index_sampler(loader_ref())
    if sampler is None or not hasattr(sampler, "_bs_epoch"):
        sampler = _NoSampler
    skipped = getattr(sampler, "_bs_offset", 0)  # a resume's skipped batches: n is the position in the epoch
    try:
        total = len(it) + skipped
    except TypeError:
        total = None
    nw = getattr(it, "_num_workers", 0)
    if nw and not it.__dict__.get("_bs_workers_kept"):
        # The workers exist once the subclass __init__ has run: keep their Process objects, so
        # a worker's exit status stays readable after this iterator is gone (worker_died).
        it.__dict__["_bs_workers_kept"] = True
        a.worker_exits.track(getattr(it, "_workers", None))
    epoch = sampler._bs_epoch
    return (sampler, epoch if epoch > 0 else 0, skipped, total, nw, lid, name, user_timeout)


def _note_declared_epoch(loader, f):
    """Hand the sampler proxy the epoch a wrapping accelerate loader (Trainer's) declares for this pass.

    accelerate iterates an inner torch DataLoader and keeps the epoch itself (`iteration`, set by
    `set_epoch`): after a resume (`skip_first_batches`) the Trainer iterates a new loader whose own
    pass count starts at 0 in the middle of, say, epoch 2. The adapter's `__iter__` frame holds it."""
    for _ in range(6):
        if f is None:
            return
        owner = f.f_locals.get("self") if f.f_code.co_name == "__iter__" else None
        d = getattr(owner, "__dict__", None)
        if d is not None and d.get("base_dataloader") is loader and type(d.get("iteration")) is int:
            sampler = index_sampler(loader)
            if sampler is not None and hasattr(sampler, "_bs_epoch"):
                sampler._bs_declared = d["iteration"]
            return
        f = f.f_back
