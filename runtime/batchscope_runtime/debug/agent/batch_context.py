"""BatchCtx: what one thread knows about the batch it is working on.

Created by the instrumentation when a batch begins in a process (or a stage hook is entered) and
read by the agent when it stops there; it lives in its own module because both sides use it.
The stage codes the agent writes into its state file for the batch in flight are defined here too.
"""

import sys

from .. import wire

# Stage codes of the state file (wire.StateFile): wire.STAGES index + 1; 0 = no batch in flight.
STAGE_CODE = {s: i + 1 for i, s in enumerate(wire.STAGES)}

_NO_SOURCES = {}


class BatchCtx:
    """What one thread knows about the batch it is working on.

    One is made per batch in every process that fetches (the hot path of an attached, running job),
    so the fields most batches never set are class-level defaults: the constructor writes only the
    batch's identity and its timings. Nothing mutates a class default (fields are assigned, never
    changed in place)."""

    stage = None
    samples = None
    batch = None
    sample = None
    sample_pos = None
    exception = None
    error = None  # "Type: message" of a failed batch, for its record (set by Agent.finish)
    sources = _NO_SOURCES
    extra = None
    total = None
    extra_src = None
    first = 0  # the epoch's first batch index: > 0 after a resume skipped batches

    def __init__(self, loader_id, loader, epoch, index, indices, worker_id, tid):
        self.loader_id = loader_id
        self.loader = loader
        self.epoch = epoch
        self.index = index
        self.indices = indices
        self.worker_id = worker_id
        self.tid = tid
        self.timings = {}

    @property
    def key(self):
        """The batch's key in the controller's step table; built only when a step is pending."""
        return "%s/%s/%s" % (self.loader_id, self.epoch, self.index)

    def batch_ref(self):
        return {"loader": self.loader, "loaderId": self.loader_id, "epoch": self.epoch, "index": self.index}

    def locals(self, stage):
        d = {
            "batch_index": self.index,
            "epoch": self.epoch,
            "loader": self.loader,
            # A string says why they are not known (instrument/batch_indices.py): never a list that looks real.
            "indices": self.indices if isinstance(self.indices, str) else list(self.indices or ()),
            "worker_id": self.worker_id,
            "stage": stage,
        }
        if self.samples is not None:
            d["samples"] = self.samples
        if self.batch is not None:
            d["batch"] = self.batch
        if stage == "sample":
            d["index"] = self.sample_pos[1] if self.sample_pos else None
            d["sample"] = self.sample
        if self.exception is not None:
            d["exception"] = self.exception
        if self.extra:
            d.update(self.extra)
        return d


def user_globals(ctx):
    """The globals conditions and evaluate see: the module of the user's dataset (or stage caller)."""
    src = ctx.sources.get("module")
    g = getattr(sys.modules.get(src), "__dict__", None) if src else None
    return g if g is not None else {"__builtins__": __builtins__}
