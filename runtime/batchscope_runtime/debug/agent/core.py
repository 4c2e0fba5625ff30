"""The per-process side of a debug session: one Agent per process (main, each worker).

The agent holds this process's connection to the controller, the controller's config, and the
per-batch bookkeeping the instrumentation feeds it. Nothing is sent per batch: the batch in flight
(stage, batch, indices, start time, RSS) is written into a small memory-mapped state file that the
controller reads when a worker dies or a stage hangs, finished batches are coalesced into a few
`state` messages a second, and nothing is sent while no adapter is attached. A forked child notices
the pid change and opens its own connection. The other concerns live beside it: stops.py (where a
thread stops), hang_timer.py, loader_wait.py (the main thread's wait, DataLoader timeouts),
worker_exits.py (exit statuses of workers) and stack_dump.py.
"""

import collections
import os
import socket
import sys
import threading
import time

from .. import values, wire
from ..conn import Conn
from . import hang_inspect, stack_dump
from .batch_context import STAGE_CODE, BatchCtx
from .config import Config
from .hang_timer import HangTimer
from .loader_wait import LoaderWait
from .stops import Stops
from .worker_exits import WorkerExits

_FETCH = STAGE_CODE["fetch"]

_agent = None
_create_lock = threading.Lock()
_get_ident = threading.get_ident
# Called with cfg.armed on every new config: instrument/__init__.py routes the stage hooks by it.
armed_listeners = []
_monotonic = time.monotonic


def _reset_after_fork():
    # The parent's connection, threads and locks are the parent's: a forked child starts over and
    # connects on its first stage (no getpid() on the hot path).
    global _agent, _create_lock
    _agent = None
    _create_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def get():
    """This process's agent, or None when no session is configured or the controller is gone."""
    a = _agent
    if a is not None:
        return a if a.ok else None
    return _create()


def _create(kind=None, wait_go=False, retry=False):
    global _agent
    with _create_lock:
        a = _agent
        if a is not None and a.pid == os.getpid() and (a.ok or not retry):
            return a if a.ok else None
        a = Agent(kind)
        _agent = a
    a.connect(wait_go=wait_go)
    return a if a.ok else None


def start_main(wait_go=False):
    """Connect the main process now (launch/listen) rather than lazily."""
    return _create("main", wait_go=wait_go, retry=True)


def _rss_mb():
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        try:
            import resource

            return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        except Exception:
            return None


# How often the receive thread sends the finished batches' records. Formatting them holds the GIL
# (about 0.7 ms for the 64 a deque keeps, cold), and the loop waits for it: 4 times a second, that
# thread took about 10 µs of CPU per 1.3 ms batch (bench/debug/overhead.py, before it scaled that
# figure by the instrumented arm's share of the run; now `agent_threads_us`). A stop
# sends them first (stops.py), so recentBatches at a stop is complete; only a hang that holds the GIL
# or a killed worker can find the last second's batches not sent yet.
FLUSH_EVERY_S = 1.0
# How long the receive thread waits for a message before it runs its idle work (the flush above,
# the "waiting Ns for batch N" status). Each wake takes the GIL from a busy loop: at 4 a second the
# wakes cost that thread about 0.65 µs of CPU per 1.3 ms batch with nothing to send; once a second
# matches the flush, and the waiting status counts whole seconds anyway.
POLL_S = 1.0


