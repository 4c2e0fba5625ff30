"""A batch begins in the process that fetches it: its BatchCtx is made and the fetch stage entered.

Called from the dataset proxy (torch ≥ 2.0 hands it the whole index list through __getitems__) and
from the tagged index lists (torch < 2.0, and iterable datasets, iterate the list in fetch).
"""

import time

from .. import agent as agent_mod
from ..agent.batch_context import begun
from .loaders import loader_by_id
from .sources import sources_of
from .thread_state import tls


def new_ctx(a, meta, indices, inner):
    """The BatchCtx of a batch this process begins fetching (stage "fetch"); `indices` is copied
    into a plain list (a tagged list's slice is one)."""
    return begun(meta, indices[:], a.batch_ids, sources_of(inner))


def begin_map_batch(indices, meta):
    a = agent_mod.get()
    if a is None:
        return
    ctx = new_ctx(a, meta, indices, inner_dataset(meta[0]))
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
