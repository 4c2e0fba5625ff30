"""The batch sampler proxy: tags each index list with its batch; runs in the main process.

The tag (tags.py) is how a worker knows which batch of which epoch of which loader it fetches;
the `sampler` stage is entered here, before the index list leaves for a worker. At num_workers=0
(torch >= 2.0) nothing of ours runs per batch here: torch's iterator draws (pass tag, batch number,
index list) triples made in C, and the dataset proxy, which torch calls with each next, in this
process, unpacks it and enters the `sampler` stage.
"""

import sys
from itertools import count, repeat

from ... import agent as agent_mod
from ...agent import core as _core
from ...agent.batch_context import BatchCtx
from .. import batch_indices
from ..loaders import loader_by_id
from ..tags import IterBatchTag, PassTag, TaggedIndices, TaggedIterIndices, pending_iter, tag, tag_single
from .base import Proxy


class BatchSamplerProxy(Proxy):
    """Wraps `batch_sampler` (or `sampler` without auto-collation): tags each index list (pairs it with
    its number and pass, at num_workers=0). Runs in the main process."""

    def __init__(self, inner, loader_id, loader_name, iterable):
        self._bs_inner = inner
        self._bs_loader_id = loader_id
        self._bs_loader_name = loader_name
        self._bs_iterable = iterable
        self._bs_epoch = -1
        self._bs_direct = False  # True while the loader fetches in this process, batched (loader_setup.py)
        # Batches a resume skips before this sampler's first one (accelerate's skip_first_batches,
        # which the Trainer uses to resume from a checkpoint): batch numbers are positions in the
        # epoch, so they start there, not at 0.
        self._bs_offset = skipped_batches(inner)

    def __len__(self):
        return len(self._bs_inner)

    def __iter__(self):
        if self._bs_direct and fetcher_calls_getitems() and _torch_iterator_calls(sys._getframe(1)):
            # num_workers=0 and torch's own iterator asking: pair each index list with its number and
            # this pass's tag, in C (no Python frame per batch); torch hands each pair, in this process,
            # to the dataset proxy's __getitems__ (torch >= 2.0), which unpacks it. Anyone else iterating
            # this sampler (accelerate's SkipBatchSampler, user code) gets index lists, below.
            lid, name = self._bs_loader_id, self._bs_loader_name
            offset = self._bs_offset
            tag_ = PassTag(lid, name, self._bs_next_epoch(), self._bs_total(), offset)
            return zip(repeat(tag_), count(offset), self._bs_inner)
        return self._bs_tagged()

    def _bs_next_epoch(self):
        # The epoch is this pass's number, or the epoch a wrapping accelerate loader declares
        # (iterator_hooks._note_declared_epoch): after a resume that is the Trainer's epoch, not 0.
        # Never lower than the last pass's + 1, so (loader, epoch, batch) stays unique.
        declared = self.__dict__.pop("_bs_declared", None)
        epoch = self._bs_epoch + 1
        if declared is not None and declared > epoch:
            epoch = declared
        self._bs_epoch = epoch
        return epoch

    def _bs_total(self):
        try:
            return len(self._bs_inner) + self._bs_offset
        except TypeError:
            return None

    def _bs_tagged(self):
        # A generator: its pass (and epoch) begins at the first batch drawn. torch's multi-process
        # iterator calls iter() twice when it starts; only the one it draws from counts.
        epoch = self._bs_next_epoch()
        cls = TaggedIterIndices if self._bs_iterable else TaggedIndices
        lid, name = self._bs_loader_id, self._bs_loader_name
        offset = self._bs_offset
        total = self._bs_total()
        iterable = self._bs_iterable
        note = batch_indices.note
        # Indices are noted for the main-process stages of batches that come back from a worker;
        # at num_workers=0 those stages find them on the batch's own context (batch_indices.lookup).
        noting = not iterable and bool(getattr(loader_by_id(lid), "num_workers", 0))
        for n, idx in enumerate(self._bs_inner, offset):
            a = _core._agent
            if a is None or not a.ok:
                a = agent_mod.get()
                if a is None:
                    yield idx
                    continue
            meta = (lid, name, epoch, n, total, offset)
            cfg = a.cfg
            if cfg.attached:
                if noting:
                    note(lid, epoch, n, idx)
            elif batch_indices._first:
                batch_indices.detached()
            if isinstance(idx, (list, tuple, range)):
                tagged = tag(cls, idx, meta)
            elif iterable:  # no auto-collation: torch ignores the item (see tags.py)
                tagged = IterBatchTag(meta)
                if not getattr(loader_by_id(lid), "num_workers", 0):
                    pending_iter[lid] = meta  # fetched right here, never pickled
            else:  # no auto-collation: one index per "batch"
                tagged = tag_single(idx, meta)
                if tagged is None:
                    tagged = idx  # not an int: it cannot carry a tag
            if cfg.armed:
                sampler_stop(a, meta, idx)
            yield tagged


def sampler_stop(a, meta, idx):
    """The `sampler` stage of a batch just drawn (from the generator above, or, for the pairs of the
    num_workers=0 path, from the dataset proxy before it fetches)."""
    lid, name, epoch, n, _total, offset = meta
    if isinstance(idx, list):
        shown = idx[:]  # a slice: a tagged list's own __iter__ would begin its batch
    elif isinstance(idx, (tuple, range)):
        shown = list(idx)
    else:
        shown = [] if idx is None else [idx]
    ctx = BatchCtx(lid, name, epoch, n, shown, None, 1)
    ctx.first = offset
    ctx.extra = {"loader_object": loader_by_id(lid)}
    a.stops.boundary("sampler", ctx)


_getitems = []


def fetcher_calls_getitems():
    """Whether torch's map-style fetcher calls `dataset.__getitems__` (torch ≥ 2.0) or indexes per item."""
    if not _getitems:
        try:
            from torch.utils.data._utils.fetch import _MapDatasetFetcher

            _getitems.append("__getitems__" in _MapDatasetFetcher.fetch.__code__.co_names)
        except Exception:
            _getitems.append(False)
    return _getitems[0]


def _torch_iterator_calls(f):
    """Whether frame `f` is torch's DataLoader iterator (whose fetch is the only consumer of what it draws)."""
    return f.f_globals.get("__name__") == "torch.utils.data.dataloader"


def skipped_batches(sampler, depth=0):
    """How many batches accelerate's SkipBatchSampler(s) around `sampler` skip (0 for any other)."""
    skip = 0
    while sampler is not None and depth < 8:
        if type(sampler).__name__ == "SkipBatchSampler" and isinstance(getattr(sampler, "skip_batches", None), int):
            skip += sampler.skip_batches
        sampler = getattr(sampler, "batch_sampler", None)
        depth += 1
    return skip
