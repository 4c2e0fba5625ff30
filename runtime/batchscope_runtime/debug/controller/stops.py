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
    release(ctl, t, stop)


def release(ctl, t, stop):
    """Let an agent-held stop go in its process (the thread's `stop` is already cleared).

    Callers emit `continued` before this: once the thread runs, its next `stopped` can reach the
    adapter at any moment (from the agent's connection), and it must not overtake the `continued`."""
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
        stale = _breakpoints_gone(ctl, body) or (body.get("reason") == "step" and not _take_step(ctl, body))
        if ctl.adapter is None or stale:  # nobody to show it to, or not a stop any more: let it go at once
            peer.conn.send({"type": "resume", "threadId": tid})
            return
        if body.get("reason") == "function breakpoint" and _another_stopped(ctl, tid):
            body["preserveFocusHint"] = True
        t.stop = {"owner": "agent", "body": body, "at": time.monotonic()}
        ctl.breakpoints.pauses.discard(tid)
        t.status = ""
        # Under the lock: a `continue` that sees this stop emits its `continued` only after this event.
        ctl.emit("stopped", body)
    ctl.broadcast_config()


def _another_stopped(ctl, tid):
    """Whether a thread other than `tid` is stopped. Under ctl.lock.

    A breakpoint hit in a second worker while the user reads (or steps) a first stop must not move
    VS Code's focus: it focuses every `stopped` without `preserveFocusHint`, so with 2 workers the
    view jumped from batch N to batch N+1 about 250 ms after the first stop, and a Step Over clicked
    in that window went to the other worker (seen in the container attach scenario). The hinted stop
    still shows in Call Stack; a step's, a pause's or an error's stop takes the focus as before."""
    return any(t.stop is not None for k, t in ctl.threads.items() if k != tid)


def _take_step(ctl, body):
    """Consume the step this stop answers; False when it was consumed already.

    A step reaches the agents by config, one connection each, and a step stop makes the controller
    drop it. Another process can still hold the old config when its thread reaches the batch's next
    stage (the main process's batch_ready after a worker's step stop at collate), and report the same
    step again: seen once in 1,000 Step Over cycles. Only the controller knows it is spent."""
    batch = body.get("batch") or {}
    key = "%s/%s/%s" % (batch.get("loaderId"), batch.get("epoch"), batch.get("index"))
    this_batch = ctl.breakpoints.steps.pop(key, None)
    next_batch = ctl.breakpoints.steps.pop("%s/next" % batch.get("loaderId"), None)
    return this_batch is not None or next_batch is not None


def _breakpoints_gone(ctl, body):
    """A breakpoint stop whose breakpoints were all removed after the agent checked them.

    The adapter's setFunctionBreakpoints is answered here, and the agents learn of it by a config
    message a moment later: a thread already at a stage can still report a hit on a breakpoint the
    user just removed. The controller holds the current set, so it decides (under ctl.lock)."""
    if body.get("reason") != "function breakpoint":
        return False
    ids = {b["id"] for b in ctl.breakpoints.bps}
    return not any(i in ids for i in body.get("hitBreakpointIds") or ())


def inspected_stop(ctl, peer, body, name=None):
    """A hang stop the stuck process's agent serves from a helper thread (agent/hang_inspect.py).
    Returns False when it cannot be shown (filter off, nobody attached, thread already stopped);
    the agent is then told to let its inspection go."""
    tid = body["threadId"]
    with ctl.lock:
        t = ctl.threads.get(tid)
        ok = "hang" in ctl.breakpoints.filters and ctl.adapter is not None and (t is None or t.stop is None)
        if ok:
            t = thread(ctl, tid, name or (t.name if t else "thread %d" % tid), peer.slot)
            t.stop = {"owner": "agent", "body": body, "at": time.monotonic()}
            ctl.emit("stopped", body)
    if not ok:
        peer.conn.send({"type": "resume", "threadId": tid})
        return False
    ctl.broadcast_config()
    return True


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
        ctl.emit("stopped", body)  # under the lock, like agent_stopped
    ctl.broadcast_config()


def mark_exited(ctl, t):
    """A thread ended; the adapter hears of it once. Under ctl.lock."""
    if t.alive:
        t.alive = False
        ctl.emit("thread", {"reason": "exited", "threadId": t.tid})
