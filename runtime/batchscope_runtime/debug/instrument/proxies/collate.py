"""The collate_fn proxy: the collate and batch_ready stages, collate_error and the nan_inf check.

Collate runs inside torch's fetch, so in the worker when num_workers > 0: the batch leaves this
process right after batch_ready, which is where the agent closes its bookkeeping for it.
"""

import sys
import time

from ... import agent as agent_mod
from ...agent import core as _core
from ...agent.batch_context import STAGE_CODE
from ..sources import where
from ..thread_state import tls
from .base import Proxy

_perf_counter = time.perf_counter
_COLLATE = STAGE_CODE["collate"]


class CollateProxy(Proxy):
    """Wraps `collate_fn`: the collate stage, collate_error, batch_ready and nan_inf."""

    def __init__(self, inner):
        self._bs_inner = inner
        self._bs_where = where(inner)  # the user's collate_fn, for the frames of a stop

    def __call__(self, samples):
        ctx = getattr(tls, "ctx", None)
        if ctx is None:
            return self._bs_inner(samples)
        tls.ctx = None
        a = _core._agent
        if a is None or not a.ok:
            a = agent_mod.get()
            if a is None:
                return self._bs_inner(samples)
        timings = ctx.timings
        if not timings.get("fetch"):  # a per-index fetch (torch < 2.0, iterable): timed from its start
            _time_fetch(ctx)
        ctx.stage = "collate"
        ctx.extra_src = self._bs_where  # the collate frame of a stop or a hang stop: the user's collate_fn
        state = a.state
        if state is not None and a.busy is not None:
            state.mm[0] = _COLLATE  # StateFile.mark, inline: once per batch of every attached job
        if a.cfg.armed:
            self._bs_show(ctx, samples)
            a.stops.boundary("collate", ctx)
        t = _perf_counter()
        try:
            batch = self._bs_inner(samples)
        except Exception as e:
            timings["collate"] = _perf_counter() - t
            self._bs_show(ctx, samples)
            a.stops.exception("collate_error", "collate", ctx, e)
            a.finish(ctx, e)
            raise
        timings["collate"] = _perf_counter() - t
        ctx.stage = "batch_ready"
        cfg = a.cfg  # read again: a config that arrived during collate applies to batch_ready
        if cfg.armed or cfg.nan:
            ctx.batch = batch
            self._bs_show(ctx, samples)
            _batch_ready(a, ctx, batch, cfg)
        a.finish(ctx)
        return batch

    def _bs_show(self, ctx, samples):
        """A stop at collate or batch_ready shows the samples as collate got them (the fetch's own
        list otherwise: the same items, which is what a hang stop in collate shows)."""
        ctx.samples = samples


def _time_fetch(ctx):
    fetch_t = tls.__dict__.get("fetch_t")
    if fetch_t is not None and ctx.stage == "fetch":
        ctx.timings["fetch"] = _perf_counter() - fetch_t


def _batch_ready(a, ctx, batch, cfg):
    """The nan_inf check and the batch_ready stop, when either is on."""
    if cfg.nan:
        try:
            bad = nonfinite(batch)
            if bad:
                ctx.extra = {"nonfinite": bad}
                a.stops.stop(
                    "exception",
                    "batch_ready",
                    ctx,
                    text="nan_inf",
                    description="non-finite values in %s" % ", ".join("%s (%d)" % kv for kv in bad.items()),
                )
        except Exception as e:
            a.internal_error(e)
    if a.cfg.armed:
        a.stops.boundary("batch_ready", ctx)


def nonfinite(batch, prefix="batch", out=None):
    """{path in the batch: count} of NaN/Inf values in its floating-point tensors."""
    out = {} if out is None else out
    torch = sys.modules.get("torch")
    if torch is None:
        return out
    if isinstance(batch, torch.Tensor):
        if batch.is_floating_point():
            n = int((~torch.isfinite(batch)).sum())
            if n:
                out[prefix] = n
    elif isinstance(batch, dict):
        for k, v in batch.items():
            nonfinite(v, "%s[%r]" % (prefix, k), out)
    elif isinstance(batch, (list, tuple)):
        for i, v in enumerate(batch):
            nonfinite(v, "%s[%d]" % (prefix, i), out)
    return out
