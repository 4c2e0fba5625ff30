"""Which DataLoaders this process has instrumented: their ids and their names in the debugger.

A loader gets an id (its thread ids derive from it) and a name the first time one of its iterators
is created; `name_loader()` names it explicitly, otherwise the variable it is iterated through does.
"""

import os
import weakref

_loader_ids = weakref.WeakKeyDictionary()
_loader_names = weakref.WeakKeyDictionary()
_next_loader = [0]
# Frames in the debug package are ours, never the user's: the name is looked up above them.
_DEBUG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def loader_id(loader):
    lid = _loader_ids.get(loader)
    if lid is None:
        lid = _loader_ids[loader] = _next_loader[0]
        _next_loader[0] += 1
    return lid


def loader_name(loader, lid, guess_from=None):
    """The loader's name; the first time, guessed from the user's frame above `guess_from`."""
    name = _loader_names.get(loader)
    if name is None:
        name = _loader_names[loader] = (
            _guess_name(loader, guess_from) if guess_from is not None else None
        ) or "loader%d" % lid
    return name


def known_name(loader, default):
    return _loader_names.get(loader, default)


def loader_by_id(lid):
    for loader, i in list(_loader_ids.items()):
        if i == lid:
            return loader
    return None


def name_loader(loader, name):
    """Name a DataLoader for the debugger (otherwise the variable it was iterated through)."""
    _loader_names[loader] = str(name)


def index_sampler(loader):
    """What torch draws index lists from: the batch sampler when auto-collating, else the sampler."""
    if loader is None:
        return None
    bs = getattr(loader, "batch_sampler", None)
    return bs if bs is not None else getattr(loader, "sampler", None)


def _guess_name(loader, f):
    while f is not None:
        fn = f.f_code.co_filename
        if "torch" + os.sep + "utils" not in fn and not fn.startswith(_DEBUG_DIR):
            for scope in (f.f_locals, f.f_globals):
                for k, v in scope.items():
                    if v is loader and not k.startswith("_"):
                        return k
            return None
        f = f.f_back
    return None
