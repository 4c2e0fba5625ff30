"""Where a thread stops: breakpoint conditions, hit counts, steps, pauses and exceptions at stage entry.

The instrumentation calls `boundary(stage, ctx)` at every stage entry. With nothing armed (no
breakpoint, step or pause) that is one attribute test. When a thread must stop it sends `stopped`
and serves the adapter's requests for it (stopped_requests.py) from its own thread until told to
resume, so evaluation runs in the stage's own process and thread.
"""

import queue
import threading
import time

from .. import values
from . import stopped_requests
from .batch_context import STAGE_CODE, user_globals
from .config import step_matches
from .raise_site import failing_sample_text, raise_frame

# Longest wait for the controller's answer to a hit; above ordered_hits.LONG_GAP_S (the answer comes
# by then unless the controller is gone).
HIT_WAIT_S = 30.0


class StopState:
    """One stopped thread: what it stopped on, and the queue its requests and resume arrive on."""

    def __init__(self, tid, stage, ctx, lv, frames, exc_info, reason):
        self.tid = tid
        self.stage = stage
        self.ctx = ctx
        self.locals = lv
        self.frames = frames
        self.exc_info = exc_info
        self.reason = reason
        self.q = queue.Queue()
        self.vars = None
        self.text = None
        self.description = None


class Stops:
    def __init__(self, agent):
        self.agent = agent
        self.active = {}  # thread id -> StopState of each thread stopped in this process
        self.pending = {}  # hit call id -> [event, stop?] while the controller counts a hit
        self.next_id = 1
        self.id_lock = threading.Lock()

    def resume_all(self):
        for st in list(self.active.values()):
            st.q.put({"type": "resume"})

    def hit_result(self, msg):
        box = self.pending.pop(msg.get("id"), None)
        if box:
            box[1] = msg.get("stop", True)
            box[0].set()

    def boundary(self, stage, ctx):
        """Stage entry. Cheap unless something is armed."""
        if not self.agent.cfg.armed:
            return
        try:
            self._boundary(stage, ctx)
        except Exception as e:  # a debugger bug must not become an error in the user's DataLoader
            self.agent.internal_error(e)

    def _boundary(self, stage, ctx):
        cfg = self.agent.cfg
        tid = ctx.tid
        bps = cfg.by_stage.get(stage)
        if tid in cfg.pauses:
            self._passed(bps, ctx)
            self.stop("pause", stage, ctx, description="paused at %s · batch %s" % (stage, ctx.index))
            return
        step = cfg.steps.get(ctx.key) if cfg.steps else None
        if (step is not None and step_matches(step, stage)) or (
            step is None and cfg.steps and stage != "sample" and _next_batch(cfg.steps, ctx)
        ):
            self._passed(bps, ctx)
            self.stop("step", stage, ctx)
            return
        if bps:
            hits, error = [], None
            lv = None
            for bp_id, cond, code, has_hit in bps:
                if code is not None or cond:
                    if lv is None:
                        lv = ctx.locals(stage)
                    try:
                        if code is None:
                            compile(cond, "<condition>", "eval")
                        if not eval(code, user_globals(ctx), dict(lv)):
                            if has_hit == "ordered":
                                self._passed_one(bp_id, ctx)
                            continue
                    except Exception as e:
                        error = "condition %r raised %s: %s" % (cond, type(e).__name__, e)
                if has_hit and not self._hit(bp_id, ctx if has_hit == "ordered" else None):
                    continue
                hits.append(bp_id)
            if hits:
                self.stop("function breakpoint", stage, ctx, hit_ids=hits, description=error)

    def _passed(self, bps, ctx):
        """This batch passes the stage without a breakpoint hit (a step or pause stops it instead)."""
        for bp_id, _, _, has_hit in bps or ():
            if has_hit == "ordered":
                self._passed_one(bp_id, ctx)

    def _passed_one(self, bp_id, ctx):
        # Counted hits follow batch order: the controller must know this batch went by (no answer).
        self.agent.send({"type": "hit", "bp": bp_id, "key": _key(ctx), "match": False})

    def _hit(self, bp_id, ctx=None):
        """Hit counts live in the controller (shared by every process): ask whether this hit stops.

        With `ctx` the controller counts it in batch-index order, so the answer may wait for
        earlier batches (see controller/ordered_hits.py: longer than LONG_GAP_S only if the
        controller is gone, and then the hit stops nothing that matters)."""
        ev = threading.Event()
        with self.id_lock:
            cid = self.next_id
            self.next_id += 1
        box = [ev, True]
        self.pending[cid] = box
        msg = {"type": "hit", "id": cid, "bp": bp_id}
        if ctx is not None:
            msg["key"] = _key(ctx)
            msg["match"] = True
            if self.agent.kind == "worker":  # lets the controller tell a late worker from a lost batch
                msg["worker"] = self.agent.worker_id
                msg["workers"] = self.agent.num_workers
        if not self.agent.send(msg):
            return True
        ev.wait(HIT_WAIT_S)
        self.pending.pop(cid, None)
        return box[1]

    def exception(self, filter_id, stage, ctx, exc):
        """A stage raised: stop with the live exception when the filter is on (and its condition holds)."""
        cfg = self.agent.cfg
        if not cfg.attached or filter_id not in cfg.filters:
            return
        try:
            self._exception(filter_id, stage, ctx, exc, cfg)
        except Exception as e:
            self.agent.internal_error(e)

    def _exception(self, filter_id, stage, ctx, exc, cfg):
        ctx.exception = exc
        cond = cfg.filters.get(filter_id)
        if cond:
            try:
                if not eval(cond, user_globals(ctx), ctx.locals(stage)):
                    return
            except Exception:
                pass
        text_ = str(exc)
        desc = "%s: %s" % (type(exc).__name__, text_ if len(text_) <= 300 else text_[:299] + "…")
        desc += failing_sample_text(ctx)
        self.stop("exception", stage, ctx, text=filter_id, description=desc, exc=exc)

    def stop(self, reason, stage, ctx, hit_ids=None, description=None, text=None, exc=None):
        """Report the stop and serve requests on this thread until the controller says resume."""
        a = self.agent
        if not a.ok or not a.cfg.attached:
            return
        tid = ctx.tid
        busy = a.busy
        mine = busy is not None and busy[0] is ctx
        if mine:  # a paused stage is not a hung stage: the clock starts again on resume
            a.busy = None
            if a.state is not None:
                a.state.mark(0)
        frames = stage_frames(stage, ctx)
        if exc is not None:
            top = raise_frame(exc)  # the raising line in the user's code, above the stage frames
            if top is not None:
                frames.insert(0, top)
        st = StopState(tid, stage, ctx, ctx.locals(stage), frames, exc, reason)
        st.text = text
        st.description = description
        prev = self.active.get(tid)
        if prev is not None:  # a hang stop of this thread (served elsewhere) ends: the thread moved on
            prev.q.put({"type": "resume"})
        self.active[tid] = st
        body = {
            "reason": reason,
            "threadId": tid,
            "allThreadsStopped": False,
            "stage": stage,
            "batch": ctx.batch_ref(),
            "description": description or "%s · batch %s · %s" % (stage, ctx.index, ctx.loader),
        }
        if hit_ids:
            body["hitBreakpointIds"] = hit_ids
        if text:
            body["text"] = text
        name = (
            a.thread_name()
            if a.kind == "worker"
            else ("main (pid %d)" % a.pid if tid == 1 else "pin memory · %s (pid %d)" % (ctx.loader, a.pid))
        )
        a.flush()  # the batches finished before this stop reach the controller first (recentBatches)
        if not a.send({"type": "stopped", "name": name, "body": body}):
            self.active.pop(tid, None)
            return
        try:
            while True:
                msg = st.q.get()
                if msg.get("type") == "resume":
                    break
                stopped_requests.serve(a, st, msg)
        finally:
            self.active.pop(tid, None)
            if mine and a.busy is None:
                now = time.monotonic()
                a.busy = (ctx, now)
                if a.state is not None:
                    a.state.write(STAGE_CODE.get(ctx.stage or "fetch", 2), ctx, now, a.rss)


