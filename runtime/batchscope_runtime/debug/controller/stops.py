"""The debugger's threads and who holds each stopped one.

A thread stops either in its agent (breakpoint, step, pause, live exception: the agent answers
the adapter's requests for it) or in the controller itself (hang, worker_died, a DataLoader
timeout: the process is stuck or gone, so the controller answers from what it recorded,
local_vars.py). Resuming tells the agent, when the agent holds the stop.
"""

import time


class ThreadRec:
    def __init__(self, tid, name, slot):
        self.tid = tid
        self.name = name
        self.slot = slot
        self.alive = True
        self.stop = None  # dict: {"owner": "agent"|"controller", "body": stopped body, ...}
        self.status = ""  # e.g. "waiting 6s for batch 12 from worker 1"


def thread(ctl, tid, name, slot):
    """The thread `tid`, created or revived (the adapter hears of it then). Under ctl.lock."""
    t = ctl.threads.get(tid)
    new = t is None or not t.alive
    if t is None:
        t = ctl.threads[tid] = ThreadRec(tid, name, slot)
    t.name, t.slot, t.alive = name, slot, True
    if new:
        ctl.emit("thread", {"reason": "started", "threadId": tid, "name": name})
    return t


def resume_thread(ctl, t):
    """Forget the stop; an agent-held stop is released in its process. Under ctl.lock."""
    stop = t.stop
    t.stop = None
    if stop and stop["owner"] == "agent":
        a = ctl.agents.get(t.slot)
        if a:
            a.conn.send({"type": "resume", "threadId": t.tid})


def agent_stopped(ctl, peer, msg):
    """An agent stopped one of its threads."""
    body = msg["body"]
    tid = body["threadId"]
    with ctl.lock:
        t = thread(ctl, tid, msg.get("name") or "thread %d" % tid, peer.slot)
        if ctl.adapter is None:  # nobody to show it to: let it go at once
            peer.conn.send({"type": "resume", "threadId": tid})
            return
        t.stop = {"owner": "agent", "body": body, "at": time.monotonic()}
        ctl.breakpoints.pauses.discard(tid)
        if body.get("reason") == "step":
            batch = body.get("batch") or {}
            ctl.breakpoints.steps.pop(
                "%s/%s/%s" % (batch.get("loaderId"), batch.get("epoch"), batch.get("index")), None
            )
        t.status = ""
    ctl.broadcast_config()
    ctl.emit("stopped", body)


def local_stop(ctl, tid, filter_id, description, frames, scopes, batch=None, stage=None, exception=None):
    """A stop the controller holds (the process cannot stop itself); only an output line when the
    filter is off or nobody is attached."""
    with ctl.lock:
        if filter_id not in ctl.breakpoints.filters or ctl.adapter is None:
            ctl.emit("output", {"category": "important", "output": "batchscope: " + description + "\n"})
            return
        t = ctl.threads.get(tid) or thread(ctl, tid, "thread %d" % tid, 0)
        if t.stop is not None:
            return
        body = {
            "reason": "exception",
            "threadId": tid,
            "description": description,
            "text": filter_id,
            "allThreadsStopped": False,
        }
        if stage:
            body["stage"] = stage
        if batch:
            body["batch"] = batch
        t.stop = {
            "owner": "controller",
            "body": body,
            "frames": frames[:99],
            "scopes": scopes,
            "at": time.monotonic(),
            "exception": exception
            or {
                "exceptionId": filter_id,
                "description": description,
                "breakMode": "always",
                "details": {"message": description, "typeName": filter_id},
            },
        }
    ctl.broadcast_config()
    ctl.emit("stopped", body)


def mark_exited(ctl, t):
    """A thread ended; the adapter hears of it once. Under ctl.lock."""
    if t.alive:
        t.alive = False
        ctl.emit("thread", {"reason": "exited", "threadId": t.tid})
