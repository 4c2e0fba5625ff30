"""A `hang` stop served from inside the stuck process: the stuck thread's frames, locals and syscall.

A thread stuck in a blocking read cannot stop itself, but it released the GIL, so another thread of
the same process can read its live frames (`sys._current_frames()`), their locals, and what it is
blocked on in the kernel (procinfo.py reads /proc/self/task/<tid>/…, which needs no ptrace rights
inside one process). When the controller decides a batch hangs it sends `inspectHang`; the agent's
receive thread snapshots the frames here, answers with the stop's body, and one helper thread then
serves the adapter's requests for that stop (stackTrace, scopes, variables, evaluate against any
frame's locals, read-only) until the user continues. The stuck thread itself is never touched.
"""

import os
import queue
import sys
import threading
import time

from .. import procinfo, values, wire
from .raise_site import _DEBUG_DIR, _LIB_DIRS
from .stack_dump import frames_of

EVAL_TIMEOUT_S = 5.0
MAX_FRAMES = 98  # frame ids are threadId·100 + depth, and depth 99 is the adapter's label
STUCK_FRAMES = 80


def _is_user(path):
    if not path or path.startswith("<"):
        return False
    real = os.path.realpath(path)
    return not real.startswith(_LIB_DIRS) and not os.path.abspath(path).startswith(_DEBUG_DIR)


def _frame_entry(frame):
    code = frame.f_code
    f = {"name": code.co_name, "path": code.co_filename, "line": frame.f_lineno}
    if not _is_user(code.co_filename):
        f["hint"] = "subtle"
    return f


def _native_ids():
    out = {}
    for t in threading.enumerate():
        nid = getattr(t, "native_id", None)
        if t.ident is not None and nid is not None:
            out[t.ident] = (nid, t.name)
    return out


def traceback_text(ident, name, frame):
    """One thread's stack as faulthandler prints it (most recent call first)."""
    lines = ["Thread 0x%016x %s(most recent call first):" % (ident, "[%s] " % name if name else "")]
    for f in frames_of(frame):
        lines.append('  File "%s", line %d in %s' % (f["path"], f["line"], f["name"]))
    return "\n".join(lines)


