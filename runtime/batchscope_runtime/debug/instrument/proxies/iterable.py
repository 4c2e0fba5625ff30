"""The IterableDataset proxy: the sample stage, one sample at a time, inside torch's fetch.

It must stay an IterableDataset (torch picks the fetcher with isinstance), so the class is built
on first use, when torch is importable, and published as this module's `IterableDatasetProxy`
attribute for pickling by reference (spawn and forkserver workers rebuild it the same way).
"""

from ... import agent as agent_mod
from ..batch_begin import begin_iterable_batch
from ..tags import pending_iter
from ..thread_state import tls
from .base import Proxy, make_proxy

_iterable_proxy = None


def _make_iterable_proxy_cls():
    from torch.utils.data import IterableDataset

    class IterableDatasetProxy(Proxy, IterableDataset):
        """Wraps an IterableDataset (stays an IterableDataset so torch picks the iterable fetcher)."""

        def __init__(self, inner, loader_id, loader_name):
            self._bs_inner = inner
            self._bs_loader_id = loader_id
            self._bs_loader_name = loader_name

        def __reduce__(self):
            return (make_proxy, (_iterable_proxy, dict(self.__dict__)))

        def __len__(self):
            return len(self._bs_inner)

        def __iter__(self):
            inner = self._bs_inner
            tls.iter_inner = inner
            count = 0
            lid = self._bs_loader_id
            it = iter(inner)
            while True:
                # batch_size=None: each next() is one batch; its tag arrived just before (tags.py)
                meta = pending_iter.pop(lid, None)
                if meta is not None:
                    begin_iterable_batch([], meta)
                try:
                    sample = next(it)
                except StopIteration:
                    return
                ctx = getattr(tls, "ctx", None)
                a = agent_mod.get() if ctx is not None else None
                if a is not None and ctx.stage == "fetch":
                    ctx.indices.append(count)
                    ctx.samples.append(sample)
                    if a.cfg.armed:
                        ctx.sample_pos = (len(ctx.samples) - 1, count)
                        ctx.sample = sample
                        a.stops.boundary("sample", ctx)
                count += 1
                yield sample

    IterableDatasetProxy.__module__ = __name__
    IterableDatasetProxy.__qualname__ = "IterableDatasetProxy"
    return IterableDatasetProxy


def __getattr__(name):  # module attribute for pickling by reference: iterable.IterableDatasetProxy
    if name == "IterableDatasetProxy":
        return get_iterable_proxy()
    raise AttributeError(name)


def get_iterable_proxy():
    global _iterable_proxy
    if _iterable_proxy is None:
        _iterable_proxy = _make_iterable_proxy_cls()
        globals()["IterableDatasetProxy"] = _iterable_proxy
    return _iterable_proxy
