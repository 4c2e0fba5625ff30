"""Index lists tagged with the batch they belong to, so the batch is known in whichever process fetches it.

The sampler proxy runs in the main process and tags each index list with (loader id, name, epoch,
batch, total); the tag travels through torch's index queue to the worker, where the first
iteration of the list (torch's fetch) begins the batch.
"""

from .batch_begin import begin_iterable_batch, begin_map_batch


class TaggedIndices(list):
    """One batch's indices plus where it belongs (`_bs` = (loader id, name, epoch, batch, total, first batch of the epoch)).

    A list subclass with an attribute: it pickles through the worker index queue under fork, spawn
    and forkserver, and user code that indexes or iterates it sees a plain list.
    """

    def __reduce__(self):
        return (_rebuild_tagged, (type(self), list(list.__iter__(self)), getattr(self, "_bs", None)))

    def __iter__(self):
        # torch < 2.0 has no __getitems__: its fetcher iterates the index list once, in the
        # fetching process, and calls dataset[i] per index. That first iteration begins the batch.
        meta = self.__dict__.pop("_bs", None)
        if meta is not None:
            begin_map_batch(self, meta)
        return list.__iter__(self)


class TaggedIterIndices(TaggedIndices):
    """For an IterableDataset torch iterates the index list once per batch inside fetch: that is our
    signal that a batch begins in this process."""

    def __iter__(self):
        meta = self.__dict__.pop("_bs", None)
        if meta is not None:
            begin_iterable_batch(self, meta)
        return list.__iter__(self)


class PassTag:
    """One pass of a num_workers=0 loader, paired by the sampler proxy with each index list and its
    batch number: (PassTag, n, indices) reaches the dataset proxy's __getitems__ in this process."""

    __slots__ = ("loader_id", "name", "epoch", "total", "first")
    # The batch recorder (record/columns.py) sees these triples as the sampler's item and takes the
    # index list from them by this mark, without importing the debugger.
    _bs_pass_tag = True

    def __init__(self, loader_id, name, epoch, total, first):
        self.loader_id = loader_id
        self.name = name
        self.epoch = epoch
        self.total = total
        self.first = first


def tag(cls, items, meta):
    t = cls(items)
    t._bs = meta
    return t


def _rebuild_tagged(cls, items, meta):
    return tag(cls, items, meta)


def take_meta(indices):
    """The batch tag, consumed so a later iteration of the same list does not begin it again."""
    return indices.__dict__.pop("_bs", None) if isinstance(indices, TaggedIndices) else None


# --- Loaders without auto-collation (batch_size=None) --------------------------------------
# torch passes each sampler item straight to the fetcher: a map-style dataset gets
# `dataset[index]`, an IterableDataset ignores the item and calls `next()` once. A list cannot
# carry the tag there, so a map index becomes an int subclass, and an iterable "index" (torch's
# constant sampler yields None) becomes a tag object whose unpickling in the worker (the index
# queue) leaves its meta where the iterable proxy looks for it just before the next sample.


class TaggedIndex(int):
    """A single map-style index plus its batch tag; the dataset proxy unwraps it to a plain int."""

    def __reduce__(self):
        return (_rebuild_index, (int(self), getattr(self, "_bs", None)))


def _rebuild_index(value, meta):
    t = TaggedIndex(value)
    if meta is not None:
        t._bs = meta
    return t


def tag_single(index, meta):
    """`index` tagged when it is a plain int; None when it cannot carry a tag."""
    if type(index) is not int:
        return None
    t = TaggedIndex(index)
    t._bs = meta
    return t


# loader id -> meta of the batch this process fetches next (set by unpickling or by the sampler).
pending_iter = {}


class IterBatchTag:
    """Stands in for torch's None index of an iterable loader without auto-collation."""

    __slots__ = ("meta",)

    def __init__(self, meta):
        self.meta = meta

    def __reduce__(self):
        return (_rebuild_iter_tag, (self.meta,))


def _rebuild_iter_tag(meta):
    pending_iter[meta[0]] = meta
    return IterBatchTag(meta)
