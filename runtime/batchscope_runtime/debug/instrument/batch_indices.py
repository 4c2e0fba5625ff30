"""The indices each batch was drawn with, for the main-process stages that see only its number.

pin_memory, to_device and train_step run after the batch came back from a worker: they know its
(loader, epoch, batch) from the iterator, not its indices. The sampler proxy notes them here while
an adapter is attached and the loader has workers (nothing is kept otherwise); at num_workers=0
the batch was fetched in this very process, and its fetch context (agent.current) holds them. A
batch the sampler drew before the adapter attached (the workers prefetch a few) has no entry: it
says so instead of showing an empty list that looks real. Bounded: only the last few hundred batches are kept.
"""

from ..agent import core as _core

BEFORE_ATTACH = "unknown (batch dispatched before attach)"
UNKNOWN = "unknown"
_MAX = 256

_known = {}  # (loader id, epoch, batch) -> indices, oldest first (a dict keeps insertion order)
_first = {}  # loader id -> (epoch, batch) of the first batch drawn since the adapter attached


def note(lid, epoch, n, indices):
    """The sampler drew `indices` for batch `n` while attached."""
    _known[(lid, epoch, n)] = indices if isinstance(indices, (list, tuple, range)) else [indices]
    if lid not in _first:
        _first[lid] = (epoch, n)
    if len(_known) > _MAX:
        del _known[next(iter(_known))]


def detached():
    """The sampler drew a batch with no adapter attached: a later attach starts a new window."""
    _first.clear()
    _known.clear()


def lookup(lid, epoch, n):
    """The indices of a batch, or a string that says why they are not known."""
    got = _known.get((lid, epoch, n))
    if got is not None:
        return list(got)
    a = _core._agent
    for ctx in list(a.current.values()) if a is not None else ():
        # num_workers=0: the batch was fetched in this process, and its context holds the indices
        if ctx.index == n and ctx.loader_id == lid and ctx.epoch == epoch and isinstance(ctx.indices, list):
            return list(ctx.indices)
    first = _first.get(lid)
    if first is None or (epoch, n) < first:
        return BEFORE_ATTACH
    return UNKNOWN
