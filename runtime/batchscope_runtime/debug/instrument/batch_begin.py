"""A batch begins in the process that fetches it: its BatchCtx is made and the fetch stage entered.

Called from the dataset proxy (torch ≥ 2.0 hands it the whole index list through __getitems__) and
from the tagged index lists (torch < 2.0, and iterable datasets, iterate the list in fetch).
"""

import time

from .. import agent as agent_mod
from .loaders import loader_by_id
from .sources import sources_of
from .thread_state import tls


def begin_map_batch(indices, meta):
    a = agent_mod.get()
    if a is None:
        return
    ctx = a.begin_fetch(meta, indices[:], sources_of(inner_dataset(meta[0])))
    ctx.samples = []
    ctx.timings["fetch"] = 0.0
    tls.ctx = ctx
    a.stops.boundary("fetch", ctx)
    tls.fetch_t = time.perf_counter()


def begin_iterable_batch(indices, meta):
    a = agent_mod.get()
    if a is None:
        return
    # An iterable dataset has no indices: the ctx records the sample positions it yields.
    ctx = a.begin_fetch(meta, [], sources_of(getattr(tls, "iter_inner", None) or inner_dataset(meta[0])))
    ctx.samples = []
    ctx.timings["fetch"] = 0.0
    tls.ctx = ctx
    a.stops.boundary("fetch", ctx)
    tls.fetch_t = time.perf_counter()


def inner_dataset(lid):
    """The user's dataset behind loader `lid`, for source locations (worker: its own copy)."""
    try:
        from torch.utils.data import get_worker_info

        info = get_worker_info()
    except Exception:
        info = None
    proxy = info.dataset if info is not None else getattr(loader_by_id(lid), "dataset", None)
    return getattr(proxy, "_bs_inner", None) or object()