class HangInspect:
    """One hang stop: frame objects by depth, the blocking call, and the queue its requests arrive on."""

    def __init__(self, agent, tid, ctx, ident, elapsed, hang_timeout, stage=None):
        self.agent = agent
        self.tid = tid
        self.ctx = ctx
        self.q = queue.Queue()
        self.threads = []  # this stop's server thread and its evaluations: Agent.shutdown joins them
        self.vars = None
        self.frames = []  # DAP frame dicts, by depth
        self.frame_objs = []  # the live frame at each depth (None for label rows)
        natives = _native_ids()
        current = sys._current_frames()
        top = current.get(ident)
        nid, tname = natives.get(ident, (None, None))
        self.blocked = procinfo.blocked_in(os.getpid(), nid) if nid else None
        where = "worker %s" % ctx.worker_id if ctx is not None and ctx.worker_id is not None else "main process"
        stage = stage or (ctx.stage if ctx is not None else None) or "fetch"
        index = ctx.index if ctx is not None else None
        self.info = {
            "pid": agent.pid,
            "native_thread_id": nid,
            "stage": stage,
            "batch_index": index,
            "indices": (ctx.indices if isinstance(ctx.indices, str) else list(ctx.indices or ()))
            if ctx is not None
            else None,
            "stuck_for_s": round(elapsed, 1),
            "hang_timeout_s": hang_timeout,
        }
        if self.blocked:
            self.info["blocked_in"] = self.blocked
        stuck = None
        for n, frame in enumerate(self._walk(top)):
            if n == STUCK_FRAMES:  # deep recursion: keep room for the label and the other threads
                break
            entry = _frame_entry(frame)
            if stuck is None and "hint" not in entry:
                stuck = entry
            self._add(entry, frame)
        self._add({"name": "%s · batch %s (hang > %gs)" % (stage, index, hang_timeout), "hint": "label"})
        # The other threads follow the stuck one (the debugger's own threads are left out).
        texts = [traceback_text(ident, tname, top)] if top is not None else []
        for other, frame in current.items():
            oname = natives.get(other, (None, "thread %x" % other))[1]
            if other in (ident, threading.get_ident()) or str(oname).startswith("batchscope"):
                continue
            texts.append(traceback_text(other, oname, frame))
            self._add({"name": "── thread %s ──" % oname, "hint": "label"})
            for f in self._walk(frame):
                e = _frame_entry(f)
                e["hint"] = "subtle"
                self._add(e, f)
        self.traceback = "\n\n".join(texts)
        self.stuck = stuck
        self.description = self._describe(where, stage, index, elapsed, stuck)

    @staticmethod
    def _walk(frame):
        while frame is not None:
            yield frame
            frame = frame.f_back

    def _add(self, entry, frame=None):
        if len(self.frames) < MAX_FRAMES:
            self.frames.append(entry)
            self.frame_objs.append(frame)

    def _describe(self, where, stage, index, elapsed, stuck):
        b = self.blocked or {}
        if b.get("syscall"):
            head = "%s blocked in %s for %d s" % (where, b["text"], elapsed)
        elif b.get("running"):
            head = "%s busy on a CPU for %d s (not in a system call)" % (where, elapsed)
        else:
            head = "%s stuck for %d s" % (where, elapsed)
        head += ": %s of batch %s" % (stage, index)
        if stuck:
            head += " at %s:%d in %s" % (os.path.basename(stuck["path"]), stuck["line"], stuck["name"])
        return head

    def body(self):
        """The `stopped` body (the controller adds nothing but the thread's name)."""
        ctx = self.ctx
        body = {
            "reason": "exception",
            "threadId": self.tid,
            "description": self.description,
            "text": "hang",
            "allThreadsStopped": False,
            "stage": self.info["stage"],
        }
        if ctx is not None:
            body["batch"] = ctx.batch_ref()
        return body

    # ---------- serving (one helper thread per hang stop)
    def serve_forever(self):
        try:
            while True:
                msg = self.q.get()
                if msg.get("type") == "resume":
                    return
                self._serve(msg)
        finally:
            active = self.agent.stops.active
            if active.get(self.tid) is self:  # the thread may have stopped for real since
                active.pop(self.tid, None)
            self.frame_objs = []  # let the frames (and what they hold) go

    def _serve(self, msg):
        cmd = msg.get("command")
        args = msg.get("arguments") or {}
        a = self.agent
        try:
            handler = getattr(self, "rq_" + str(cmd), None)
            if handler is None:
                raise AttributeError("unknown command %r" % cmd)
            a.send({"type": "result", "id": msg.get("id"), "success": True, "body": handler(args)})
        except Exception as e:
            a.send(
                {"type": "result", "id": msg.get("id"), "success": False, "message": "%s: %s" % (type(e).__name__, e)}
            )

    def _table(self):
        if self.vars is None:
            a = self.agent
            self.vars = values.VarTable(a.slot, a.cfg.tokenizer or os.environ.get("BATCHSCOPE_TOKENIZER"))
        return self.vars

    def _frame(self, frame_id):
        depth = int(frame_id) % 100 if frame_id is not None else 0
        return self.frame_objs[depth] if 0 <= depth < len(self.frame_objs) else None

    def rq_stackTrace(self, args):
        return wire.stack_trace_body(self.tid, self.frames, args)

    def rq_scopes(self, args):
        vt = self._table()
        frame = self._frame(args.get("frameId"))
        out = []
        if frame is not None:
            out.append(
                {
                    "name": "Locals",
                    "variablesReference": vt.ref(("dict", dict(frame.f_locals))),
                    "expensive": False,
                    "presentationHint": "locals",
                }
            )
        out.append({"name": "Hang", "variablesReference": vt.ref(("dict", self.info)), "expensive": False})
        return {"scopes": out}

    def rq_variables(self, args):
        return {
            "variables": self._table().children(
                int(args["variablesReference"]), int(args.get("start") or 0), int(args.get("count") or 0)
            )
        }

    def rq_evaluate(self, args):
        """An expression against a frame's locals (a copy: nothing is written back). Statements are
        refused, and an expression that blocks (it may touch the very thing that hangs) is given up
        after EVAL_TIMEOUT_S, leaving its thread behind rather than this stop."""
        frame = self._frame(args.get("frameId"))
        if frame is None:
            frame = next((f for f in self.frame_objs if f is not None), None)
        if frame is None:
            raise ValueError("no Python frame to evaluate in")
        expr = args.get("expression") or ""
        try:
            code = compile(expr, "<evaluate>", "eval")
        except SyntaxError:
            raise ValueError(
                "at a hang stop the thread is still running: only expressions are evaluated (read-only)"
            ) from None
        box = {}

        def run():
            try:
                box["value"] = eval(code, frame.f_globals, dict(frame.f_locals))
            except BaseException as e:  # reported to the user, like any evaluation error
                box["error"] = e

        t = threading.Thread(target=run, name="batchscope-evaluate", daemon=True)
        self.threads.append(t)  # joined at exit (Agent.shutdown): it may be inside torch's C++
        t.start()
        t.join(EVAL_TIMEOUT_S)
        if t.is_alive():
            raise TimeoutError("the expression did not finish within %g s" % EVAL_TIMEOUT_S)
        if "error" in box:
            e = box["error"]
            raise e if isinstance(e, Exception) else RuntimeError(repr(e))
        v = self._table().var("result", box["value"])
        return values.evaluate_result(v, box["value"], args.get("context"))

    def rq_exceptionInfo(self, args):
        return {
            "exceptionId": "hang",
            "description": self.description,
            "breakMode": "always",
            "details": {
                "message": self.description,
                "typeName": "Hang",
                "fullTypeName": "batchscope.Hang",
                "stackTrace": self.traceback[-16000:],
            },
        }


def inspect(agent, msg):
    """The controller's `inspectHang` (on the receive thread: quick, never blocks). Answers the stop
    body, or an error when the batch is no longer in flight."""
    busy = agent.busy
    tid = msg.get("threadId") or agent.thread_id
    if busy is None:
        agent.send({"type": "result", "id": msg.get("id"), "success": False, "message": "no batch in flight"})
        return
    ctx, start = busy
    ident = next((i for i, c in list(agent.current.items()) if c is ctx), agent.stage_ident)
    old = agent.stops.active.get(tid)
    if old is not None:
        agent.send({"type": "result", "id": msg.get("id"), "success": False, "message": "thread is stopped"})
        return
    hi = HangInspect(
        agent, tid, ctx, ident, time.monotonic() - start, float(msg.get("hangTimeout") or 0), msg.get("stage")
    )
    agent.stops.active[tid] = hi
    t = threading.Thread(target=hi.serve_forever, name="batchscope-hang-stop", daemon=True)
    hi.threads.append(t)
    t.start()
    agent.send({"type": "result", "id": msg.get("id"), "success": True, "body": hi.body()})
