"""The adapter's connection: the welcome, then one handler per request of protocol/debug-protocol.md.

Requests about a thread an agent stopped are forwarded to that agent (agent_peer.py); requests
about a stop the controller holds are answered from local_vars.py. At most one adapter is attached;
when it goes, everything it armed is cleared and every stopped thread resumes (detach).
"""

import os
import threading
import time

from .. import procinfo, wire
from . import local_vars
from .process_tree import kill_tree
from .stops import release, resume_thread

# How long a step, or a breakpoint change, waits for every process to apply it (normally well under
# 1 ms; the bound is for a process that cannot answer, such as one stuck holding the GIL).
APPLIED_WITHIN_S = 5.0


class AdapterPeer:
    def __init__(self, ctl, conn):
        self.ctl = ctl
        self.conn = conn

    def serve(self):
        ctl = self.ctl
        self.conn.send(
            {
                "type": "welcome",
                "protocol": wire.PROTOCOL,
                "mode": ctl.mode,
                "controllerPid": os.getpid(),
                "programPid": ctl.program_pid,
                "hangTimeout": ctl.hang_timeout,
                "tokenizer": ctl.tokenizer,
            }
        )
        ctl.broadcast_config()
        try:
            self.conn.serve(self._handle, self._handle_error)
        finally:
            with ctl.lock:
                if ctl.adapter is self:
                    ctl.adapter = None
            detach(ctl)
            self.conn.close()
            ctl.adapter_gone.set()

    def send(self, msg):
        return self.conn.send(msg)

    def _handle(self, msg):
        if msg.get("type") != "request":
            return False
        try:
            handler = getattr(self, "rq_" + str(msg.get("command")), None)
            if handler is None:
                self.respond(msg, error="unknown command %r" % msg.get("command"))
            else:
                handler(msg, msg.get("arguments") or {})
        except Exception as e:  # a bad request must never kill the controller
            self._handle_error(msg, e)
        return msg.get("command") == "detach"

    def _handle_error(self, msg, e):
        self.respond(msg, error="%s: %s" % (type(e).__name__, e))

    def respond(self, req, body=None, error=None):
        msg = {
            "type": "response",
            "request_seq": req.get("seq", 0),
            "command": req.get("command", ""),
            "success": error is None,
        }
        if error is None:
            msg["body"] = body if body is not None else {}
        else:
            msg["message"] = error
        self.conn.send(msg)

    # ---------- configuration
    def rq_setFunctionBreakpoints(self, req, args):
        ctl = self.ctl
        with ctl.lock:
            out = ctl.breakpoints.set_function(args.get("breakpoints") or [])
        # Answered once every process has them: a verified breakpoint is one in force everywhere.
        ctl.broadcast_config(applied_within=APPLIED_WITHIN_S)
        self.respond(req, {"breakpoints": out})

    def rq_setExceptionBreakpoints(self, req, args):
        ctl = self.ctl
        filters, out = ctl.breakpoints.parse_filters(args)
        with ctl.lock:
            ctl.breakpoints.filters = filters
            if args.get("hangTimeout"):
                ctl.hang_timeout = float(args["hangTimeout"])
        ctl.broadcast_config(applied_within=APPLIED_WITHIN_S)
        self.respond(req, {"breakpoints": out})

    def rq_configurationDone(self, req, args):
        self.ctl.go = True
        self.ctl.broadcast_config()
        self.respond(req, {})

    # ---------- inspection
    def rq_threads(self, req, args):
        ctl = self.ctl
        with ctl.lock:
            threads = [
                {"id": t.tid, "name": t.name + (" · " + t.status if t.status else "")}
                for t in sorted(ctl.threads.values(), key=lambda t: t.tid)
                if t.alive or t.stop
            ]
        self.respond(req, {"threads": threads})

    def _thread_for(self, args):
        ctl = self.ctl
        tid = args.get("threadId")
        if tid is None and args.get("frameId") is not None:
            tid = int(args["frameId"]) // 100
        if tid is None:  # evaluate without a frame: the most recent stop
            with ctl.lock:
                stopped = [t for t in ctl.threads.values() if t.stop]
            tid = max(stopped, key=lambda t: t.stop["at"]).tid if stopped else None
        return ctl.threads.get(tid) if tid is not None else None

    def _forward_or_local(self, req, args, local):
        t = self._thread_for(args)
        if t is None or t.stop is None:
            self.respond(req, error="thread %s is not stopped" % (args.get("threadId") or args.get("frameId")))
            return
        if t.stop["owner"] == "agent":
            self.ctl.calls.call_agent(t.slot, self, req, dict(args, threadId=t.tid))
        else:
            local(t)

    def rq_stackTrace(self, req, args):
        self._forward_or_local(req, args, lambda t: self.respond(req, local_vars.stack_trace(t, args)))

    def rq_scopes(self, req, args):
        self._forward_or_local(req, args, lambda t: self.respond(req, {"scopes": self.ctl.local_vars.scopes(t)}))

    def rq_exceptionInfo(self, req, args):
        def local(t):
            ex = t.stop.get("exception")
            if not ex:
                self.respond(req, error="no exception on thread %d" % t.tid)
            else:
                self.respond(req, ex)

        self._forward_or_local(req, args, local)

    def rq_evaluate(self, req, args):
        def local(t):
            self.respond(
                req,
                error="thread %d is not stopped at a stage boundary (it is stuck or gone); "
                "evaluate needs a breakpoint, step or pause stop" % t.tid,
            )

        self._forward_or_local(req, args, local)

    def rq_variables(self, req, args):
        ctl = self.ctl
        ref = int(args.get("variablesReference") or 0)
        slot = ref >> 20
        if slot == 0:
            out = ctl.local_vars.variables(ref, int(args.get("start") or 0), int(args.get("count") or 0))
            if out is None:
                self.respond(req, error="unknown variablesReference %d" % ref)
            else:
                self.respond(req, {"variables": out})
        elif slot in ctl.agents:
            ctl.calls.call_agent(slot, self, req, args)
        else:
            self.respond(req, error="the process holding variablesReference %d is gone" % ref)

    def rq_recentBatches(self, req, args):
        n = int(args.get("count") or 50)
        with self.ctl.lock:
            batches = list(self.ctl.ring)[-n:]
        self.respond(req, {"batches": batches})

    def rq_recordBatches(self, req, args):
        """Start ({batches, maxMB, path, loader}) or stop ({stop: true}) the batch recorder in the main process."""
        ctl = self.ctl
        with ctl.lock:
            a = ctl.main_agent()
            if a is None and not ctl.main_gone.is_set():
                # Still importing torch, say: the main agent sends it on when it connects (agent_peer.py).
                ctl.pending_records.append((self, req, args))
                return
        if a is None:
            self.respond(req, error="batchscope: the program's main process is gone")
            return
        send_record(ctl, a, self, req, args)

    def rq_dumpStacks(self, req, args):
        ctl = self.ctl
        with ctl.lock:
            agents = list(ctl.agents.values())
        results = []
        done = threading.Event()
        pending = {"n": len(agents)}

        def collect(payload):
            with ctl.lock:
                if payload is not None:
                    results.append(payload)
                pending["n"] -= 1
                if pending["n"] <= 0:
                    done.set()

        if not agents:
            done.set()
        for a in agents:
            cid = ctl.calls.new(("dump", collect))
            if not a.conn.send({"type": "dump", "id": cid}):
                ctl.calls.pop(cid)
                collect({"pid": a.pid, "role": a.kind, "threads": [], "error": "connection lost"})

        def finish():
            done.wait(3.0)
            with ctl.lock:
                answered = {r.get("pid") for r in results}
                for a in agents:  # a process stuck in C with the GIL held cannot answer: say so
                    if a.pid not in answered:
                        r = {"pid": a.pid, "role": a.kind, "threads": [], "error": "no answer within 3 s"}
                        state = procinfo.state_text(procinfo.blocked_in(a.pid, a.native_tid)) if a.native_tid else None
                        if state:
                            r["state"] = state
                        results.append(r)
                by_pid = {a.pid: a for a in agents}
            for r in results:  # the stage and age of the batch in flight, from the agent's state file
                a = by_pid.get(r.get("pid"))
                cur = a.current() if a is not None else {}
                if cur.get("busy") and cur.get("start"):
                    r["inFlight"] = {
                        "stage": cur.get("stage"),
                        "batch": cur.get("batch"),
                        "indices": cur.get("indices"),
                        "seconds": round(time.monotonic() - cur["start"], 1),
                    }
            self.respond(
                req, {"processes": sorted(results, key=lambda r: (r.get("role") != "main", r.get("pid") or 0))}
            )

        threading.Thread(target=finish, daemon=True).start()

    # ---------- execution
    def rq_continue(self, req, args):
        ctl = self.ctl
        tid = args.get("threadId")
        single = bool(args.get("singleThread"))
        with ctl.lock:
            targets = (
                [ctl.threads[tid]] if single and tid in ctl.threads else [t for t in ctl.threads.values() if t.stop]
            )
            stops = [(t, t.stop) for t in targets if t.stop is not None]
            for t, _ in stops:
                t.stop = None
                # Under the lock, like every `stopped` (stops.py): per thread, events go out in the
                # order the state changed, and the thread runs (release) only after its `continued`.
                ctl.emit("continued", {"threadId": t.tid, "allThreadsContinued": False})
        ctl.broadcast_config()
        self.respond(req, {"allThreadsContinued": not single})
        with ctl.lock:
            for t, stop in stops:
                release(ctl, t, stop)

    def _step(self, req, args, kind):
        ctl = self.ctl
        t = ctl.threads.get(args.get("threadId"))
        if t is None or t.stop is None:
            self.respond(req, error="thread %s is not stopped" % args.get("threadId"))
            return
        body = t.stop["body"]
        batch = body.get("batch") or {}
        with ctl.lock:
            if "loaderId" in batch and batch.get("index", -1) >= 0:
                if kind == "next" and body.get("stage") == "train_step":
                    # The batch's last stage: Step Over goes on to the next batch of this loader
                    # (its next stage, whichever thread runs it; agent/stops.py).
                    key = "%s/next" % batch["loaderId"]
                    ctl.breakpoints.steps[key] = {"kind": "nextBatch", "after": [batch["epoch"], batch["index"]]}
                else:
                    key = "%s/%s/%s" % (batch["loaderId"], batch["epoch"], batch["index"])
                    ctl.breakpoints.steps[key] = {"kind": kind, "from": body.get("stage")}
            stop, t.stop = t.stop, None
            if stop is not None:  # `continued` before the thread runs: the step's `stopped` must not overtake it
                ctl.emit("continued", {"threadId": t.tid, "allThreadsContinued": False})
        # The step target must be in force in every process before the thread resumes.
        ctl.broadcast_config(applied_within=APPLIED_WITHIN_S)
        self.respond(req, {})
        with ctl.lock:
            release(ctl, t, stop)

    def rq_next(self, req, args):
        self._step(req, args, "next")

    def rq_stepIn(self, req, args):
        self._step(req, args, "stepIn")

    def rq_stepOut(self, req, args):
        self._step(req, args, "stepOut")

    def rq_pause(self, req, args):
        ctl = self.ctl
        tid = int(args.get("threadId") or 0)
        with ctl.lock:
            if tid == 0:
                ctl.breakpoints.pauses.update(t.tid for t in ctl.threads.values() if t.alive)
            else:
                ctl.breakpoints.pauses.add(tid)
        ctl.broadcast_config()
        self.respond(req, {})

    # ---------- session
    def rq_detach(self, req, args):
        detach(self.ctl)
        self.respond(req, {})

    def rq_terminate(self, req, args):
        ctl = self.ctl
        if ctl.terminate_hook:
            ctl.terminate_hook()
        elif ctl.program_pid:
            kill_tree(ctl.program_pid)
        self.respond(req, {})


def detach(ctl):
    """The adapter is leaving: nothing stays armed and every stopped thread resumes."""
    with ctl.lock:
        ctl.breakpoints.clear()
        ctl.go = True
        for t in ctl.threads.values():
            if t.stop:
                resume_thread(ctl, t)
        ctl.local_vars.clear()
    ctl.broadcast_config()


def send_record(ctl, main, adapter, req, args):
    """Forward a recordBatches request to the main agent; its result becomes the response."""
    cid = ctl.calls.new(("request", adapter, req))
    if not main.conn.send({"type": "record", "id": cid, "arguments": args}):
        ctl.calls.pop(cid)
        adapter.respond(req, error="batchscope: the program's main process is gone")
