"""A batch begins in the process that fetches it: its BatchCtx is made and the fetch stage entered.

Called from the dataset proxy (torch ≥ 2.0 hands it the whole index list through __getitems__) and
from the tagged index lists (torch < 2.0, and iterable datasets, iterate the list in fetch).
"""

import time

from .. import agent as agent_mod
from ..agent.batch_context import BatchCtx
from .loaders import loader_by_id
from .sources import attach_sources
from .thread_state import tls


def new_ctx(a, meta, indices, inner):
    lid, name, epoch, n, total, first = meta
    if a.kind == "worker":
        tid = a.thread_id
        wid = a.worker_id
    else:
        tid, wid = 1, None
    ctx = BatchCtx(lid, name, epoch, n, list(list.__iter__(indices)), wid, tid)
    ctx.total = total
    ctx.first = first
    attach_sources(ctx, inner)
    return ctx


def begin_map_batch(indices, meta):
    a = agent_mod.get()
    if a is None:
        return
    ctx = new_ctx(a, meta, indices, inner_dataset(meta[0]))
    ctx.stage = "fetch"
    ctx.samples = []
    ctx.timings["fetch"] = 0.0
    tls.ctx = ctx
    a.begin(ctx)
    a.stops.boundary("fetch", ctx)
    tls.fetch_t = time.perf_counter()


def begin_iterable_batch(indices, meta):
    a = agent_mod.get()
    if a is None:
        return
    ctx = new_ctx(a, meta, indices, getattr(tls, "iter_inner", None) or inner_dataset(meta[0]))
    ctx.indices = []  # an iterable dataset has no indices: record the sample positions it yields
    ctx.stage = "fetch"
    ctx.samples = []
    ctx.timings["fetch"] = 0.0
    tls.ctx = ctx
    tls.fetch_t = time.perf_counter()
    a.begin(ctx)
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
