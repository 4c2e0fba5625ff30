"""The batch sampler proxy: tags each index list with its batch; runs in the main process.

The tag (tags.py) is how a worker knows which batch of which epoch of which loader it fetches;
the `sampler` stage is entered here, before the index list leaves for a worker.
"""

from ... import agent as agent_mod
from ...agent import core as _core
from ...agent.batch_context import BatchCtx
from .. import batch_indices
from ..loaders import loader_by_id
from ..tags import IterBatchTag, TaggedIndices, TaggedIterIndices, pending_iter, tag, tag_single
from .base import Proxy


class BatchSamplerProxy(Proxy):
    """Wraps `batch_sampler` (or `sampler` without auto-collation): tags each index list. Runs in the main process."""

    def __init__(self, inner, loader_id, loader_name, iterable):
        self._bs_inner = inner
        self._bs_loader_id = loader_id
        self._bs_loader_name = loader_name
        self._bs_iterable = iterable
        self._bs_epoch = -1
        # Batches a resume skips before this sampler's first one (accelerate's skip_first_batches,
        # which the Trainer uses to resume from a checkpoint): batch numbers are positions in the
        # epoch, so they start there, not at 0.
        self._bs_offset = skipped_batches(inner)

    def __len__(self):
        return len(self._bs_inner)

    def __iter__(self):
        # The epoch is this pass's number, or the epoch a wrapping accelerate loader declares
        # (iterator_hooks._note_declared_epoch): after a resume that is the Trainer's epoch, not 0.
        # Never lower than the last pass's + 1, so (loader, epoch, batch) stays unique.
        declared = self.__dict__.pop("_bs_declared", None)
        epoch = self._bs_epoch + 1
        if declared is not None and declared > epoch:
            epoch = declared
        self._bs_epoch = epoch
        cls = TaggedIterIndices if self._bs_iterable else TaggedIndices
        lid, name = self._bs_loader_id, self._bs_loader_name
        offset = self._bs_offset
        try:
            total = len(self._bs_inner) + offset
        except TypeError:
            total = None
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
                self._bs_sampler_stop(a, meta, idx)
            yield tagged

    def _bs_sampler_stop(self, a, meta, idx):
        lid, name, epoch, n, _total, offset = meta
        if isinstance(idx, list):
            shown = list(idx)
        else:
            shown = [] if idx is None else [idx]
        ctx = BatchCtx(lid, name, epoch, n, shown, None, 1)
        ctx.first = offset
        ctx.extra = {"loader_object": loader_by_id(lid)}
        a.stops.boundary("sampler", ctx)


def skipped_batches(sampler, depth=0):
    """How many batches accelerate's SkipBatchSampler(s) around `sampler` skip (0 for any other)."""
    skip = 0
    while sampler is not None and depth < 8:
        if type(sampler).__name__ == "SkipBatchSampler" and isinstance(getattr(sampler, "skip_batches", None), int):
            skip += sampler.skip_batches
        sampler = getattr(sampler, "batch_sampler", None)
        depth += 1
    return skip