class Agent:
    def __init__(self, kind=None):
        self.pid = os.getpid()
        self.ok = False
        self.conn = None
        self.sock = None
        self.slot = 0
        self.cfg = Config()
        self.cfg_event = threading.Event()
        self.records = collections.deque(maxlen=64)  # finished batches not sent yet (append/popleft: thread-safe)
        self.current = {}  # thread ident -> BatchCtx
        self.state = None  # wire.StateFile: the batch in flight, readable by the controller
        self.busy = None  # (ctx, monotonic start) of the batch this process is fetching/collating
        self.pin_threads = {}  # thread ident -> loader id
        self.last_progress = 0.0
        self.last_flush = 0.0
        self.rss_at = 0.0
        self.rss = None
        self.stops = Stops(self)
        self.hangs = HangTimer(self)
        self.loaders = LoaderWait(self)
        self.worker_exits = WorkerExits(self)
        info = None
        if kind is None:
            try:
                from torch.utils.data import get_worker_info

                info = get_worker_info()
            except Exception:
                info = None
            kind = "worker" if info is not None else "main"
        self.kind = kind
        self.worker_id = info.id if info is not None else None
        self.num_workers = info.num_workers if info is not None else None
        self.loader_id = getattr(info.dataset, "_bs_loader_id", 0) if info is not None else None
        self.loader_name = getattr(info.dataset, "_bs_loader_name", "loader") if info is not None else None
        self.epoch = 0
        self.thread_id = wire.thread_id_for_worker(self.loader_id, self.worker_id) if info is not None else 1
        self.stage_ident = threading.get_ident()
        self.stage_native = getattr(threading, "get_native_id", lambda: None)()
        self.batch_ids = (self.thread_id, self.worker_id)  # (tid, worker id) of the batches begun here

    # ---------- connection
    def connect(self, wait_go=False):
        addr = os.environ.get("BATCHSCOPE_CONTROLLER")
        secret = os.environ.get("BATCHSCOPE_SECRET")
        if not addr or not secret:
            return
        host, _, port = addr.rpartition(":")
        self.hangs.open_file(self.pid)
        self.state = wire.StateFile.create(self.pid)
        hello = {
            "type": "hello",
            "role": "agent",
            "protocol": wire.PROTOCOL,
            "secret": secret,
            "pid": self.pid,
            "ppid": os.getppid(),
            "kind": self.kind,
            "threadId": self.thread_id,
            "loader": self.loader_id,
            "worker": self.worker_id,
            "hangFile": self.hangs.path,
            "dumpSignal": self.hangs.dump_signal,
            "stateFile": self.state.path if self.state else None,
            "ident": self.stage_ident,
            "nativeTid": self.stage_native,
            "name": self.thread_name(),
        }
        try:
            sock, reader, first = wire.connect(host or "127.0.0.1", int(port), hello)
        except (OSError, ValueError) as e:
            print("batchscope: cannot reach the debug controller at %s: %s" % (addr, e), file=sys.stderr)
            return
        if not first or first.get("type") != "config":
            print(
                "batchscope: debug controller refused this process: %s" % (first or {}).get("reason"), file=sys.stderr
            )
            sock.close()
            return
        self.sock = sock
        self.conn = Conn(sock, reader)
        self.slot = first.get("slot", 0)
        self.cfg = Config(first)
        self.ok = True
        for f in list(armed_listeners):
            f(self.cfg.armed)
        self.recv_thread = threading.Thread(target=self._recv_loop, name="batchscope-agent", daemon=True)
        self.recv_thread.start()
        self.hangs.update()
        if self.kind == "worker":
            try:
                from multiprocessing import util

                util.Finalize(None, self.at_exit, exitpriority=100)  # runs when the worker process ends normally
            except Exception:
                pass
        if wait_go:
            while self.ok and not self.cfg.go:
                self.cfg_event.wait(0.5)
                self.cfg_event.clear()

    def thread_name(self):
        if self.kind == "worker":
            return "worker %s · %s (pid %d, epoch %d)" % (self.worker_id, self.loader_name, self.pid, self.epoch)
        return "main (pid %d)" % self.pid

    def send(self, msg):
        if not self.ok:
            return False
        if self.conn.send(msg):
            return True
        self._lost()
        return False

    def _lost(self):
        self.ok = False
        self.cfg = Config()
        for f in list(armed_listeners):
            f(True)  # no agent: enter_stage() decides per call (it may create a new one)
        self.busy = None
        self.hangs.wake.set()
        self.stops.resume_all()
        self.loaders.restore_timeouts()

    def flush(self):
        """Send the finished batches not sent yet: before every stop (stops.py), at a new epoch, at exit,
        and from the receive thread once every FLUSH_EVERY_S."""
        self.last_flush = time.monotonic()
        if self.records:
            self.send({"type": "state", "records": self._take_records()})

    def bye(self, error=None, exit_code=None):
        if self.ok and self.pid == os.getpid():
            self.flush()
            msg = {"type": "bye", "error": error, "exitCode": exit_code}
            if self.kind == "main":
                # The workers' exit statuses die with this process: hand them over now, so the
                # controller can tell a killed worker from a normal exit after we are gone.
                msg["workers"] = self.worker_exits.ended()
            self.send(msg)

    def at_exit(self, error=None, exit_code=None):
        """The process is ending normally: say goodbye, then end every thread of ours.

        Our threads are daemons, and a daemon thread that wakes during interpreter finalisation (the
        receive loop polls every POLL_S, a hang stop's server waits on its queue) is ended by
        pthread_exit wherever it stands. Standing in torch's C++ (a value being formatted), that
        unwinds through a noexcept frame: std::terminate, SIGABRT. faulthandler must not be armed or
        registered then either: it walks the frames of a half-destroyed interpreter."""
        self.bye(error=error, exit_code=exit_code)
        self.shutdown()

    def shutdown(self):
        if self.pid != os.getpid():
            return
        self.hangs.stop()
        self.ok = False  # the receive loop ends at its next message or poll
        # A hang stop is served while the job runs on, so the job can end in the middle of one:
        # its server (and an evaluation it started) may be formatting a tensor in torch's C++. End
        # the stop and let that finish (bounded: an evaluation is given up after EVAL_TIMEOUT_S).
        busy = [t for st in list(self.stops.active.values()) for t in getattr(st, "threads", ())]
        self.stops.resume_all()
        deadline = time.monotonic() + hang_inspect.EVAL_TIMEOUT_S + 1.0
        for t in busy:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        if self.sock is not None:
            try:
                # FIN after the bye, not a close: closing with unread config messages in our buffer
                # sends a reset, which can drop the bye. The controller reads the bye, sees EOF and
                # closes its side, and our receive loop sees that at once.
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        t = getattr(self, "recv_thread", None)
        if t is not None and t is not threading.current_thread():
            t.join(1.0)

    def internal_error(self, e):
        msg = "batchscope: internal debugger error (ignored): %s: %s\n" % (type(e).__name__, e)
        if not self.send({"type": "output", "category": "stderr", "output": msg}):
            sys.stderr.write(msg)

    def _recv_loop(self):
        self.sock.settimeout(POLL_S)
        self.conn.serve(self._handle, self._handle_error, idle=self._idle)
        self._lost()

    def _flush_due(self):
        if self.records and time.monotonic() - self.last_flush >= FLUSH_EVERY_S:
            self.flush()

    def _idle(self):
        self._flush_due()
        self.loaders.tick()
        return not self.ok

    def _handle(self, msg):
        self._on_message(msg)
        self._flush_due()
        return not self.ok

    def _handle_error(self, msg, e):
        self.send({"type": "output", "category": "stderr", "output": "batchscope agent %d: %s\n" % (self.pid, e)})

    def _on_message(self, msg):
        kind = msg.get("type")
        if kind == "config":
            old = self.cfg
            if msg.get("version", 0) < old.version:
                return  # overtaken by a newer config (see controller.core.Controller.config)
            self.cfg = Config(msg)
            self.cfg_event.set()
            for f in list(armed_listeners):
                f(self.cfg.armed)
            # In force from here: a step waits for this before its thread runs on (Controller.broadcast_config).
            self.send({"type": "configAck", "version": self.cfg.version})
            if old.attached != self.cfg.attached:
                self.loaders.apply_timeouts()
            if self.cfg.hang != old.hang or self.cfg.hang_timeout != old.hang_timeout:
                self.hangs.update()
        elif kind == "resume":
            st = self.stops.active.get(msg.get("threadId"))
            if st:
                st.q.put(msg)
        elif kind == "call":
            tid = msg.get("threadId")
            args = msg.get("arguments") or {}
            if msg.get("command") == "variables":
                tid = next(
                    (
                        t
                        for t, st in list(self.stops.active.items())
                        if st.vars and int(args.get("variablesReference", 0)) in st.vars.refs
                    ),
                    tid,
                )
            st = self.stops.active.get(tid)
            if st is None:
                self.send(
                    {"type": "result", "id": msg.get("id"), "success": False, "message": "thread %s is running" % tid}
                )
            else:
                st.q.put(msg)
        elif kind == "hitResult":
            self.stops.hit_result(msg)
        elif kind == "probe":
            # Its own thread: the answer may wait for the worker to finish exiting.
            threading.Thread(
                target=self.worker_exits.answer_probe, args=(msg,), name="batchscope-probe", daemon=True
            ).start()
        elif kind == "inspectHang":
            hang_inspect.inspect(self, msg)
        elif kind == "dump":
            self.send({"type": "result", "id": msg.get("id"), "success": True, "body": stack_dump.dump(self)})
        elif kind == "record":  # the adapter's recordBatches (batchscope_runtime/record/links.py)
            from ...record.links import on_request

            on_request(self, msg)

    # ---------- per-batch bookkeeping (hot path: no send, no syscall)
    def begin_fetch(self, meta, indices, sources):
        """A batch begins fetching in this process: its BatchCtx, made and begun in one call.

        `meta` is the batch's tag (loader id, name, epoch, batch, total, first), `indices` a plain
        list this ctx owns. The per-batch path of every attached job: the fields are written from
        locals, and the state file gets one pack."""
        lid, name, epoch, n, total, first = meta
        tid, wid = self.batch_ids
        ctx = BatchCtx(lid, name, epoch, n, indices, wid, tid)
        ctx.total = total
        ctx.first = first
        ctx.sources = sources
        ctx.stage = "fetch"
        self.current[_get_ident()] = ctx
        if epoch != self.epoch and self.kind == "worker":
            self._new_epoch(ctx)
        if self.cfg.attached:
            now = _monotonic()
            self.busy = (ctx, now)
            state = self.state
            if state is not None:
                if now - self.rss_at >= 1.0:
                    self.rss_at, self.rss = now, _rss_mb()
                state.write(_FETCH, ctx, now, self.rss)
        elif self.records:
            self.records.clear()
        return ctx

    def _new_epoch(self, ctx):
        self.epoch = ctx.epoch
        if self.cfg.attached:  # the thread name carries the epoch
            self.send(
                {
                    "type": "state",
                    "records": self._take_records(),
                    "current": {"threadId": ctx.tid, "name": self.thread_name()},
                }
            )

    def finish(self, ctx, error=None):
        """The batch leaves this process (batch_ready) or fails. Its ctx becomes its record, formatted
        when flushed, so nothing is built per batch here."""
        if self.busy is not None:
            self.busy = None
            state = self.state
            if state is not None:
                state.mm[0] = 0  # StateFile.mark(0), inline: once per batch of every attached job
        # The samples and the batch are not needed past this point: drop them now, while they are
        # warm, as torch does (held to the next batch they would be freed cold, and their memory not
        # reused warm; 64 records holding tensors cost the allocator its warm memory, +150 µs a batch).
        ctx.samples = ctx.batch = None
        if error is not None:
            ctx.error = "%s: %s" % (type(error).__name__, values.short_repr(str(error)))
        if self.cfg.attached:
            self.records.append(ctx)

    def _take_records(self):
        recs = []
        while True:
            try:
                recs.append(self.records.popleft())
            except IndexError:
                break
        out = []
        pid = self.pid
        for ctx in recs:
            rec = {
                "loader": ctx.loader,
                "epoch": ctx.epoch,
                "batch": ctx.index,
                "threadId": ctx.tid,
                "pid": pid,
                "indices": ctx.indices[:64],
                "timings": {k: round(v * 1000, 3) for k, v in ctx.timings.items()},
            }
            if ctx.error is not None:
                rec["error"] = ctx.error
            out.append(rec)
        return out

    def progress(self, loader, epoch, batch, total):
        if not self.cfg.attached:
            return
        now = time.monotonic()
        if now - self.last_progress < 0.5:
            return
        self.last_progress = now
        # Progress only: the records are formatted on the receive thread (flush), not in the loop.
        msg = "%s epoch %d batch %d%s" % (loader, epoch, batch, "/%d" % total if total else "")
        self.send(
            {
                "type": "state",
                "progress": {"loader": loader, "epoch": epoch, "batch": batch, "total": total, "message": msg},
            }
        )
