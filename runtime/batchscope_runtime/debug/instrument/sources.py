"""Source locations of the user's code behind each stage, for the frames of a stop.

Looked up once per dataset type (or collate function) and cached: never on the per-batch path.
"""

import inspect
import os

_source_cache = {}


def sources_of(inner):
    """Where the user's dataset type fetches (its __getitem__ or __iter__), for ctx.sources: one dict
    per type, shared by its batches and never mutated."""
    key = type(inner)
    src = _source_cache.get(key)
    if src is None:
        src = {}
        fn = getattr(key, "__getitem__", None) or getattr(key, "__iter__", None)
        loc = where(fn)
        if loc:
            src["fetch"] = loc
            src["sample"] = loc
        src["module"] = key.__module__
        _source_cache[key] = src
    return src


def where(fn):
    """(absolute path, first line) of a function or callable object, or None."""
    try:
        fn = inspect.unwrap(fn)
        # A callable object: its bound __call__ carries the code (callable() would not give it).
        code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__call__", None), "__code__", None)  # noqa: B004
        if code is None:
            return None
        return (os.path.abspath(code.co_filename), code.co_firstlineno)
    except Exception:
        return None
