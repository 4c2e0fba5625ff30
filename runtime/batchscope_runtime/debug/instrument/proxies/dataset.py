"""The map-style dataset proxy: the fetch stage (and the sample stage, one index at a time).

torch ≥ 2.0 hands the whole index list to `__getitems__`, where the batch begins; torch < 2.0
iterates the tagged list (tags.py begins the batch) and calls `__getitem__` per index.
"""

import time

from ... import agent as agent_mod
from ..batch_begin import new_ctx
from ..tags import take_meta
from ..thread_state import tls
from .base import Proxy


class MapDatasetProxy(Proxy):
    """Wraps a map-style dataset. Defines `__getitems__` so a whole batch of indices arrives in one call."""

    def __init__(self, inner, loader_id, loader_name):
        self._bs_inner = inner
        self._bs_loader_id = loader_id
        self._bs_loader_name = loader_name

    def __len__(self):
        return len(self._bs_inner)

    def __getitem__(self, index):
        ctx = getattr(tls, "ctx", None)
        if ctx is None or ctx.stage != "fetch":
            return self._bs_inner[index]
        # torch < 2.0 path: one call per index inside a batch begun by TaggedIndices.__iter__
        a = agent_mod.get()
        if a is None:
            return self._bs_inner[index]
        if a.cfg.armed:
            ctx.sample_pos = (len(ctx.samples), index)
            ctx.sample = None
            a.stops.boundary("sample", ctx)
        try:
            sample = self._bs_inner[index]
        except Exception as e:
            tls.ctx = None
            ctx.timings["fetch"] = time.perf_counter() - tls.fetch_t
            a.stops.exception("fetch_error", "fetch", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.samples.append(sample)
        return sample

    def __getitems__(self, indices):
        a = agent_mod.get()
        meta = take_meta(indices)
        if a is None or meta is None:
            return _fetch_plain(self._bs_inner, indices)
        ctx = new_ctx(a, meta, indices, self._bs_inner)
        ctx.stage = "fetch"
        a.begin(ctx)
        a.stops.boundary("fetch", ctx)
        t = time.perf_counter()
        inner = self._bs_inner
        try:
            own = getattr(inner, "__getitems__", None)
            if own is not None:
                data = own(list(list.__iter__(indices)))
            else:
                data = []
                armed = a.cfg.armed
                for pos, i in enumerate(list.__iter__(indices)):
                    if armed:
                        ctx.sample_pos = (pos, i)
                        ctx.sample = None
                        ctx.samples = data
                        a.stops.boundary("sample", ctx)
                        armed = a.cfg.armed
                    data.append(inner[i])
        except Exception as e:
            ctx.timings["fetch"] = time.perf_counter() - t
            a.stops.exception("fetch_error", "fetch", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.timings["fetch"] = time.perf_counter() - t
        ctx.samples = data
        ctx.sample_pos = None
        tls.ctx = ctx
        return data


def _fetch_plain(inner, indices):
    own = getattr(inner, "__getitems__", None)
    if own is not None:
        return own(list(indices))
    return [inner[i] for i in list.__iter__(indices)] if isinstance(indices, list) else [inner[i] for i in indices]
