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
        if ctx.stage == "fetch" and "fetch_t" in tls.__dict__ and not ctx.timings.get("fetch"):
            ctx.timings["fetch"] = time.perf_counter() - tls.fetch_t
        ctx.samples = samples
        ctx.stage = "collate"
        a.mark("collate")
        loc = self.__dict__.get("_bs_where")
        if loc is None:
            loc = self.__dict__["_bs_where"] = where(self._bs_inner) or False
        ctx.extra_src = loc or None
        stops = a.stops
        stops.boundary("collate", ctx)
        t = time.perf_counter()
        try:
            batch = self._bs_inner(samples)
        except Exception as e:
            ctx.timings["collate"] = time.perf_counter() - t
            stops.exception("collate_error", "collate", ctx, e)
            a.finish(ctx, e)
            raise
        ctx.timings["collate"] = time.perf_counter() - t
        ctx.batch = batch
        ctx.stage = "batch_ready"
        if a.cfg.nan:
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
