"""The collate_fn proxy: the collate and batch_ready stages, collate_error and the nan_inf check.

Collate runs inside torch's fetch, so in the worker when num_workers > 0: the batch leaves this
process right after batch_ready, which is where the agent closes its bookkeeping for it.
"""

import sys
import time

from ... import agent as agent_mod
from ..sources import where
from ..thread_state import tls
from .base import Proxy

_perf_counter = time.perf_counter


class CollateProxy(Proxy):
    """Wraps `collate_fn`: the collate stage, collate_error, batch_ready and nan_inf."""

    def __init__(self, inner):
        self._bs_inner = inner

    def __call__(self, samples):
        ctx = getattr(tls, "ctx", None)
        if ctx is None:
            return self._bs_inner(samples)
        tls.ctx = None
        a = agent_mod.get()
        if a is None:
            return self._bs_inner(samples)
        timings = ctx.timings
        if not timings.get("fetch"):  # a per-index fetch (torch < 2.0, iterable): timed from its start
            fetch_t = tls.__dict__.get("fetch_t")
            if fetch_t is not None and ctx.stage == "fetch":
                timings["fetch"] = _perf_counter() - fetch_t
        ctx.samples = samples
        ctx.stage = "collate"
        a.mark("collate")
        d = self.__dict__
        loc = d.get("_bs_where")
        if loc is None:
            loc = d["_bs_where"] = where(self._bs_inner) or False
        ctx.extra_src = loc or None
        stops = a.stops
        cfg = a.cfg
        if cfg.armed:
            stops.boundary("collate", ctx)
        t = _perf_counter()
        try:
            batch = self._bs_inner(samples)
        except Exception as e:
            timings["collate"] = _perf_counter() - t
            stops.exception("collate_error", "collate", ctx, e)
            a.finish(ctx, e)
            raise
        timings["collate"] = _perf_counter() - t
        ctx.batch = batch
        ctx.stage = "batch_ready"
        if cfg.nan:
            try:
                bad = nonfinite(batch)
                if bad:
                    ctx.extra = {"nonfinite": bad}
                    stops.stop(
                        "exception",
                        "batch_ready",
                        ctx,
                        text="nan_inf",
                        description="non-finite values in %s" % ", ".join("%s (%d)" % kv for kv in bad.items()),
                    )
            except Exception as e:
                a.internal_error(e)
        if a.cfg.armed:
            stops.boundary("batch_ready", ctx)
        a.finish(ctx)
        return batch


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
