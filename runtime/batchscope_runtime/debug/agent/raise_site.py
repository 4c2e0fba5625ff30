"""Where a fetch or collate error was raised in the user's code, and which sample it was.

The stage frames point at `def __getitem__`; the line that raised is in the exception's
traceback. The innermost frame in the user's own files wins (not the standard library,
installed packages or this debugger); failing that, the innermost frame outside this debugger.
"""

import os
import sysconfig

_DEBUG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIB_DIRS = tuple(
    os.path.realpath(p) + os.sep
    for p in {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    if p
)


def raise_frame(exc):
    """{"name", "path", "line"} of the line that raised `exc` in the user's code, or None."""
    tb = getattr(exc, "__traceback__", None)
    user = other = None
    while tb is not None:
        code = tb.tb_frame.f_code
        path = code.co_filename
        if not path.startswith("<") and not os.path.abspath(path).startswith(_DEBUG_DIR):
            f = (code.co_name, path, tb.tb_lineno)
            other = f
            if not os.path.realpath(path).startswith(_LIB_DIRS):
                user = f
        tb = tb.tb_next
    f = user or other
    if f is None:
        return None
    return {"name": "%s raised in %s" % (type(exc).__name__, f[0]), "path": f[1], "line": f[2]}


def note_failing_sample(ctx, position, index):
    """Name the sample whose fetch raised: Variables show it, the stop description says it."""
    extra = dict(ctx.extra or {})
    extra["failing_index"] = index
    extra["failing_position"] = position
    ctx.extra = extra


def retry_alone(ctx, inner, indices, limit=64):
    """After a batch-wise `__getitems__` raised: fetch each index alone to find which fail.

    Only on an error with the fetch_error filter on, so the re-reads cost nothing otherwise."""
    getitem = getattr(inner, "__getitem__", None)
    if getitem is None or len(indices) > limit:
        return
    failing = []
    for i in indices:
        try:
            getitem(i)
        except Exception:
            failing.append(i)
    extra = dict(ctx.extra or {})
    extra["failing_alone"] = failing
    ctx.extra = extra
    if len(failing) == 1:
        note_failing_sample(ctx, list(indices).index(failing[0]), failing[0])


def failing_sample_text(ctx):
    extra = ctx.extra or {}
    if "failing_index" not in extra:
        if "failing_alone" in extra:
            return " (indices failing alone: %s)" % (extra["failing_alone"],)
        return ""
    return " (sample %r, position %s of indices %s)" % (
        extra["failing_index"],
        extra["failing_position"],
        list(ctx.indices or ()),
    )
