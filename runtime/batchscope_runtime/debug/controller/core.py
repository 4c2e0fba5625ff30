"""The session controller: one per debugged job, standard library only.

It accepts one adapter and one agent per process of the job (main + each DataLoader worker) and
holds what they share: the threads, breakpoint state, a ring buffer of recent batches and the
config every agent gets. Run in the launcher process (launch mode) or as its own process
(`listen()`, attach.py), so it outlives the job's main process and can report its end.
Protocol: protocol/debug-protocol.md. The peers and watches are their own modules:
adapter_peer.py, agent_peer.py, hang_watch.py, worker_death.py; breakpoints.py, stops.py and
local_vars.py hold the state they share.
"""

import collections
import socket
import threading

from .. import wire
from ..conn import Conn
from .adapter_peer import AdapterPeer
from .agent_peer import AgentPeer, Calls
from .breakpoints import Breakpoints
from .hang_watch import HangWatch
from .local_vars import LocalVars
from .stops import mark_exited
from .worker_death import WorkerDeaths

# How long the end of the program waits for its processes' connections to be read to their end
# (normally a few ms: the kernel closes a process's sockets when it exits).
PROGRAM_END_READ_S = 2.0


class Controller:
    def __init__(self, secret, port=0, mode="launch", hang_timeout=30.0, tokenizer=None, wait=True):
        self.secret = secret
        self.mode = mode
        self.hang_timeout = float(hang_timeout)
        self.tokenizer = tokenizer
        self.lock = threading.RLock()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))  # loopback only, never 0.0.0.0
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.adapter = None  # AdapterPeer while one is attached
        self.adapter_ever = False
        self.agents = {}  # slot -> AgentPeer
        self.next_slot = 1
        self.threads = {}  # thread id -> stops.ThreadRec
        self.breakpoints = Breakpoints()
        self.go = not wait
        self.ring = collections.deque(maxlen=256)
        self.config_version = 0
        self.agent_news = threading.Condition()  # notified on each agent's configAck and when one ends
        self.peers = set()  # agent peers being served, their end (AgentPeer._gone) included; under agent_news
        self.calls = Calls(self)
        self.local_vars = LocalVars(self.lock)
        self.hangs = HangWatch(self)
        self.worker_deaths = WorkerDeaths(self)
        self.program_pid = None
        self.main_gone = threading.Event()
        self.pending_records = []  # recordBatches asked before the main process connected
        self.exited_sent = False
        self.exit_error = None
        self.last_progress = 0.0
        self.closed = threading.Event()
        self.adapter_gone = threading.Event()
        self.terminate_hook = None  # set by the launcher: kills the program

    # ---------- lifecycle
    def start(self):
        threading.Thread(target=self._accept_loop, name="bs-accept", daemon=True).start()
        self.hangs.start()

    def close(self):
        self.closed.set()
        try:
            self.server.close()
        except OSError:
            pass
        with self.lock:
            conns = [a.conn for a in self.agents.values()] + ([self.adapter.conn] if self.adapter else [])
        for c in conns:
            c.close()

    def _accept_loop(self):
        while not self.closed.is_set():
            try:
                sock, addr = self.server.accept()
            except OSError:
                return
            if not wire.is_loopback(addr):
                sock.close()
                continue
            wire.nodelay(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        """The handshake, then the peer's own loop: the adapter, or one agent."""
        conn = Conn(sock)
        sock.settimeout(wire.HELLO_TIMEOUT)
        try:
            hello = conn.reader.read()
        except (OSError, ValueError):
            hello = None
        sock.settimeout(None)
        reason = None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            reason = "expected hello"
        elif hello.get("protocol") != wire.PROTOCOL:
            reason = "unsupported protocol %r" % hello.get("protocol")
        elif not wire.secret_ok(hello.get("secret"), self.secret):
            reason = "bad secret"
        elif hello.get("role") not in ("adapter", "agent"):
            reason = "unknown role"
        peer = None
        if reason is None and hello["role"] == "adapter":
            with self.lock:
                if self.adapter is not None:
                    reason = "another client is attached"
                else:
                    peer = self.adapter = AdapterPeer(self, conn)
                    self.adapter_ever = True
                    self.adapter_gone.clear()
        if reason is not None:
            conn.send({"type": "refused", "reason": reason})
            conn.close()
            return
        if peer is None:
            with self.lock:
                slot = self.next_slot
                self.next_slot += 1
            peer = AgentPeer(self, slot, conn, hello)
        peer.serve()

    # ---------- shared by the peers
    def emit(self, event, body):
        """An event for the adapter, if one is attached."""
        a = self.adapter
        if a is not None:
            a.send({"type": "event", "event": event, "body": body})

    def config(self):
        """The config message every agent holds (under self.lock). Numbered: broadcast_config sends
        outside the lock, so two broadcasts may reach an agent in the other order, and an agent
        keeps the newest (a stale one could revive a step that already stopped)."""
        bps = self.breakpoints
        self.config_version += 1
        return {
            "type": "config",
            "version": self.config_version,
            "attached": self.adapter is not None,
            "go": self.go,
            "bps": bps.for_agents(),
            "filters": bps.filters,
            "hangTimeout": self.hang_timeout,
            "steps": bps.steps,
            "pauses": sorted(bps.pauses),
            "stopped": sorted(t.tid for t in self.threads.values() if t.stop),
            "tokenizer": self.tokenizer,
        }

    def broadcast_config(self, applied_within=0.0):
        """Send the config to every agent. With `applied_within`, return only once each agent has
        applied it (its configAck), ended, or the time is up.

        A step must be in force in every process before the stopped thread runs on. The stopped
        thread's own agent gets the config before its `resume` on the same connection, but a worker
        (or, after a worker's stop, the main process) reads its config on another connection: a
        lagging reader there let a worker fetch and collate the stepped batch under the old config,
        and Step Over from `sampler` landed on `to_device` (seen once in CI, 2 workers)."""
        with self.lock:
            cfg = self.config()
            peers = list(self.agents.values())
        sent = [p for p in peers if p.conn.send(cfg)]
        if applied_within > 0:
            self._wait_applied(sent, cfg["version"], applied_within)

    def _wait_applied(self, peers, version, within):
        def applied():
            return all(p.acked >= version or p.ended or p.said_bye for p in peers)

        with self.agent_news:
            self.agent_news.wait_for(applied, within)

    def main_agent(self):
        return next((x for x in list(self.agents.values()) if x.kind == "main"), None)

    # ---------- end of the program
    def program_exited(self, code, sig=None, error=None):
        # The processes are gone, but their last messages (a worker's bye with the batches it
        # finished) may still be unread on their connections, each served by its own thread, and a
        # worker's death not reported yet: finish them all first, so `exited` comes after everything
        # the program said. A fixed 50 ms pause was too short on a loaded machine: recentBatches came
        # back empty after `exited`. (In attach mode this runs in the main agent's own peer thread.)
        me = threading.current_thread()

        def all_said():
            return self.worker_deaths.reporting == 0 and all(p.thread is me for p in self.peers)

        with self.agent_news:
            self.agent_news.wait_for(all_said, PROGRAM_END_READ_S)
        with self.lock:
            if self.exited_sent:
                return
            self.exited_sent = True
            early, self.pending_records = self.pending_records, []
            for t in self.threads.values():
                mark_exited(self, t)
        for adapter, req, _ in early:  # recordBatches asked for a main process that never connected
            adapter.respond(req, error="batchscope: the program ended before its main process connected")
        body = {"exitCode": code}
        if sig:
            body["signal"] = sig
        err = error or self.exit_error
        if err:
            body["error"] = err
        self.emit("exited", body)
        self.emit("terminated", {})
        self.main_gone.set()
