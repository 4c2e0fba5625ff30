"""Python stacks of this process's threads, for `dumpStacks` and the main thread's timeout report."""

import sys
import threading


def frames_of(frame, limit=60):
    """[{name, path, line}] from `frame` outwards, most recent first."""
    out = []
    while frame is not None and len(out) < limit:
        code = frame.f_code
        out.append({"name": code.co_name, "path": code.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    return out


def dump(agent):
    """Every thread of this process but the caller, tagged with the batch and stage it works on."""
    me = threading.get_ident()
    threads = []
    names = {t.ident: t.name for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        ctx = agent.current.get(ident)
        entry = {"name": names.get(ident, "thread %x" % ident), "frames": frames_of(frame)}
        if ctx is not None:
            entry.update({"threadId": ctx.tid, "stage": ctx.stage, "batch": ctx.batch_ref()})
        elif ident == threading.main_thread().ident:
            entry["threadId"] = agent.thread_id
        threads.append(entry)
    return {"pid": agent.pid, "role": agent.kind, "threads": threads}
