"""The torch patches, in one table that install() and uninstall() both walk.

Each entry names a torch attribute and the factory that builds its replacement around the
original. Every replacement is guarded (marked `_batchscope`, so a second install or a second copy
of this package never wraps twice) and reversible. torch's worker loop is never copied or replaced;
works on torch 1.13 and 2.x.
"""

import importlib

from .iterator_hooks import wrap_init, wrap_next
from .pin_hook import wrap_pin

# (module, class or None, attribute, factory(original) -> replacement)
PATCHES = (
    ("torch.utils.data.dataloader", "_BaseDataLoaderIter", "__init__", wrap_init),
    ("torch.utils.data.dataloader", "_BaseDataLoaderIter", "__next__", wrap_next),
    ("torch.utils.data._utils.pin_memory", None, "pin_memory", wrap_pin),  # absent in some builds: optional
)

_originals = {}  # (module, class, attribute) -> what was there before install()
_installed = False


def _owners():
    """[(key, owner object, attribute, factory)], or None when torch is missing."""
    out = []
    try:
        for module, cls, attr, factory in PATCHES:
            owner = importlib.import_module(module)
            if cls is not None:
                owner = getattr(owner, cls)
            out.append(((module, cls, attr), owner, attr, factory))
    except Exception:
        return None
    return out


def install():
    """Patch torch once. Safe to call repeatedly; returns False when torch is missing."""
    global _installed
    if _installed:
        return True
    owners = _owners()
    if owners is None:
        return False
    for key, owner, attr, factory in owners:
        current = getattr(owner, attr, None)
        if current is None or getattr(current, "_batchscope", False):
            continue  # not in this torch, or already patched (by another copy of this package)
        replacement = factory(current)
        replacement._batchscope = True
        _originals[key] = current
        setattr(owner, attr, replacement)
    _installed = True
    return True


def uninstall():
    global _installed
    if not _installed:
        return
    for key, owner, attr, _factory in _owners() or ():
        if key in _originals:
            setattr(owner, attr, _originals.pop(key))
    _installed = False