def _next_batch(steps, ctx):
    """A Step Over from a batch's last stage (train_step) stops at the loader's next batch: the one
    after it in its epoch, or any batch of a later epoch. Not any later batch: with workers, the main
    thread samples batch n + 1 + prefetch before batch n + 1 reaches to_device."""
    nb = steps.get("%s/next" % ctx.loader_id)
    if nb is None or not isinstance(ctx.index, int) or ctx.index < 0:
        return False
    epoch, index = nb.get("after") or (0, -1)
    return ctx.epoch > epoch or (ctx.epoch == epoch and ctx.index == index + 1)


def stage_frames(stage, ctx):
    """The DAP frames of a stop: one per stage of the batch, the current one on top."""
    frames = []
    where = "worker %s" % ctx.worker_id if ctx.worker_id is not None else "main process"
    if stage == "sample":
        path, line = ctx.sources.get("sample", (None, 0))
        frames.append(
            {
                "name": "sample %s · position %s of batch %s"
                % (
                    ctx.sample_pos[1] if ctx.sample_pos else "?",
                    ctx.sample_pos[0] if ctx.sample_pos else "?",
                    ctx.index,
                ),
                "path": path,
                "line": line,
            }
        )
    order = ["train_step", "to_device", "pin_memory", "batch_ready", "collate", "fetch", "sampler"]
    started = False
    for s in order:
        if s == stage or (stage == "sample" and s == "fetch"):
            started = True
            current = True
        else:
            current = False
        if not started:
            continue
        if s in ("sampler",) and ctx.worker_id is not None:
            frames.append({"name": "sampler · batch %s (main process)" % ctx.index, "hint": "label"})
            continue
        if s in ("train_step", "to_device", "pin_memory") and not current:
            continue
        if s == "batch_ready" and not current:
            continue
        path, line = ctx.extra_src if s == "collate" and ctx.extra_src else ctx.sources.get(s, (None, 0))
        label = "%s · batch %s" % (s, ctx.index)
        if s == "fetch" and ctx.indices is not None:
            idx = list(ctx.indices)
            label += " (indices %s)" % (values.short_repr(idx, 60))
        if current and s in ("train_step", "to_device", "pin_memory", "sampler"):
            label += " · " + where
        f = {"name": label, "path": path, "line": line}
        if not current and not (stage == "sample" and s == "fetch"):
            f["hint"] = "subtle"
        frames.append(f)
    return frames


def _key(ctx):
    """A batch's place in its loader's epoch for the controller's ordered hit counts, plus the epoch's
    first batch index when a resume skipped batches (counting starts there, not at batch 0)."""
    key = [ctx.loader_id, ctx.epoch, ctx.index]
    if ctx.first:
        key.append(ctx.first)
    return key
