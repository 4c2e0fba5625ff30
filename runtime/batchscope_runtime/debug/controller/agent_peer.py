"""One agent's connection (the main process or a worker): its hello, its messages, calls into it.

An agent reports stops, breakpoint hits (counted here, across processes), finished batches
(`state`), the main thread's wait, its own hang reports and its goodbye. The controller calls into
an agent to forward the adapter's requests for a thread it stopped, to dump its stacks and to ask
the main process for a worker's exit status (`Calls`: an id per call, answered by `result`).
"""

import os
import threading
import time

from .. import wire
from .adapter_peer import send_record
from .ordered_hits import GAP_S, LONG_GAP_S
from .stops import agent_stopped, local_stop, mark_exited, thread


class Calls:
    """Calls into agents awaiting their `result`: call id -> ("request", adapter, req) | (kind, callback)."""

    def __init__(self, ctl):
        self.ctl = ctl
        self.lock = threading.Lock()
        self.next_id = 1
        self.pending = {}

    def new(self, entry):
        with self.lock:
            cid = self.next_id
            self.next_id += 1
            self.pending[cid] = entry
        return cid

    def pop(self, cid):
        with self.lock:
            return self.pending.pop(cid, None)

    def call_agent(self, slot, adapter, req, args):
        """Forward an adapter request to the agent in `slot`; its result becomes the response."""
        a = self.ctl.agents.get(slot)
        if a is None:
            adapter.respond(req, error="process is gone")
            return
        cid = self.new(("request", adapter, req))
        if not a.conn.send(
            {
                "type": "call",
                "id": cid,
                "threadId": args.get("threadId"),
                "command": req.get("command"),
                "arguments": args,
            }
        ):
            self.pop(cid)
            adapter.respond(req, error="process is gone")

    def resolve(self, msg):
        entry = self.pop(msg.get("id"))
        if entry and entry[0] == "request":
            _, adapter, req = entry
            if msg.get("success"):
                adapter.respond(req, msg.get("body") or {})
            else:
                adapter.respond(req, error=msg.get("message") or "failed")
        elif entry and entry[0] in ("dump", "probe", "inspect"):
            entry[1](msg.get("body"))


