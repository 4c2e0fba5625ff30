"""Automatic `to_device` and `train_step` stages for Hugging Face `Trainer` (TRL's trainers subclass
it) and accelerate's prepared DataLoaders, so Step Over walks a batch from the sampler to the
optimizer step without the user adding `hooks.stage()` calls.

- `train_step` wraps `transformers.Trainer.training_step` (the one call per micro-batch, also the
  one TRL's trainers reach through `super()`).
- `to_device` wraps the `send_to_device` that accelerate's `DataLoaderShard` calls on each batch.

Neither library is imported here: the patches go in when a DataLoader iterator is created and the
library is already loaded (Trainer builds its DataLoader before the first training step). Like
patches.py, each replacement is marked and reversible.

Which batch a stage belongs to: accelerate iterates one batch ahead, so the torch iterator's last
batch is not the one being trained. Each batch the iterator hands out is fingerprinted (the data
pointer and shape of its first tensor, thread_state `handed`), and a stage finds its batch by that
fingerprint; the batch `send_to_device` returns is registered under the same identity.
"""

import collections
import itertools
import os
import sys
from collections.abc import Mapping

from .. import hooks
from .thread_state import tls

HANDED = 8  # batches remembered per thread: accelerate runs 1 ahead, gradient accumulation a few more

_originals = {}  # (module, class, attribute) -> original


_tensor_type = None
_LEAVES = (int, float, str, bytes, bool, type(None))


def fingerprint(batch, depth=0):
    """(data_ptr, shape) of the first tensor in a batch (dict, BatchEncoding, list, tuple), or None.
    Per batch while attached: it looks at no more than 4 entries on each of 3 levels."""
    global _tensor_type
    tensor = _tensor_type
    if tensor is None:
        torch = sys.modules.get("torch")
        if torch is None:
            return None
        tensor = _tensor_type = torch.Tensor
    if isinstance(batch, tensor):
        try:
            return (batch.data_ptr(), tuple(batch.shape))
        except Exception:  # e.g. a tensor without storage
            return None
    if depth == 2 or isinstance(batch, _LEAVES):
        return None
    if isinstance(batch, (list, tuple)):
        items = batch[:4]
    elif isinstance(batch, dict) or isinstance(batch, Mapping):
        items = list(itertools.islice(batch.values(), 4))
    else:
        return None
    for v in items:
        fp = fingerprint(v, depth + 1)
        if fp is not None:
            return fp
    return None


def note_handed(entry, data):
    """The main thread's iterator handed out `data` as `entry` (see thread_state.main_batch)."""
    fp = fingerprint(data)
    if fp is None:
        return
    # Without the data: keeping batches of tensors alive costs the allocator its warm memory.
    entry = entry[:4] + (None,) + entry[5:]
    handed = getattr(tls, "handed", None)
    if handed is None:
        handed = tls.handed = collections.deque(maxlen=HANDED)
    handed.append((fp, entry))


def batch_of(data):
    """The handed-out entry whose batch `data` is (same first tensor), or None."""
    handed = getattr(tls, "handed", None)
    if not handed:
        return None
    fp = fingerprint(data)
    if fp is None:
        return None
    for efp, entry in reversed(handed):
        if efp == fp:
            return entry
    return None


def _user_code(*fns):
    """(path, line) of the first of `fns` defined outside installed packages (the user's override)."""
    from ..agent.raise_site import _LIB_DIRS

    first = None
    for fn in fns:
        code = getattr(fn, "__code__", None)
        if code is None:
            continue
        where = (os.path.abspath(code.co_filename), code.co_firstlineno)
        first = first or where
        if not os.path.realpath(code.co_filename).startswith(_LIB_DIRS):
            return where
    return first


def _wrap_training_step(orig):
    def training_step(self, model, inputs, *args, **kwargs):
        if hooks._active is None:
            return orig(self, model, inputs, *args, **kwargs)
        # The stage points at the user's own code when there is some: a Trainer subclass's
        # training_step/compute_loss, else the model's forward.
        src = _user_code(
            getattr(type(self), "training_step", None),
            getattr(type(self), "compute_loss", None),
            getattr(type(getattr(model, "module", model)), "forward", None),
        )
        with hooks.stage("train_step", batch=inputs, _source=src, _module=type(self).__module__):
            return orig(self, model, inputs, *args, **kwargs)

    return training_step


def _wrap_send_to_device(orig):
    def send_to_device(tensor, *args, **kwargs):
        if hooks._active is None or not getattr(tls, "handed", None):
            return orig(tensor, *args, **kwargs)
        entry = batch_of(tensor)
        with hooks.stage("to_device", batch=tensor, _module="accelerate.data_loader"):
            out = orig(tensor, *args, **kwargs)
        if entry is not None and out is not tensor:
            note_handed(entry, out)  # the moved batch is the same batch
        return out

    return send_to_device


# (module, class or None, attribute, factory)
PATCHES = (
    ("transformers.trainer", "Trainer", "training_step", _wrap_training_step),
    ("accelerate.data_loader", None, "send_to_device", _wrap_send_to_device),
)


def maybe_patch():
    """Patch what is loaded and not patched yet. Called per iterator creation: a dict lookup when done."""
    if len(_originals) == len(PATCHES):
        return
    for module, cls, attr, factory in PATCHES:
        key = (module, cls, attr)
        mod = sys.modules.get(module)
        if key in _originals or mod is None:
            continue
        owner = getattr(mod, cls, None) if cls else mod
        current = getattr(owner, attr, None) if owner is not None else None
        if current is None or getattr(current, "_batchscope", False):
            continue
        replacement = factory(current)
        replacement._batchscope = True
        _originals[key] = current
        setattr(owner, attr, replacement)


def unpatch():
    for (module, cls, attr), orig in list(_originals.items()):
        mod = sys.modules.get(module)
        owner = getattr(mod, cls, None) if cls and mod is not None else mod
        if owner is not None:
            setattr(owner, attr, orig)
    _originals.clear()
