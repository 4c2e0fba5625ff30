"""Wrap one DataLoader's public inputs in proxies, just before torch reads them for a new iterator.

Runs in the main process from the iterator hook, so later epochs and loaders created before the
session attached are covered too. Attributes are set with `object.__setattr__`, since
DataLoader.__setattr__ refuses these assignments after init. DataPipes are left alone.
"""

import sys

from .. import agent as agent_mod
from .loaders import loader_id, loader_name
from .proxies.collate import CollateProxy
from .proxies.dataset import MapDatasetProxy
from .proxies.iterable import get_iterable_proxy
from .proxies.sampler import BatchSamplerProxy
from .proxies.worker_init import WorkerInitProxy


def instrument_loader(loader):
    """Swap the proxies in; returns the loader id, or None when this process has no session."""
    a = agent_mod.get()
    if a is None or a.kind != "main":
        return None
    lid = loader_id(loader)
    name = loader_name(loader, lid, guess_from=sys._getframe(1))
    ds = loader.dataset
    from torch.utils.data import IterableDataset

    try:
        from torch.utils.data.datapipes.datapipe import IterDataPipe, MapDataPipe

        pipes = (IterDataPipe, MapDataPipe)
    except Exception:
        pipes = ()
    iterable = isinstance(ds, IterableDataset)
    if pipes and isinstance(ds, pipes):
        return lid  # DataPipes carry their own sharding logic: leave them alone
    if not isinstance(ds, (MapDatasetProxy, get_iterable_proxy())):
        proxy = get_iterable_proxy()(ds, lid, name) if iterable else MapDatasetProxy(ds, lid, name)
        object.__setattr__(loader, "dataset", proxy)
    if loader.batch_sampler is not None:
        if not isinstance(loader.batch_sampler, BatchSamplerProxy):
            object.__setattr__(loader, "batch_sampler", BatchSamplerProxy(loader.batch_sampler, lid, name, iterable))
    elif not isinstance(loader.sampler, BatchSamplerProxy):
        object.__setattr__(loader, "sampler", BatchSamplerProxy(loader.sampler, lid, name, iterable))
    # This iterator fetches whole batches in this process (num_workers=0, a map-style dataset): the
    # sampler proxy may pair each index list with its tag for the dataset proxy (sampler.py). Set per
    # iterator: torch reads num_workers when the iterator is created, as here.
    if loader.batch_sampler is not None:
        loader.batch_sampler._bs_direct = not loader.num_workers and isinstance(loader.dataset, MapDatasetProxy)
    if not isinstance(loader.collate_fn, CollateProxy):
        object.__setattr__(loader, "collate_fn", CollateProxy(loader.collate_fn))
    if loader.num_workers > 0 and not isinstance(loader.worker_init_fn, WorkerInitProxy):
        object.__setattr__(loader, "worker_init_fn", WorkerInitProxy(loader.worker_init_fn))
    return lid
