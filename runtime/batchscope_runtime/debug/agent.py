"""The per-process side of a debug session: one Agent per process (main, each worker).

The instrumentation calls `boundary(stage, ctx)` at every stage entry. With nothing armed
(no breakpoint, step or pause) that is one attribute test. When a thread must stop it sends
`stopped` and serves the adapter's requests for it (stack, variables, evaluate) from its own
thread until told to resume, so evaluation runs in the stage's own process and thread.
Nothing is sent per batch: the batch in flight (stage, batch, indices, start time, RSS) is written
into a small memory-mapped state file that the controller reads when a worker dies or a stage
hangs, finished batches are coalesced into a few `state` messages a second, and nothing is sent
while no adapter is attached. A forked child notices the pid change and opens its own connection.
"""
import atexit
import collections
import faulthandler
import mmap
import os
import queue
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback

from . import values, wire

ORDER = {s: i for i, s in enumerate(wire.STAGES)}
# State file codes: wire.STAGES index + 1; 0 = no batch in flight.
STAGE_CODE = {s: i + 1 for i, s in enumerate(wire.STAGES)}

_agent = None
_create_lock = threading.Lock()


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


class Config:
    """Immutable snapshot of the controller's config; replaced wholesale on every update."""

    def __init__(self, msg=None):
        msg = msg or {}
        self.attached = bool(msg.get("attached"))
        self.go = bool(msg.get("go", True))
        self.filters = msg.get("filters") or {}
        self.hang_timeout = float(msg.get("hangTimeout") or 30.0)
        self.steps = msg.get("steps") or {}
        self.pauses = frozenset(msg.get("pauses") or ())
        self.stopped = frozenset(msg.get("stopped") or ())
        self.tokenizer = msg.get("tokenizer")
        self.by_stage = {}
        for bp in msg.get("bps") or []:
            code = None
            if bp.get("condition"):
                try:
                    code = compile(bp["condition"], "<condition>", "eval")
                except SyntaxError:
                    code = None
            self.by_stage.setdefault(bp["name"], []).append((bp["id"], bp.get("condition"), code, bp.get("hit")))
        self.armed = self.attached and bool(self.by_stage or self.steps or self.pauses)
        self.hang = self.attached and "hang" in self.filters
        self.nan = self.attached and "nan_inf" in self.filters


def step_matches(step, stage):
    frm = step.get("from") or "sampler"
    kind = step.get("kind")
    cur, f = ORDER[stage], ORDER.get(frm, 0)
    if kind == "stepOut":
        if f < ORDER["batch_ready"]:
            return stage == "batch_ready" or cur > ORDER["batch_ready"]
        return stage == "train_step" and f < ORDER["train_step"]
    if kind == "stepIn" and frm == "fetch":
        return cur >= ORDER["sample"]
    if frm == "sample":
        return cur >= ORDER["sample"]
    return cur > f and stage != "sample"


_NO_SOURCES = {}


class BatchCtx:
    """What one thread knows about the batch it is working on."""

    __slots__ = ("loader_id", "loader", "epoch", "index", "indices", "worker_id", "tid", "key", "stage", "t0",
                 "timings", "samples", "batch", "sample", "sample_pos", "exception", "sources", "extra", "total", "extra_src")

    def __init__(self, loader_id, loader, epoch, index, indices, worker_id, tid):
        self.loader_id = loader_id
        self.loader = loader
        self.epoch = epoch
        self.index = index
        self.indices = indices
        self.worker_id = worker_id
        self.tid = tid
        self.key = "%s/%s/%s" % (loader_id, epoch, index)
        self.stage = None
        self.t0 = time.perf_counter()
        self.timings = {}
        self.samples = None
        self.batch = None
        self.sample = None
        self.sample_pos = None
        self.exception = None
        self.sources = _NO_SOURCES
        self.extra = None
        self.total = None
        self.extra_src = None

    def batch_ref(self):
        return {"loader": self.loader, "loaderId": self.loader_id, "epoch": self.epoch, "index": self.index}

    def locals(self, stage):
        d = {"batch_index": self.index, "epoch": self.epoch, "loader": self.loader, "indices": list(self.indices or ()),
             "worker_id": self.worker_id, "stage": stage}
        if self.samples is not None:
            d["samples"] = self.samples
        if self.batch is not None:
            d["batch"] = self.batch
        if stage == "sample":
            d["index"] = self.sample_pos[1] if self.sample_pos else None
            d["sample"] = self.sample
        if self.exception is not None:
            d["exception"] = self.exception
        if self.extra:
            d.update(self.extra)
        return d


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


