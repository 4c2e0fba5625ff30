"""The map-style dataset proxy: the fetch stage (and the sample stage, one index at a time).

torch ≥ 2.0 hands the whole index list to `__getitems__`, where the batch begins; torch < 2.0
iterates the tagged list (tags.py begins the batch) and calls `__getitem__` per index.
"""

import time

from ... import agent as agent_mod
from ...agent import core as _core
from ...agent.raise_site import note_failing_sample, retry_alone
from ..sources import sources_of
from ..tags import PassTag, TaggedIndex, TaggedIndices
from ..thread_state import tls
from .base import Proxy
from .sampler import sampler_stop

_perf_counter = time.perf_counter


class MapDatasetProxy(Proxy):
    """Wraps a map-style dataset. Defines `__getitems__` so a whole batch of indices arrives in one call."""

    def __init__(self, inner, loader_id, loader_name):
        self._bs_inner = inner
        self._bs_loader_id = loader_id
        self._bs_loader_name = loader_name

    def __len__(self):
        return len(self._bs_inner)

    def __getitem__(self, index):
        if type(index) is TaggedIndex:
            return self._bs_single(index)
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
            note_failing_sample(ctx, len(ctx.samples), index)
            ctx.timings["fetch"] = time.perf_counter() - tls.fetch_t
            a.stops.exception("fetch_error", "fetch", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.samples.append(sample)
        return sample

    def _bs_single(self, index):
        """No auto-collation (batch_size=None): one index is the whole batch; collate follows."""
        meta = index.__dict__.pop("_bs", None)
        i = int(index)
        a = agent_mod.get()
        if a is None or meta is None:
            return self._bs_inner[i]
        ctx = a.begin_fetch(meta, [i], sources_of(self._bs_inner))
        a.stops.boundary("fetch", ctx)
        t = time.perf_counter()
        try:
            sample = self._bs_inner[i]
        except Exception as e:
            note_failing_sample(ctx, 0, i)
            ctx.timings["fetch"] = time.perf_counter() - t
            a.stops.exception("fetch_error", "fetch", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.timings["fetch"] = time.perf_counter() - t
        ctx.samples = [sample]
        ctx.sample_pos = None
        tls.ctx = ctx
        return sample

    def __getitems__(self, indices):
        # The hot path of an attached job: one batch per call. The tag comes paired with the index
        # list (num_workers=0: (PassTag, n, indices), from the sampler proxy) or rides on it (a
        # tagged list, in a worker); the agent is taken from its global.
        drawn = None
        if type(indices) is tuple and len(indices) == 3 and type(indices[0]) is PassTag:
            drawn, n, indices = indices
            # The batch tag, as a tagged list carries it.
            meta = (drawn.loader_id, drawn.name, drawn.epoch, n, drawn.total, drawn.first)
        else:
            meta = indices.__dict__.pop("_bs", None) if type(indices) is TaggedIndices else None
        a = _core._agent
        if a is None or not a.ok:
            a = agent_mod.get()
        inner = self._bs_inner
        if a is None or meta is None:
            return _fetch_plain(inner, indices)
        if drawn is not None and a.cfg.armed:
            sampler_stop(a, meta, indices)  # drawn just now, in this thread, by torch's _next_index
        # A copy the batch context owns (a slice: a tagged list's own __iter__ would begin a batch).
        ctx = a.begin_fetch(meta, indices[:] if isinstance(indices, list) else list(indices), sources_of(inner))
        if a.cfg.armed:
            return self._bs_fetch_armed(a, ctx)
        own = getattr(inner, "__getitems__", None)
        it = iter(ctx.indices)
        t = _perf_counter()
        try:
            # Nothing can stop here: the dataset's own batch read, or torch's own loop.
            data = own(ctx.indices[:]) if own is not None else [inner[i] for i in it]
        except Exception as e:
            # The failing index is the last one the loop took (none: the dataset's own read).
            pos = None if own is not None else len(ctx.indices) - it.__length_hint__() - 1
            _fetch_failed(a, ctx, inner, pos, e, t)
            raise
        ctx.timings["fetch"] = _perf_counter() - t
        ctx.samples = data
        tls.ctx = ctx
        return data

    def _bs_fetch_armed(self, a, ctx):
        """__getitems__ while a breakpoint, step or pause is armed: the fetch stop, then the sample
        stops around (or, for a dataset's own batch read, after) each sample."""
        inner = self._bs_inner
        a.stops.boundary("fetch", ctx)
        t = _perf_counter()
        pos = None
        try:
            own = getattr(inner, "__getitems__", None)
            if own is not None:
                data = own(ctx.indices[:])
                cfg = a.cfg
                if (
                    cfg.armed
                    and isinstance(data, (list, tuple))
                    and (cfg.steps or cfg.pauses or "sample" in cfg.by_stage)
                ):
                    _sample_stops(a, ctx, data)
            else:
                data = []
                for pos, i in enumerate(ctx.indices[:]):
                    ctx.sample_pos = (pos, i)
                    ctx.sample = None
                    ctx.samples = data
                    a.stops.boundary("sample", ctx)
                    data.append(inner[i])
        except Exception as e:
            _fetch_failed(a, ctx, inner, pos, e, t)
            raise
        ctx.timings["fetch"] = _perf_counter() - t
        ctx.samples = data
        ctx.sample_pos = None
        tls.ctx = ctx
        return data


def _fetch_failed(a, ctx, inner, pos, e, t):
    """A batch read raised: name the failing sample (by position, or by retrying each index alone
    where the dataset read the batch itself), stop for fetch_error, end the batch."""
    if pos is not None:
        note_failing_sample(ctx, pos, ctx.indices[pos])
    elif a.cfg.attached and "fetch_error" in a.cfg.filters:
        retry_alone(ctx, inner, ctx.indices[:])
    ctx.timings["fetch"] = _perf_counter() - t
    a.stops.exception("fetch_error", "fetch", ctx, e)
    a.finish(ctx, e)


def _sample_stops(a, ctx, data):
    """The `sample` stage for a dataset that reads a whole batch in its own `__getitems__` (Hugging
    Face `datasets` does): the samples exist only once it returns, so each stop comes after the
    read, holding its sample, as for an IterableDataset."""
    idx = ctx.indices
    ctx.samples = data
    for pos, sample in enumerate(data):
        ctx.sample_pos = (pos, idx[pos] if pos < len(idx) else None)
        ctx.sample = sample
        a.stops.boundary("sample", ctx)
        if not a.cfg.armed:
            break


def _fetch_plain(inner, indices):
    own = getattr(inner, "__getitems__", None)
    if own is not None:
        return own(list(indices))
    return [inner[i] for i in list.__iter__(indices)] if isinstance(indices, list) else [inner[i] for i in indices]
