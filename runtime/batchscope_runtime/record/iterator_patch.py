"""Where a recording sees batches: torch's base DataLoader iterator, in the main process.

Two guarded class patches, installed by the first recording and then left in place (inert, one
global read per batch, when nothing records):
    __next__      hands each yielded batch (after collate and pin_memory: what the loop receives)
                  to the active recorder, with its batch index, epoch, worker and loader name
    _next_index   keeps the sampler's item (the sample indices) for each task until its batch comes back

These are separate from the debugger's iterator patches on purpose: a training run records without
a debug session, and the debugger's `__next__` does nothing without one. When both are present each
wraps the other; the debugger's names and epochs (`_bs_info`, `_bs_epoch`) are used when there.
"""

import weakref

_recorder = None  # the active Recorder (see __init__.start)
_installed = False
_MARK = "_batchscope_record"
_loader_names = weakref.WeakKeyDictionary()  # index sampler -> "loaderN" (without a debug session)
_passes = weakref.WeakKeyDictionary()  # index sampler -> passes started (the epoch without a debugger)
_fallback = {}  # id(index sampler) -> [name, passes] for samplers that cannot be weakly referenced


def set_recorder(r):
    global _recorder
    _recorder = r


def _wrap_next(orig):
    def __next__(self):
        r = _recorder
        if r is None:
            return orig(self)
        d = self.__dict__
        n = d.get("_num_yielded", 0)
        rcvd = d.get("_rcvd_idx")
        info = d.get("_task_info")
        pre = info.get(rcvd) if info is not None and rcvd is not None else None
        data = orig(self)
        try:
            r.offer(data, _meta(self, d, n, rcvd, pre))
        except Exception as e:  # recording must never break the user's loop
            r.internal_error(e)
        return data

    return __next__


def _meta(it, d, n, rcvd, pre):
    sampler = d.get("_index_sampler")
    bs_info = d.get("_bs_info")  # (lid, name, ...) when the debugger instruments this iterator
    name, passes = _names(sampler, n)
    epoch = getattr(sampler, "_bs_epoch", None)
    if not isinstance(epoch, int) or epoch < 0:
        epoch = passes
    pending = d.get("_bsr_pending")
    worker = None
    if "_send_idx" in d:  # worker processes: the task this batch answered (torch keeps them in order)
        task = d.get("_rcvd_idx", 0) - 1
        raw = pending.pop(task, None) if pending is not None and d.get("_in_order", True) else None
        if pre is not None and task == rcvd:
            worker = pre[0]
    else:
        raw = pending.pop(-1, None) if pending is not None else None
    return (n, epoch, worker, bs_info[1] if bs_info else name, raw)


def _names(sampler, n):
    """(name, epoch) of the loader behind `sampler`; a pass starts when an iterator yields its first batch."""
    try:
        name = _loader_names.get(sampler)
        if name is None:
            name = _loader_names[sampler] = "loader%d" % (len(_loader_names) + len(_fallback))
            _passes[sampler] = -1 if n == 0 else 0
        if n == 0:
            _passes[sampler] += 1
        return name, _passes[sampler]
    except TypeError:  # not weak-referenceable
        entry = _fallback.setdefault(
            id(sampler), ["loader%d" % (len(_loader_names) + len(_fallback)), -1 if n == 0 else 0]
        )
        if n == 0:
            entry[1] += 1
        return entry[0], entry[1]


def _wrap_next_index(orig):
    def _next_index(self):
        idx = orig(self)
        if _recorder is not None:
            d = self.__dict__
            pending = d.get("_bsr_pending")
            if pending is None:
                pending = d["_bsr_pending"] = {}
            # With workers the item goes out as task `_send_idx`; in one process the next batch is this one.
            pending[d.get("_send_idx", -1)] = idx
        return idx

    return _next_index


def install():
    """Patch torch's base iterator once (ImportError when torch is missing)."""
    global _installed
    if _installed:
        return
    from torch.utils.data import dataloader

    base = dataloader._BaseDataLoaderIter
    for attr, factory in (("__next__", _wrap_next), ("_next_index", _wrap_next_index)):
        current = base.__dict__.get(attr) or getattr(base, attr)
        if getattr(current, _MARK, False):
            continue  # another copy of this package already patched it
        repl = factory(current)
        setattr(repl, _MARK, True)
        setattr(base, attr, repl)
    _installed = True
