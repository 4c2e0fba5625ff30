"""Python stacks of this process's threads, for `dumpStacks` and the main thread's timeout report."""

import sys
import threading

from .. import procinfo


def frames_of(frame, limit=60):
    """[{name, path, line}] from `frame` outwards, most recent first."""
    out = []
    while frame is not None and len(out) < limit:
        code = frame.f_code
        out.append({"name": code.co_name, "path": code.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    return out


def dump(agent):
    """Every thread of this process but the debugger's own, tagged with the batch and stage it
    works on and (Linux) the system call it is blocked in, like `py-spy dump`; nothing is paused."""
    me = threading.get_ident()
    threads = []
    live = {t.ident: t for t in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        t = live.get(ident)
        name = t.name if t is not None else "thread %x" % ident
        if ident == me or name.startswith("batchscope"):
            continue
        ctx = agent.current.get(ident)
        entry = {"name": name, "frames": frames_of(frame)}
        nid = getattr(t, "native_id", None)
        if nid is not None:
            entry["nativeId"] = nid
            state = procinfo.state_text(procinfo.blocked_in(agent.pid, nid))
            if state:
                entry["state"] = state
        if ctx is not None:
            entry.update({"threadId": ctx.tid, "stage": ctx.stage, "batch": ctx.batch_ref()})
        elif ident == threading.main_thread().ident:
            entry["threadId"] = agent.thread_id
        threads.append(entry)
    out = {"pid": agent.pid, "role": agent.kind, "threads": threads}
    if agent.kind == "worker":
        out["name"] = agent.thread_name()
        out["threadId"] = agent.thread_id
    return out