class AgentPeer:
    def __init__(self, ctl, slot, conn, hello):
        self.ctl = ctl
        self.slot = slot
        self.conn = conn
        self.pid = hello.get("pid")
        self.kind = hello.get("kind", "main")
        self.thread_id = hello.get("threadId")
        self.loader = hello.get("loader")
        self.worker = hello.get("worker")
        self.hang_file = hello.get("hangFile")
        self.state_file = hello.get("stateFile")  # wire.StateFile: the agent's batch in flight
        self.stage_ident = hello.get("ident")
        self.native_tid = hello.get("nativeTid")
        self.dump_signal = hello.get("dumpSignal")  # asks its faulthandler for a dump (hang_watch.py)
        self.signalled = None  # batch start a dump was asked for by signal
        self.name = hello.get("name")
        self.pending_hang = None  # (batch start, dump text) of a dump that fired before hangTimeout
        self.hang_reported = None  # batch start of the last hang reported
        self.said_bye = False
        self.bye = None
        self.acked = 0  # newest config version the agent has applied (Controller.broadcast_config)
        self.ended = False  # its connection is closed
        self.thread = None  # the controller thread serving it

    def current(self):
        return wire.StateFile.read(self.state_file) or {}

    def remove_files(self):
        for path in (self.hang_file, self.state_file):  # the process is gone: nobody writes them any more
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def serve(self):
        ctl = self.ctl
        self.thread = threading.current_thread()
        with ctl.agent_news:
            ctl.peers.add(self)
        with ctl.lock:
            ctl.agents[self.slot] = self
            if self.kind == "main":
                ctl.program_pid = self.pid
                thread(ctl, 1, self.name or "main (pid %s)" % self.pid, self.slot)
            elif self.thread_id is not None:
                thread(ctl, self.thread_id, self.name or "worker", self.slot)
            cfg = ctl.config()
        cfg["slot"] = self.slot
        self.conn.send(cfg)
        if self.kind == "main":
            with ctl.lock:
                early, ctl.pending_records = ctl.pending_records, []
            for adapter, req, args in early:
                send_record(ctl, self, adapter, req, args)
        try:
            self.conn.serve(self._handle, self._handle_error)
        finally:
            self.conn.close()
            with ctl.lock:
                ctl.agents.pop(self.slot, None)
            with ctl.agent_news:
                self.ended = True
                ctl.agent_news.notify_all()
            try:
                self._gone()  # may report the process's death (worker_died): before `exited`
            finally:
                with ctl.agent_news:
                    ctl.peers.discard(self)
                    ctl.agent_news.notify_all()

    def _ordered_hit(self, msg):
        """A batch passed a hit-counted breakpoint's stage: counted in batch-index order (ordered_hits.py)."""
        ctl = self.ctl
        reply = (self.conn, msg["id"]) if msg.get("id") is not None else None
        with ctl.lock:
            due = ctl.breakpoints.ordered.report(
                msg.get("bp"),
                tuple(msg["key"]),
                bool(msg.get("match")),
                reply,
                worker=msg.get("worker"),
                workers=msg.get("workers"),
            )
            wait = ctl.breakpoints.ordered.waiting()
        _answer(due)
        if wait:
            for delay in (GAP_S, LONG_GAP_S):  # the second, for a gap kept while a worker had not reported
                t = threading.Timer(delay, _skip_gaps, (ctl,))
                t.daemon = True
                t.start()

    def _handle_error(self, msg, e):
        self.ctl.emit(
            "output", {"category": "stderr", "output": "batchscope controller: %s: %s\n" % (type(e).__name__, e)}
        )

    def _handle(self, msg):
        ctl = self.ctl
        kind = msg.get("type")
        if kind == "stopped":
            agent_stopped(ctl, self, msg)
        elif kind == "result":
            ctl.calls.resolve(msg)
        elif kind == "configAck":
            with ctl.agent_news:
                self.acked = max(self.acked, int(msg.get("version") or 0))
                ctl.agent_news.notify_all()
        elif kind == "hit":
            if msg.get("key") is not None:
                self._ordered_hit(msg)
                return
            with ctl.lock:
                stop = ctl.breakpoints.count_hit(msg.get("bp"))
            self.conn.send({"type": "hitResult", "id": msg.get("id"), "stop": stop})
        elif kind == "state":
            self._state(msg)
        elif kind == "thread":
            with ctl.lock:
                if msg.get("reason") == "exited":
                    t = ctl.threads.get(msg["threadId"])
                    if t:
                        mark_exited(ctl, t)
                else:
                    thread(ctl, msg["threadId"], msg.get("name") or "thread", self.slot)
        elif kind == "waiting":
            self._waiting(msg)
        elif kind == "hang":
            local_stop(
                ctl,
                msg["threadId"],
                "hang",
                msg["description"],
                msg["frames"],
                msg.get("scopes") or {},
                batch=msg.get("batch"),
                stage=msg.get("stage"),
            )
        elif kind == "bye":
            self.said_bye = True
            self.bye = msg
            if msg.get("error"):
                ctl.exit_error = msg["error"]
            if msg.get("workers"):  # the main process's last word on its workers' exit statuses
                ctl.worker_deaths.record(msg["workers"])
        elif kind == "output":
            ctl.emit("output", {"category": msg.get("category", "console"), "output": msg.get("output", "")})
        elif kind == "recording":  # the batch recorder's progress (batchscope_runtime/record)
            ctl.emit("recording", msg.get("body") or {})
        return False

    def _state(self, msg):
        ctl = self.ctl
        now = time.monotonic()
        with ctl.lock:
            for rec in msg.get("records") or []:
                ctl.ring.append(rec)
            cur = msg.get("current")
            if cur:  # a worker's new epoch: its thread name changes
                t = ctl.threads.get(cur.get("threadId"))
                if t and cur.get("name"):
                    t.name = cur["name"]
                if t:
                    t.status = ""
            prog = msg.get("progress")
            emit = prog and ctl.adapter is not None and now - ctl.last_progress >= 0.5
            if emit:
                ctl.last_progress = now
        if emit:
            ctl.emit("progress", prog)

    def _waiting(self, msg):
        ctl = self.ctl
        with ctl.lock:
            t = ctl.threads.get(1)
            if t:
                t.status = msg["message"] if msg.get("seconds", 0) >= 1 else ""
        if msg.get("seconds", 0) >= 1:
            ctl.emit(
                "progress",
                {
                    "loader": msg.get("loader", ""),
                    "epoch": msg.get("epoch", 0),
                    "batch": msg.get("batch", 0),
                    "total": msg.get("total"),
                    "message": msg["message"],
                },
            )

    def _gone(self):
        """The connection closed: the process ended (or is ending)."""
        ctl = self.ctl
        if self.kind == "worker" and not self.said_bye:
            ctl.worker_deaths.worker_gone(self)  # died, or torch's teardown: the exit status tells
            return
        self.remove_files()
        with ctl.lock:
            t = ctl.threads.get(self.thread_id if self.kind == "worker" else 1)
            if t and t.slot == self.slot and t.alive:
                if t.stop and t.stop["owner"] == "agent":
                    t.stop = None
                mark_exited(ctl, t)
        if self.kind == "main":
            with ctl.lock:  # pin threads of the main process go with it
                for t in ctl.threads.values():
                    if t.slot == self.slot and t.alive:
                        mark_exited(ctl, t)
            ctl.worker_deaths.main_gone()
            ctl.main_gone.set()
            if ctl.mode == "attach":
                bye = self.bye or {}
                ctl.program_exited(bye.get("exitCode"), None, bye.get("error"))


def _skip_gaps(ctl):
    with ctl.lock:
        # Only streams that waited about GAP_S: a wait that began since this timer was armed keeps its order.
        due = ctl.breakpoints.ordered.skip_gaps(GAP_S * 0.9, LONG_GAP_S * 0.9)
    _answer(due)


def _answer(due):
    for (conn, cid), stop in due:
        conn.send({"type": "hitResult", "id": cid, "stop": stop})