class StopState:
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


class Agent:
    def __init__(self, kind=None):
        self.pid = os.getpid()
        self.ok = False
        self.sock = None
        self.slot = 0
        self.send_lock = threading.Lock()
        self.cfg = Config()
        self.cfg_event = threading.Event()
        self.stops = {}
        self.pending = {}
        self.next_id = 1
        self.records = collections.deque(maxlen=64)  # finished batches not sent yet (append/popleft: thread-safe)
        self.current = {}  # thread ident -> BatchCtx
        self.hang_fobj = None
        self.state = None  # wire.StateFile: the batch in flight, readable by the controller
        self.busy = None  # (ctx, monotonic start) of the batch this process is fetching/collating
        self.hang_thread = None
        self.hang_wake = threading.Event()
        self.exiting = False
        self.exit_hooked = False
        self.pin_threads = {}  # thread ident -> loader id
        self.iterators = []  # weakrefs to live DataLoader iterators (main process)
        self.waiting = None  # (since, loader name, epoch, batch, worker, total, user timeout, loader id) of the main thread
        self.last_progress = 0.0
        self.last_flush = 0.0
        self.rss_at = 0.0
        self.rss = None
        self.last_wait_report = 0.0
        self.error = None
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
        self.loader_id = getattr(info.dataset, "_bs_loader_id", 0) if info is not None else None
        self.loader_name = getattr(info.dataset, "_bs_loader_name", "loader") if info is not None else None
        self.epoch = 0
        self.thread_id = wire.thread_id_for_worker(self.loader_id, self.worker_id) if info is not None else 1
        self.stage_ident = threading.get_ident()

    # ---------- connection
    def connect(self, wait_go=False):
        addr = os.environ.get("BATCHSCOPE_CONTROLLER")
        secret = os.environ.get("BATCHSCOPE_SECRET")
        if not addr or not secret:
            return
        host, _, port = addr.rpartition(":")
        try:
            fd, path = tempfile.mkstemp(prefix="batchscope-hang-%d-" % self.pid, suffix=".txt")
            os.close(fd)
            # O_APPEND: the controller empties the file after reading a dump (truncate), and the next
            # dump must then start at offset 0, not at this fd's old position.
            self.hang_fobj = os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND), "w")
            self.hang_path = path
        except OSError:
            self.hang_fobj, self.hang_path = None, None
        self.state = wire.StateFile.create(self.pid)
        hello = {"type": "hello", "role": "agent", "protocol": wire.PROTOCOL, "secret": secret, "pid": self.pid,
                 "ppid": os.getppid(), "kind": self.kind, "threadId": self.thread_id, "loader": self.loader_id,
                 "worker": self.worker_id, "hangFile": self.hang_path,
                 "stateFile": self.state.path if self.state else None, "ident": self.stage_ident, "name": self.thread_name()}
        try:
            sock, reader, first = wire.connect(host or "127.0.0.1", int(port), hello)
        except (OSError, ValueError) as e:
            print("batchscope: cannot reach the debug controller at %s: %s" % (addr, e), file=sys.stderr)
            return
        if not first or first.get("type") != "config":
            print("batchscope: debug controller refused this process: %s" % (first or {}).get("reason"), file=sys.stderr)
            sock.close()
            return
        self.sock, self.reader = sock, reader
        self.slot = first.get("slot", 0)
        self.cfg = Config(first)
        self.ok = True
        threading.Thread(target=self._recv_loop, name="batchscope-agent", daemon=True).start()
        self._watch_hangs()
        if self.kind == "worker":
            try:
                from multiprocessing import util
                util.Finalize(None, self.bye, exitpriority=100)  # runs when the worker process ends normally
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
        data = wire.encode(msg)
        with self.send_lock:
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self._lost()
                return False

    def _lost(self):
        self.ok = False
        self.cfg = Config()
        self.busy = None
        self.hang_wake.set()
        for st in list(self.stops.values()):
            st.q.put({"type": "resume"})
        self._restore_timeouts()

    def flush(self):
        """Send the finished batches not sent yet (the recv thread does it a few times a second)."""
        self.last_flush = time.monotonic()
        if self.records:
            self.send({"type": "state", "records": self._take_records()})

    def bye(self, error=None, exit_code=None):
        if self.ok and self.pid == os.getpid():
            self.flush()
            self.send({"type": "bye", "error": error, "exitCode": exit_code})

    def _recv_loop(self):
        self.sock.settimeout(0.25)
        while self.ok:
            if self.records and time.monotonic() - self.last_flush >= 0.25:
                self.flush()
            try:
                msg = self.reader.read()
            except socket.timeout:
                self._tick()
                continue
            except (OSError, ValueError):
                msg = None
            if msg is None:
                self._lost()
                return
            try:
                self._on_message(msg)
            except Exception as e:
                self.send({"type": "output", "category": "stderr", "output": "batchscope agent %d: %s\n" % (self.pid, e)})

    def _on_message(self, msg):
        kind = msg.get("type")
        if kind == "config":
            old = self.cfg
            self.cfg = Config(msg)
            self.cfg_event.set()
            if old.attached != self.cfg.attached:
                self._apply_timeouts()
            if self.cfg.hang != old.hang or self.cfg.hang_timeout != old.hang_timeout:
                self._watch_hangs()
        elif kind == "resume":
            st = self.stops.get(msg.get("threadId"))
            if st:
                st.q.put(msg)
        elif kind == "call":
            tid = msg.get("threadId")
            args = msg.get("arguments") or {}
            if msg.get("command") == "variables":
                tid = next((t for t, st in list(self.stops.items())
                            if st.vars and int(args.get("variablesReference", 0)) in st.vars.refs), tid)
            st = self.stops.get(tid)
            if st is None:
                self.send({"type": "result", "id": msg.get("id"), "success": False, "message": "thread %s is running" % tid})
            else:
                st.q.put(msg)
        elif kind == "hitResult":
            box = self.pending.pop(msg.get("id"), None)
            if box:
                box[1] = msg.get("stop", True)
                box[0].set()
        elif kind == "probe":
            threading.Thread(target=self._probe, args=(msg,), daemon=True).start()
        elif kind == "dump":
            self.send({"type": "result", "id": msg.get("id"), "success": True, "body": self.dump()})

    # ---------- timeouts and the main thread's wait
    def register_iterator(self, it_ref, user_timeout):
        self.iterators.append((it_ref, user_timeout))
        self.iterators = [(r, t) for r, t in self.iterators if r() is not None]
        self._apply_timeouts()

    def _apply_timeouts(self):
        # While attached a paused worker would trip the user's DataLoader timeout: switch it off and
        # let _tick() watch instead; on detach give it back.
        for ref, user_timeout in self.iterators:
            it = ref()
            if it is not None and user_timeout and hasattr(it, "_timeout"):
                it._timeout = 0 if self.cfg.attached else user_timeout

    def _restore_timeouts(self):
        for ref, user_timeout in self.iterators:
            it = ref()
            if it is not None and user_timeout and hasattr(it, "_timeout"):
                it._timeout = user_timeout

    def _tick(self):
        w = self.waiting
        if w is None or not self.cfg.attached:
            return
        since, loader, epoch, batch, worker, total, user_timeout, loader_id = w
        waited = time.monotonic() - since
        if waited < 1:
            return
        src = " from worker %s" % worker if worker is not None else ""
        msg = "waiting %ds for batch %d%s" % (waited, batch, src)
        now = time.monotonic()
        if now - self.last_wait_report >= 1:
            self.last_wait_report = now
            self.send({"type": "waiting", "loader": loader, "epoch": epoch, "batch": batch, "worker": worker, "total": total,
                       "seconds": int(waited), "message": msg})
        cfg = self.cfg
        paused = any(100 * (loader_id + 1) <= t < 100 * (loader_id + 2) or t == 2 + loader_id for t in cfg.stopped)
        if user_timeout and waited > user_timeout and not paused and not getattr(self, "_timeout_reported", None) == (loader_id, epoch, batch):
            self._timeout_reported = (loader_id, epoch, batch)
            frames = [{"name": msg, "hint": "label"}]
            main = sys._current_frames().get(threading.main_thread().ident)
            frames += _frames_of(main)
            self.send({"type": "hang", "threadId": 1, "stage": "fetch",
                       "batch": {"loader": loader, "loaderId": loader_id, "epoch": epoch, "index": batch},
                       "description": "DataLoader timeout (%gs): %s" % (user_timeout, msg), "frames": frames,
                       "scopes": {"Waiting": {"batch_index": batch, "worker_id": worker, "waited_s": round(waited, 1),
                                              "user_timeout_s": user_timeout}}})

    # ---------- hang watchdog
    # faulthandler.dump_traceback_later runs on a C thread that needs no GIL, so it sees code stuck
    # in C too. Arming it costs a thread start and cancelling it a join (with the GIL held: ms on a
    # busy machine), so it is never touched per batch: the batch in flight is only recorded
    # (self.busy + the state file) and this thread keeps one timer aimed at "start of the batch in
    # flight + hangTimeout", moving it only when it is about to fire for a batch that is already
    # done. The controller checks a dump against the state file before it reports a hang.
    def _watch_hangs(self):
        self.hang_wake.set()
        if self.cfg.hang and self.hang_fobj is not None and self.hang_thread is None and not self.exiting:
            self.hang_wake.clear()
            if not self.exit_hooked:
                self.exit_hooked = True
                atexit.register(self._stop_hangs)
            self.hang_thread = threading.Thread(target=self._hang_loop, name="batchscope-hang", daemon=True)
            self.hang_thread.start()

    def _stop_hangs(self):
        # At interpreter exit: end the watchdog thread and its faulthandler timer before
        # finalisation. A daemon thread that wakes up during finalisation is ended with
        # pthread_exit, which with torch loaded aborted the process ("terminate called without an
        # active exception") in about half the runs.
        self.exiting = True
        self.hang_wake.set()
        t = self.hang_thread
        if t is not None and t is not threading.current_thread() and self.pid == os.getpid():
            t.join(2.0)

    def _hang_loop(self):
        armed_until = None  # monotonic time the faulthandler timer fires, None when not armed
        fired_for = None  # the batch start a dump was already written for
        try:
            while self.ok and self.cfg.hang and not self.exiting and self.pid == os.getpid():
                timeout = self.cfg.hang_timeout
                tick = min(0.25, timeout / 8)
                now = time.monotonic()
                if armed_until is not None and now >= armed_until:
                    armed_until = None  # one-shot: it has fired
                busy = self.busy
                if busy is None:
                    if armed_until is not None and armed_until - now < 3 * tick:
                        faulthandler.cancel_dump_traceback_later()
                        armed_until = None
                else:
                    want = busy[1] + timeout
                    if armed_until is None:
                        if want > now or fired_for != busy[1]:
                            faulthandler.dump_traceback_later(max(want - now, 0.001), repeat=False, file=self.hang_fobj)
                            armed_until = max(want, now)
                            fired_for = busy[1]
                    elif (armed_until < want and armed_until - now < 3 * tick) or armed_until > want + tick:
                        faulthandler.dump_traceback_later(max(want - now, 0.001), repeat=False, file=self.hang_fobj)
                        armed_until = max(want, now)
                        fired_for = busy[1]
                self.hang_wake.wait(tick)
                self.hang_wake.clear()
        except (ValueError, RuntimeError, OSError):
            pass
        finally:
            if armed_until is not None:
                faulthandler.cancel_dump_traceback_later()
            self.hang_thread = None
            if self.ok and self.cfg.hang and not self.exiting and self.pid == os.getpid():
                self._watch_hangs()  # re-enabled while this loop was ending

    # ---------- per-batch bookkeeping (hot path: no send, no syscall)
    def begin(self, ctx):
        """A thread starts working on a batch (fetch entry in a worker or the single process)."""
        self.current[threading.get_ident()] = ctx
        cfg = self.cfg
        if self.kind == "worker" and ctx.epoch != self.epoch:
            self.epoch = ctx.epoch
            if cfg.attached:  # the thread name carries the epoch
                self.send({"type": "state", "records": self._take_records(),
                           "current": {"threadId": ctx.tid, "name": self.thread_name()}})
        if cfg.attached:
            now = time.monotonic()
            self.busy = (ctx, now)
            if self.state is not None:
                if now - self.rss_at >= 1.0:
                    self.rss_at, self.rss = now, _rss_mb()
                self.state.write(STAGE_CODE["fetch"], ctx, now, self.rss)
        elif self.records:
            self.records.clear()

    def mark(self, stage):
        """The batch in flight moved to `stage` (collate): one byte in the state file."""
        if self.busy is not None and self.state is not None:
            self.state.mark(STAGE_CODE[stage])

    def finish(self, ctx, error=None):
        """The batch leaves this process (batch_ready) or fails. Records are formatted when flushed."""
        if self.busy is not None:
            self.busy = None
            if self.state is not None:
                self.state.mark(0)
        if self.cfg.attached:
            # Not the ctx: it holds the samples and the batch, and keeping 64 batches of tensors
            # alive costs the allocator its warm, reused memory (measured: +150 µs per batch).
            self.records.append((ctx.loader, ctx.epoch, ctx.index, ctx.tid, ctx.indices, ctx.timings,
                                 None if error is None else "%s: %s" % (type(error).__name__, values.short_repr(str(error)))))

    def _take_records(self):
        recs = []
        while True:
            try:
                recs.append(self.records.popleft())
            except IndexError:
                break
        out = []
        for loader, epoch, index, tid, indices, timings, error in recs:
            rec = {"loader": loader, "epoch": epoch, "batch": index, "threadId": tid, "pid": self.pid,
                   "indices": list(indices or ())[:64], "timings": {k: round(v * 1000, 3) for k, v in timings.items()}}
            if error is not None:
                rec["error"] = error
            out.append(rec)
        return out

    def progress(self, loader, epoch, batch, total):
        if not self.cfg.attached:
            return
        now = time.monotonic()
        if now - self.last_progress < 0.5:
            return
        self.last_progress = now
        recs = self._take_records()
        msg = "%s epoch %d batch %d%s" % (loader, epoch, batch, "/%d" % total if total else "")
        self.send({"type": "state", "records": recs,
                   "progress": {"loader": loader, "epoch": epoch, "batch": batch, "total": total, "message": msg}})

    # ---------- stopping
    def boundary(self, stage, ctx):
        """Stage entry. Cheap unless something is armed."""
        if not self.cfg.armed:
            return
        try:
            self._boundary(stage, ctx)
        except Exception as e:  # a debugger bug must not become an error in the user's DataLoader
            self._internal_error(e)

    def _internal_error(self, e):
        msg = "batchscope: internal debugger error (ignored): %s: %s\n" % (type(e).__name__, e)
        if not self.send({"type": "output", "category": "stderr", "output": msg}):
            sys.stderr.write(msg)

    def _boundary(self, stage, ctx):
        cfg = self.cfg
        tid = ctx.tid
        if tid in cfg.pauses:
            self.stop("pause", stage, ctx, description="paused at %s · batch %s" % (stage, ctx.index))
            return
        step = cfg.steps.get(ctx.key) if cfg.steps else None
        if step is not None and step_matches(step, stage):
            self.stop("step", stage, ctx)
            return
        bps = cfg.by_stage.get(stage)
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
                        if not eval(code, self._globals(ctx), dict(lv)):
                            continue
                    except Exception as e:
                        error = "condition %r raised %s: %s" % (cond, type(e).__name__, e)
                if has_hit and not self._hit(bp_id):
                    continue
                hits.append(bp_id)
            if hits:
                self.stop("function breakpoint", stage, ctx, hit_ids=hits, description=error)

    def _hit(self, bp_id):
        ev = threading.Event()
        with self.send_lock:
            cid = self.next_id
            self.next_id += 1
        box = [ev, True]
        self.pending[cid] = box
        if not self.send({"type": "hit", "id": cid, "bp": bp_id}):
            return True
        ev.wait(5.0)
        self.pending.pop(cid, None)
        return box[1]

    def exception(self, filter_id, stage, ctx, exc):
        """A stage raised: stop with the live exception when the filter is on (and its condition holds)."""
        cfg = self.cfg
        if not cfg.attached or filter_id not in cfg.filters:
            return
        try:
            self._exception(filter_id, stage, ctx, exc, cfg)
        except Exception as e:
            self._internal_error(e)

    def _exception(self, filter_id, stage, ctx, exc, cfg):
        ctx.exception = exc
        cond = cfg.filters.get(filter_id)
        if cond:
            try:
                if not eval(cond, self._globals(ctx), ctx.locals(stage)):
                    return
            except Exception:
                pass
        text_ = str(exc)
        desc = "%s: %s" % (type(exc).__name__, text_ if len(text_) <= 300 else text_[:299] + "…")
        self.stop("exception", stage, ctx, text=filter_id, description=desc, exc=exc)

    def _globals(self, ctx):
        src = ctx.sources.get("module")
        g = getattr(sys.modules.get(src), "__dict__", None) if src else None
        return g if g is not None else {"__builtins__": __builtins__}

    def stop(self, reason, stage, ctx, hit_ids=None, description=None, text=None, exc=None):
        if not self.ok or not self.cfg.attached:
            return
        tid = ctx.tid
        busy = self.busy
        mine = busy is not None and busy[0] is ctx
        if mine:  # a paused stage is not a hung stage: the clock starts again on resume
            self.busy = None
            if self.state is not None:
                self.state.mark(0)
        frames = self._stage_frames(stage, ctx)
        st = StopState(tid, stage, ctx, ctx.locals(stage), frames, exc, reason)
        st.text = text
        st.description = description
        self.stops[tid] = st
        body = {"reason": reason, "threadId": tid, "allThreadsStopped": False, "stage": stage, "batch": ctx.batch_ref(),
                "description": description or "%s · batch %s · %s" % (stage, ctx.index, ctx.loader)}
        if hit_ids:
            body["hitBreakpointIds"] = hit_ids
        if text:
            body["text"] = text
        name = self.thread_name() if self.kind == "worker" else ("main (pid %d)" % self.pid if tid == 1 else
                                                                    "pin memory · %s (pid %d)" % (ctx.loader, self.pid))
        if not self.send({"type": "stopped", "name": name, "body": body}):
            self.stops.pop(tid, None)
            return
        try:
            while True:
                msg = st.q.get()
                if msg.get("type") == "resume":
                    break
                self._serve_call(st, msg)
        finally:
            self.stops.pop(tid, None)
            if mine and self.busy is None:
                now = time.monotonic()
                self.busy = (ctx, now)
                if self.state is not None:
                    self.state.write(STAGE_CODE.get(ctx.stage or "fetch", 2), ctx, now, self.rss)

    def _stage_frames(self, stage, ctx):
        frames = []
        where = "worker %s" % ctx.worker_id if ctx.worker_id is not None else "main process"
        if stage == "sample":
            path, line = ctx.sources.get("sample", (None, 0))
            frames.append({"name": "sample %s · position %s of batch %s" % (
                ctx.sample_pos[1] if ctx.sample_pos else "?", ctx.sample_pos[0] if ctx.sample_pos else "?", ctx.index),
                "path": path, "line": line})
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
            path, line = (ctx.extra_src if s == "collate" and ctx.extra_src else ctx.sources.get(s, (None, 0)))
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

    def _serve_call(self, st, msg):
        cmd = msg.get("command")
        args = msg.get("arguments") or {}
        try:
            body = getattr(self, "_call_" + cmd)(st, args)
            self.send({"type": "result", "id": msg.get("id"), "success": True, "body": body})
        except Exception as e:
            self.send({"type": "result", "id": msg.get("id"), "success": False, "message": "%s: %s" % (type(e).__name__, e)})

    def _vars(self, st):
        if st.vars is None:
            st.vars = values.VarTable(self.slot, self.cfg.tokenizer or os.environ.get("BATCHSCOPE_TOKENIZER"))
        return st.vars

    def _call_stackTrace(self, st, args):
        start = int(args.get("startFrame") or 0)
        levels = int(args.get("levels") or 0) or len(st.frames)
        out = []
        for depth, f in enumerate(st.frames[start:start + levels], start):
            sf = {"id": st.tid * 100 + depth, "name": f["name"], "line": f.get("line") or 0, "column": 1 if f.get("line") else 0}
            if f.get("path"):
                sf["source"] = {"name": os.path.basename(f["path"]), "path": f["path"]}
            if f.get("hint"):
                sf["presentationHint"] = f["hint"]
            out.append(sf)
        return {"stackFrames": out, "totalFrames": len(st.frames)}

    def _call_scopes(self, st, args):
        vt = self._vars(st)
        ctx = st.ctx
        scopes = [{"name": "Stage", "variablesReference": vt.ref(("dict", st.locals)), "expensive": False,
                   "presentationHint": "locals"}]
        timings = {k: "%.3f ms" % (v * 1000) for k, v in ctx.timings.items()}
        scopes.append({"name": "Timings", "variablesReference": vt.ref(("dict", timings)) if timings else 0,
                       "expensive": False})
        if st.exc_info is not None:
            scopes.append({"name": "Exception", "variablesReference": vt.ref(("attrs", st.exc_info)), "expensive": False})
        return {"scopes": scopes}

    def _call_variables(self, st, args):
        vt = self._vars(st)
        return {"variables": vt.children(int(args["variablesReference"]), int(args.get("start") or 0), int(args.get("count") or 0))}

    def _call_evaluate(self, st, args):
        expr = args.get("expression") or ""
        lv = st.locals
        g = self._globals(st.ctx)
        try:
            code = compile(expr, "<evaluate>", "eval")
        except SyntaxError:
            exec(compile(expr, "<evaluate>", "exec"), g, lv)  # statements in the REPL (assignments) run too
            return {"result": "", "variablesReference": 0}
        value = eval(code, g, lv)
        v = self._vars(st).var("result", value, lv.get("batch") if isinstance(lv.get("batch"), dict) else None)
        out = {"result": v["value"], "type": v.get("type"), "variablesReference": v["variablesReference"]}
        for k in ("indexedVariables", "namedVariables"):
            if k in v:
                out[k] = v[k]
        return out

    def _call_exceptionInfo(self, st, args):
        e = st.exc_info
        if e is None:
            if st.reason != "exception":
                raise ValueError("thread %d did not stop on an exception" % st.tid)
            # A check that found bad data (nan_inf) rather than a raised exception.
            return {"exceptionId": st.text or "exception", "description": st.description or "", "breakMode": "always",
                    "details": {"message": st.description or "", "typeName": "NonFiniteValues", "fullTypeName": "batchscope.NonFiniteValues",
                                "stackTrace": ""}}
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        mod = type(e).__module__
        return {"exceptionId": st.reason if st.reason != "exception" else (self._filter_of(st) or "exception"),
                "description": "%s: %s" % (type(e).__name__, str(e)[:500]), "breakMode": "always",
                "details": {"message": str(e)[:2000], "typeName": type(e).__name__,
                            "fullTypeName": "%s.%s" % (mod, type(e).__qualname__), "stackTrace": tb,
                            "evaluateName": "exception"}}

    @staticmethod
    def _filter_of(st):
        return {"fetch": "fetch_error", "sample": "fetch_error", "collate": "collate_error", "batch_ready": "nan_inf"}.get(st.stage)

    # ---------- diagnostics
    def dump(self):
        me = threading.get_ident()
        threads = []
        names = {t.ident: t.name for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            ctx = self.current.get(ident)
            entry = {"name": names.get(ident, "thread %x" % ident), "frames": _frames_of(frame)}
            if ctx is not None:
                entry.update({"threadId": ctx.tid, "stage": ctx.stage, "batch": ctx.batch_ref()})
            elif ident == threading.main_thread().ident:
                entry["threadId"] = self.thread_id
            threads.append(entry)
        return {"pid": self.pid, "role": self.kind, "threads": threads}

    def _probe(self, msg):
        pid = int(msg["pid"])
        body = {"pid": pid, "signal": None, "exitCode": None}
        for _ in range(40):
            try:
                r = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                r = "reaped"
            except OSError:
                r = "reaped"
            if r == "reaped":
                code = self._exitcode_from_iterators(pid)
                if code is None:
                    body["unknown"] = True
                elif code < 0:
                    body["signal"] = _signame(-code)
                else:
                    body["exitCode"] = code
                break
            if r is not None and r.si_pid:
                import os as _os
                if r.si_code in (_os.CLD_KILLED, _os.CLD_DUMPED):
                    body["signal"] = _signame(r.si_status)
                else:
                    body["exitCode"] = r.si_status
                break
            time.sleep(0.1)  # under spawn the socket can close before the child is a zombie
        else:
            body["unknown"] = True
        self.send({"type": "result", "id": msg.get("id"), "success": True, "body": body})

    def _exitcode_from_iterators(self, pid):
        for ref, _ in self.iterators:
            it = ref()
            for w in getattr(it, "_workers", None) or ():
                if getattr(w, "pid", None) == pid:
                    try:
                        return w.exitcode
                    except Exception:
                        return None
        return None


def _signame(n):
    import signal
    try:
        return signal.Signals(n).name
    except ValueError:
        return str(n)


def _frames_of(frame, limit=60):
    out = []
    while frame is not None and len(out) < limit:
        code = frame.f_code
        out.append({"name": code.co_name, "path": code.co_filename, "line": frame.f_lineno})
        frame = frame.f_back
    return out
