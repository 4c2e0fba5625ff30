"""The session controller: one per debugged job, standard library only.

It accepts one adapter and one agent per process of the job (main + each DataLoader worker),
holds breakpoint state and a ring buffer of recent batches, routes the adapter's requests to the
agent whose thread is stopped, and watches for hangs (faulthandler files) and dead workers.
Run in the launcher process (launch mode) or as its own process (`listen()`), so it outlives the
job's main process and can report its end. Protocol: protocol/debug-protocol.md.
"""
import argparse
import collections
import json
import os
import re
import signal
import socket
import sys
import threading
import time

from . import wire

HIT_RE = re.compile(r"^\s*(>=|>|%|==)?\s*(\d+)\s*$")
STAGE_ORDER = {s: i for i, s in enumerate(wire.STAGES)}


class Conn:
    def __init__(self, sock, reader):
        self.sock = sock
        self.reader = reader
        self.lock = threading.Lock()
        self.alive = True

    def send(self, msg):
        data = wire.encode(msg)
        with self.lock:
            if not self.alive:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.alive = False
                return False

    def close(self):
        self.alive = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


class AgentRec:
    def __init__(self, slot, conn, hello):
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
        self.pending_hang = None  # (batch start, dump text) of a dump that fired before hangTimeout
        self.hang_reported = None  # batch start of the last hang reported
        self.said_bye = False
        self.bye = None

    def current(self):
        return wire.StateFile.read(self.state_file) or {}


class ThreadRec:
    def __init__(self, tid, name, slot):
        self.tid = tid
        self.name = name
        self.slot = slot
        self.alive = True
        self.stop = None  # dict: {"owner": "agent"|"controller", "body": stopped body, ...}
        self.status = ""  # e.g. "waiting 6s for batch 12 from worker 1"


def parse_faulthandler(text, ident):
    """Frames of the thread `ident` (int) from a faulthandler dump, most recent first."""
    blocks = re.split(r"\n(?=(?:Current thread|Thread) 0x)", "\n" + text)
    chosen = None
    for block in blocks:
        m = re.match(r"\s*(?:Current thread|Thread) (0x[0-9a-fA-F]+)", block)
        if not m:
            continue
        if ident is None or int(m.group(1), 16) == ident:
            chosen = block
            break
    if chosen is None:
        chosen = next((b for b in blocks if "File " in b), "")
    frames = []
    for m in re.finditer(r'File "(.*)", line (\d+) in (\S+)', chosen):
        frames.append({"path": m.group(1), "line": int(m.group(2)), "name": m.group(3)})
    return frames


def _children_map():
    """{ppid: [pid, …]} of every process we can see: /proc on Linux, else `ps`."""
    kids = collections.defaultdict(list)
    try:
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open("/proc/%s/stat" % name, "rb") as f:
                        stat = f.read()
                except OSError:
                    continue
                # pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'
                kids[int(stat[stat.rindex(b")") + 2:].split()[1])].append(int(name))
        return kids
    except (OSError, ValueError, IndexError):
        pass
    try:
        import subprocess
        out = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            pid, ppid = line.split()
            kids[int(ppid)].append(int(pid))
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return kids


def descendants(pid):
    """Every live process below `pid` (its DataLoader workers, their children), this one excluded."""
    kids = _children_map()
    out, todo, me = [], [pid], os.getpid()
    while todo:
        for c in kids.get(todo.pop(), ()):
            if c != me and c not in out:
                out.append(c)
                todo.append(c)
    return out


def kill_tree(pid, grace=3.0, proc=None):
    """SIGTERM the program, then SIGKILL it and everything it started that is still alive after
    `grace` s. Descendants are collected while the program lives (an orphan is re-parented and can
    no longer be found): a spawn worker still importing torch has no parent watchdog yet and would
    outlive a plain kill of the program. The program's process group is left alone: it is the
    terminal's job when the launcher runs from a shell (other processes of a pipeline are in it)."""
    seen = set(descendants(pid))
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return None

    def alive():
        if proc is not None:
            return proc.poll() is None
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False

    def finish():
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if alive():
                seen.update(descendants(pid))
            elif not any(_exists(p) for p in seen):
                return
            time.sleep(0.2)
        for p in ([pid] if alive() else []) + sorted(seen):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if proc is not None:
            try:
                proc.wait(timeout=1)
            except Exception:
                pass

    t = threading.Thread(target=finish, name="bs-kill", daemon=True)
    t.start()
    return t


def _exists(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


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
        self.adapter = None
        self.adapter_ever = False
        self.agents = {}
        self.next_slot = 1
        self.threads = {}
        self.bps = []
        self.next_bp = 1
        self.filters = {}
        self.steps = {}
        self.pauses = set()
        self.go = not wait
        self.ring = collections.deque(maxlen=256)
        self.next_call = 1
        self.calls = {}  # call id -> (kind, payload)
        self.local_refs = {}
        self.next_local_ref = 1
        self.program_pid = None
        self.main_gone = threading.Event()
        self.exited_sent = False
        self.exit_error = None
        self.last_progress = 0.0
        self.closed = threading.Event()
        self.adapter_gone = threading.Event()
        self.terminate_hook = None  # set by the launcher: kills the program

    # ---------- lifecycle
    def start(self):
        threading.Thread(target=self._accept_loop, name="bs-accept", daemon=True).start()
        threading.Thread(target=self._watch_loop, name="bs-watch", daemon=True).start()

    def close(self):
        self.closed.set()
        try:
            self.server.close()
        except OSError:
            pass
        with self.lock:
            conns = [a.conn for a in self.agents.values()] + ([self.adapter] if self.adapter else [])
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
        reader = wire.LineReader(sock)
        conn = Conn(sock, reader)
        sock.settimeout(wire.HELLO_TIMEOUT)
        try:
            hello = reader.read()
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
        if reason is None and hello["role"] == "adapter":
            with self.lock:
                if self.adapter is not None:
                    reason = "another client is attached"
                else:
                    self.adapter = conn
                    self.adapter_ever = True
                    self.adapter_gone.clear()
        if reason is not None:
            conn.send({"type": "refused", "reason": reason})
            conn.close()
            return
        if hello["role"] == "adapter":
            self._serve_adapter(conn)
        else:
            self._serve_agent(conn, hello)

    # ---------- adapter side
    def _emit(self, event, body):
        a = self.adapter
        if a is not None:
            a.send({"type": "event", "event": event, "body": body})

    def _serve_adapter(self, conn):
        conn.send({"type": "welcome", "protocol": wire.PROTOCOL, "mode": self.mode, "controllerPid": os.getpid(),
                   "programPid": self.program_pid, "hangTimeout": self.hang_timeout, "tokenizer": self.tokenizer})
        self._broadcast_config()
        try:
            while True:
                try:
                    msg = conn.reader.read()
                except (OSError, ValueError):
                    msg = None
                if msg is None:
                    break
                if msg.get("type") != "request":
                    continue
                try:
                    self._handle_request(conn, msg)
                except Exception as e:  # a bad request must never kill the controller
                    self._respond(conn, msg, error="%s: %s" % (type(e).__name__, e))
                if msg.get("command") == "detach":
                    break
        finally:
            with self.lock:
                if self.adapter is conn:
                    self.adapter = None
            self._detach()
            conn.close()
            self.adapter_gone.set()

    def _respond(self, conn, req, body=None, error=None):
        msg = {"type": "response", "request_seq": req.get("seq", 0), "command": req.get("command", ""),
               "success": error is None}
        if error is None:
            msg["body"] = body if body is not None else {}
        else:
            msg["message"] = error
        conn.send(msg)

    def _handle_request(self, conn, req):
        cmd = req.get("command")
        args = req.get("arguments") or {}
        handler = getattr(self, "_rq_" + str(cmd), None)
        if handler is None:
            self._respond(conn, req, error="unknown command %r" % cmd)
            return
        handler(conn, req, args)

    def _rq_setFunctionBreakpoints(self, conn, req, args):
        out = []
        with self.lock:
            old = {(b["name"], b.get("condition"), b.get("hitCondition")): b for b in self.bps}
            self.bps = []
            for spec in args.get("breakpoints") or []:
                name = spec.get("name")
                key = (name, spec.get("condition") or None, spec.get("hitCondition") or None)
                if name not in wire.STAGES:
                    out.append({"verified": False, "message": "unknown stage %r; stages: %s" % (name, ", ".join(wire.STAGES))})
                    continue
                hc = key[2]
                if hc is not None and not HIT_RE.match(hc):
                    out.append({"verified": False, "message": "hitCondition must be N, >= N, > N or % N"})
                    continue
                if key[1] is not None:
                    try:
                        compile(key[1], "<condition>", "eval")
                    except SyntaxError as e:
                        out.append({"verified": False, "message": "condition: %s" % e})
                        continue
                prev = old.get(key)
                bp = {"id": prev["id"] if prev else self.next_bp, "name": name, "condition": key[1],
                      "hitCondition": hc, "hits": prev["hits"] if prev else 0}
                if not prev:
                    self.next_bp += 1
                self.bps.append(bp)
                out.append({"id": bp["id"], "verified": True})
        self._broadcast_config()
        self._respond(conn, req, {"breakpoints": out})

    def _rq_setExceptionBreakpoints(self, conn, req, args):
        filters = {}
        out = []
        for f in args.get("filters") or []:
            if f in wire.FILTERS:
                filters[f] = None
        for opt in args.get("filterOptions") or []:
            if opt.get("filterId") in wire.FILTERS:
                filters[opt["filterId"]] = opt.get("condition") or None
        requested = list(args.get("filters") or []) + [o.get("filterId") for o in args.get("filterOptions") or []]
        for f in requested:
            out.append({"verified": f in wire.FILTERS} if f in wire.FILTERS else {"verified": False, "message": "unknown filter %r" % f})
        with self.lock:
            self.filters = filters
            if args.get("hangTimeout"):
                self.hang_timeout = float(args["hangTimeout"])
        self._broadcast_config()
        self._respond(conn, req, {"breakpoints": out})

    def _rq_configurationDone(self, conn, req, args):
        self.go = True
        self._broadcast_config()
        self._respond(conn, req, {})

    def _rq_threads(self, conn, req, args):
        with self.lock:
            threads = [{"id": t.tid, "name": t.name + (" · " + t.status if t.status else "")}
                       for t in sorted(self.threads.values(), key=lambda t: t.tid) if t.alive or t.stop]
        self._respond(conn, req, {"threads": threads})

    def _thread_for(self, args):
        tid = args.get("threadId")
        if tid is None and args.get("frameId") is not None:
            tid = int(args["frameId"]) // 100
        if tid is None:  # evaluate without a frame: the most recent stop
            with self.lock:
                stopped = [t for t in self.threads.values() if t.stop]
            tid = max(stopped, key=lambda t: t.stop["at"]).tid if stopped else None
        return self.threads.get(tid) if tid is not None else None

    def _forward_or_local(self, conn, req, args, local):
        t = self._thread_for(args)
        if t is None or t.stop is None:
            self._respond(conn, req, error="thread %s is not stopped" % (args.get("threadId") or args.get("frameId")))
            return
        if t.stop["owner"] == "agent":
            self._call_agent(t.slot, conn, req, dict(args, threadId=t.tid))
        else:
            local(t)

    def _rq_stackTrace(self, conn, req, args):
        def local(t):
            frames = t.stop["frames"]
            start = int(args.get("startFrame") or 0)
            levels = int(args.get("levels") or 0) or len(frames)
            out = []
            for depth, f in enumerate(frames[start:start + levels], start):
                sf = {"id": t.tid * 100 + depth, "name": f["name"], "line": f.get("line") or 0, "column": 1 if f.get("line") else 0}
                if f.get("path"):
                    sf["source"] = {"name": os.path.basename(f["path"]), "path": f["path"]}
                if f.get("hint"):
                    sf["presentationHint"] = f["hint"]
                out.append(sf)
            self._respond(conn, req, {"stackFrames": out, "totalFrames": len(frames)})
        self._forward_or_local(conn, req, args, local)

    def _rq_scopes(self, conn, req, args):
        def local(t):
            scopes = [{"name": name, "variablesReference": self._local_ref(value), "expensive": False}
                      for name, value in t.stop["scopes"].items()]
            if scopes:
                scopes[0]["presentationHint"] = "locals"
            self._respond(conn, req, {"scopes": scopes})
        self._forward_or_local(conn, req, args, local)

    def _rq_exceptionInfo(self, conn, req, args):
        def local(t):
            ex = t.stop.get("exception")
            if not ex:
                self._respond(conn, req, error="no exception on thread %d" % t.tid)
            else:
                self._respond(conn, req, ex)
        self._forward_or_local(conn, req, args, local)

    def _rq_evaluate(self, conn, req, args):
        def local(t):
            self._respond(conn, req, error="thread %d is not stopped at a stage boundary (it is stuck or gone); "
                                           "evaluate needs a breakpoint, step or pause stop" % t.tid)
        self._forward_or_local(conn, req, args, local)

    def _rq_variables(self, conn, req, args):
        ref = int(args.get("variablesReference") or 0)
        slot = ref >> 20
        if slot == 0:
            value = self.local_refs.get(ref)
            if value is None:
                self._respond(conn, req, error="unknown variablesReference %d" % ref)
                return
            start = int(args.get("start") or 0)
            count = int(args.get("count") or 0)
            items = list(value.items()) if isinstance(value, dict) else [("[%d]" % i, v) for i, v in enumerate(value)]
            items = items[start:start + count] if count else items[start:]
            self._respond(conn, req, {"variables": [self._local_var(k, v) for k, v in items]})
        elif slot in self.agents:
            self._call_agent(slot, conn, req, args)
        else:
            self._respond(conn, req, error="the process holding variablesReference %d is gone" % ref)

    def _local_ref(self, value):
        with self.lock:
            ref = self.next_local_ref
            self.next_local_ref += 1
            self.local_refs[ref] = value
        return ref

    def _local_var(self, name, value):
        if isinstance(value, (dict, list)) and value:
            v = {"name": str(name), "value": "%s[%d]" % (type(value).__name__, len(value)) if isinstance(value, dict)
                 else json.dumps(value)[:200], "type": type(value).__name__, "variablesReference": self._local_ref(value)}
            if isinstance(value, list):
                v["indexedVariables"] = len(value)
            return v
        return {"name": str(name), "value": value if isinstance(value, str) else json.dumps(value),
                "type": type(value).__name__, "variablesReference": 0}

    def _resume_thread(self, t):
        stop = t.stop
        t.stop = None
        if stop and stop["owner"] == "agent":
            a = self.agents.get(t.slot)
            if a:
                a.conn.send({"type": "resume", "threadId": t.tid})

    def _rq_continue(self, conn, req, args):
        tid = args.get("threadId")
        single = bool(args.get("singleThread"))
        with self.lock:
            targets = [self.threads[tid]] if single and tid in self.threads else \
                [t for t in self.threads.values() if t.stop]
            for t in targets:
                self._resume_thread(t)
        self._broadcast_config()
        self._respond(conn, req, {"allThreadsContinued": not single})
        for t in targets:
            self._emit("continued", {"threadId": t.tid, "allThreadsContinued": False})

    def _step(self, conn, req, args, kind):
        t = self.threads.get(args.get("threadId"))
        if t is None or t.stop is None:
            self._respond(conn, req, error="thread %s is not stopped" % args.get("threadId"))
            return
        body = t.stop["body"]
        batch = body.get("batch") or {}
        with self.lock:
            if "loaderId" in batch and batch.get("index", -1) >= 0:
                key = "%s/%s/%s" % (batch["loaderId"], batch["epoch"], batch["index"])
                self.steps[key] = {"kind": kind, "from": body.get("stage")}
            stop, t.stop = t.stop, None
        # The step target must reach every agent before the thread resumes (same connection: ordered).
        self._broadcast_config()
        t.stop = stop
        with self.lock:
            self._resume_thread(t)
        self._broadcast_config()
        self._respond(conn, req, {})
        self._emit("continued", {"threadId": t.tid, "allThreadsContinued": False})

    def _rq_next(self, conn, req, args):
        self._step(conn, req, args, "next")

    def _rq_stepIn(self, conn, req, args):
        self._step(conn, req, args, "stepIn")

    def _rq_stepOut(self, conn, req, args):
        self._step(conn, req, args, "stepOut")

    def _rq_pause(self, conn, req, args):
        tid = int(args.get("threadId") or 0)
        with self.lock:
            if tid == 0:
                self.pauses.update(t.tid for t in self.threads.values() if t.alive)
            else:
                self.pauses.add(tid)
        self._broadcast_config()
        self._respond(conn, req, {})

    def _rq_recentBatches(self, conn, req, args):
        n = int(args.get("count") or 50)
        with self.lock:
            batches = list(self.ring)[-n:]
        self._respond(conn, req, {"batches": batches})

    def _rq_dumpStacks(self, conn, req, args):
        with self.lock:
            agents = list(self.agents.values())
        results = []
        done = threading.Event()
        pending = {"n": len(agents)}

        def collect(payload):
            with self.lock:
                if payload is not None:
                    results.append(payload)
                pending["n"] -= 1
                if pending["n"] <= 0:
                    done.set()

        if not agents:
            done.set()
        for a in agents:
            cid = self._new_call(("dump", collect))
            if not a.conn.send({"type": "dump", "id": cid}):
                self.calls.pop(cid, None)
                collect({"pid": a.pid, "role": a.kind, "threads": [], "error": "connection lost"})

        def finish():
            done.wait(3.0)
            with self.lock:
                answered = {r.get("pid") for r in results}
                for a in agents:  # a process stuck in C with the GIL held cannot answer: say so
                    if a.pid not in answered:
                        results.append({"pid": a.pid, "role": a.kind, "threads": [], "error": "no answer within 3 s"})
            self._respond(conn, req, {"processes": sorted(results, key=lambda r: (r.get("role") != "main", r.get("pid") or 0))})
        threading.Thread(target=finish, daemon=True).start()

    def _rq_detach(self, conn, req, args):
        self._detach()
        self._respond(conn, req, {})

    def _rq_terminate(self, conn, req, args):
        if self.terminate_hook:
            self.terminate_hook()
        elif self.program_pid:
            kill_tree(self.program_pid)
        self._respond(conn, req, {})

    def _detach(self):
        with self.lock:
            self.bps = []
            self.filters = {}
            self.steps = {}
            self.pauses = set()
            self.go = True
            for t in self.threads.values():
                if t.stop:
                    self._resume_thread(t)
            self.local_refs.clear()
        self._broadcast_config()

    # ---------- calls into agents
    def _new_call(self, entry):
        with self.lock:
            cid = self.next_call
            self.next_call += 1
            self.calls[cid] = entry
        return cid

    def _call_agent(self, slot, conn, req, args):
        a = self.agents.get(slot)
        if a is None:
            self._respond(conn, req, error="process is gone")
            return
        cid = self._new_call(("request", conn, req))
        if not a.conn.send({"type": "call", "id": cid, "threadId": args.get("threadId"),
                            "command": req.get("command"), "arguments": args}):
            self.calls.pop(cid, None)
            self._respond(conn, req, error="process is gone")

    # ---------- agent side
    def _config(self):
        attached = self.adapter is not None
        return {"type": "config", "attached": attached, "go": self.go,
                "bps": [{"id": b["id"], "name": b["name"], "condition": b["condition"], "hit": b["hitCondition"] is not None}
                        for b in self.bps],
                "filters": self.filters, "hangTimeout": self.hang_timeout, "steps": self.steps,
                "pauses": sorted(self.pauses), "stopped": sorted(t.tid for t in self.threads.values() if t.stop),
                "tokenizer": self.tokenizer}

    def _broadcast_config(self):
        with self.lock:
            cfg = self._config()
            conns = [a.conn for a in self.agents.values()]
        for c in conns:
            c.send(cfg)

    def _thread(self, tid, name, slot):
        t = self.threads.get(tid)
        new = t is None or not t.alive
        if t is None:
            t = self.threads[tid] = ThreadRec(tid, name, slot)
        t.name, t.slot, t.alive = name, slot, True
        if new:
            self._emit("thread", {"reason": "started", "threadId": tid, "name": name})
        return t

    def _serve_agent(self, conn, hello):
        with self.lock:
            slot = self.next_slot
            self.next_slot += 1
            a = AgentRec(slot, conn, hello)
            self.agents[slot] = a
            if a.kind == "main":
                self.program_pid = a.pid
                self._thread(1, hello.get("name") or "main (pid %s)" % a.pid, slot)
            elif a.thread_id is not None:
                self._thread(a.thread_id, hello.get("name") or "worker", slot)
            cfg = self._config()
        cfg["slot"] = slot
        conn.send(cfg)
        try:
            while True:
                try:
                    msg = conn.reader.read()
                except (OSError, ValueError):
                    msg = None
                if msg is None:
                    break
                try:
                    self._handle_agent(a, msg)
                except Exception as e:
                    self._emit("output", {"category": "stderr", "output": "batchscope controller: %s: %s\n" % (type(e).__name__, e)})
        finally:
            conn.close()
            with self.lock:
                self.agents.pop(slot, None)
            self._agent_gone(a)

    def _handle_agent(self, a, msg):
        kind = msg.get("type")
        if kind == "stopped":
            self._agent_stopped(a, msg)
        elif kind == "result":
            entry = self.calls.pop(msg.get("id"), None)
            if entry and entry[0] == "request":
                _, conn, req = entry
                if msg.get("success"):
                    self._respond(conn, req, msg.get("body") or {})
                else:
                    self._respond(conn, req, error=msg.get("message") or "failed")
            elif entry and entry[0] in ("dump", "probe"):
                entry[1](msg.get("body"))
        elif kind == "hit":
            stop = True
            with self.lock:
                for b in self.bps:
                    if b["id"] == msg.get("bp"):
                        b["hits"] += 1
                        stop = self._hit_matches(b["hitCondition"], b["hits"])
            a.conn.send({"type": "hitResult", "id": msg.get("id"), "stop": stop})
        elif kind == "state":
            self._agent_state(a, msg)
        elif kind == "thread":
            with self.lock:
                if msg.get("reason") == "exited":
                    t = self.threads.get(msg["threadId"])
                    if t and t.alive:
                        t.alive = False
                        self._emit("thread", {"reason": "exited", "threadId": t.tid})
                else:
                    self._thread(msg["threadId"], msg.get("name") or "thread", a.slot)
        elif kind == "waiting":
            self._agent_waiting(a, msg)
        elif kind == "hang":
            self._local_stop(msg["threadId"], "hang", msg["description"], msg["frames"], msg.get("scopes") or {},
                             batch=msg.get("batch"), stage=msg.get("stage"))
        elif kind == "bye":
            a.said_bye = True
            a.bye = msg
            if msg.get("error"):
                self.exit_error = msg["error"]
        elif kind == "output":
            self._emit("output", {"category": msg.get("category", "console"), "output": msg.get("output", "")})

    @staticmethod
    def _hit_matches(cond, hits):
        m = HIT_RE.match(cond or "")
        if not m:
            return True
        op, n = m.group(1) or "==", int(m.group(2))
        if op == ">=":
            return hits >= n
        if op == ">":
            return hits > n
        if op == "%":
            return n > 0 and hits % n == 0
        return hits == n

    def _agent_stopped(self, a, msg):
        body = msg["body"]
        tid = body["threadId"]
        with self.lock:
            t = self._thread(tid, msg.get("name") or "thread %d" % tid, a.slot)
            if self.adapter is None:  # nobody to show it to: let it go at once
                a.conn.send({"type": "resume", "threadId": tid})
                return
            t.stop = {"owner": "agent", "body": body, "at": time.monotonic()}
            self.pauses.discard(tid)
            if body.get("reason") == "step":
                batch = body.get("batch") or {}
                self.steps.pop("%s/%s/%s" % (batch.get("loaderId"), batch.get("epoch"), batch.get("index")), None)
            t.status = ""
        self._broadcast_config()
        self._emit("stopped", body)

    def _local_stop(self, tid, filter_id, description, frames, scopes, batch=None, stage=None, exception=None):
        with self.lock:
            if filter_id not in self.filters or self.adapter is None:
                self._emit("output", {"category": "important", "output": "batchscope: " + description + "\n"})
                return
            t = self.threads.get(tid) or self._thread(tid, "thread %d" % tid, 0)
            if t.stop is not None:
                return
            body = {"reason": "exception", "threadId": tid, "description": description, "text": filter_id,
                    "allThreadsStopped": False}
            if stage:
                body["stage"] = stage
            if batch:
                body["batch"] = batch
            t.stop = {"owner": "controller", "body": body, "frames": frames[:99], "scopes": scopes, "at": time.monotonic(),
                      "exception": exception or {"exceptionId": filter_id, "description": description, "breakMode": "always",
                                                 "details": {"message": description, "typeName": filter_id}}}
        self._broadcast_config()
        self._emit("stopped", body)

    def _agent_state(self, a, msg):
        now = time.monotonic()
        with self.lock:
            for rec in msg.get("records") or []:
                self.ring.append(rec)
            cur = msg.get("current")
            if cur:  # a worker's new epoch: its thread name changes
                t = self.threads.get(cur.get("threadId"))
                if t and cur.get("name"):
                    t.name = cur["name"]
                if t:
                    t.status = ""
            prog = msg.get("progress")
            emit = prog and self.adapter is not None and now - self.last_progress >= 0.5
            if emit:
                self.last_progress = now
        if emit:
            self._emit("progress", prog)

    def _agent_waiting(self, a, msg):
        with self.lock:
            t = self.threads.get(1)
            if t:
                t.status = msg["message"] if msg.get("seconds", 0) >= 1 else ""
        if msg.get("seconds", 0) >= 1:
            self._emit("progress", {"loader": msg.get("loader", ""), "epoch": msg.get("epoch", 0), "batch": msg.get("batch", 0),
                                    "total": msg.get("total"), "message": msg["message"]})

    @staticmethod
    def _remove_files(a):
        for path in (a.hang_file, a.state_file):  # the process is gone: nobody writes them any more
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _agent_gone(self, a):
        if a.kind == "worker" and not a.said_bye:
            threading.Thread(target=self._worker_gone, args=(a,), daemon=True).start()
            return
        self._remove_files(a)
        with self.lock:
            t = self.threads.get(a.thread_id if a.kind == "worker" else 1)
            if t and t.slot == a.slot and t.alive:
                t.alive = False
                if t.stop and t.stop["owner"] == "agent":
                    t.stop = None
                self._emit("thread", {"reason": "exited", "threadId": t.tid})
        if a.kind == "main":
            with self.lock:  # pin threads of the main process go with it
                for t in self.threads.values():
                    if t.slot == a.slot and t.alive:
                        t.alive = False
                        self._emit("thread", {"reason": "exited", "threadId": t.tid})
            self.main_gone.set()
            if self.mode == "attach":
                bye = a.bye or {}
                self.program_exited(bye.get("exitCode"), None, bye.get("error"))

    def _probe(self, pid):
        """Ask the main process (the worker's parent) for the worker's exit status."""
        main = next((x for x in list(self.agents.values()) if x.kind == "main"), None)
        if main is None:
            return None
        box = {}
        ev = threading.Event()

        def got(body):
            box["body"] = body
            ev.set()
        cid = self._new_call(("probe", got))
        main.conn.send({"type": "probe", "id": cid, "pid": pid})
        ev.wait(4.0)
        self.calls.pop(cid, None)
        return box.get("body")

    def _worker_gone(self, a):
        cur = a.current()
        self._remove_files(a)
        status = self._probe(a.pid) or {}
        sig = status.get("signal")
        code = status.get("exitCode")
        main = next((x for x in list(self.agents.values()) if x.kind == "main"), None)
        normal = sig is None and code in (0, None) and not status.get("unknown")
        # While the job ends torch terminates (SIGTERM) workers that do not stop in time: not a death to report.
        teardown = (main is None or main.said_bye) and sig in (None, "SIGTERM")
        if normal or teardown:
            with self.lock:
                t = self.threads.get(a.thread_id)
                if t and t.slot == a.slot and t.alive:
                    t.alive = False
                    self._emit("thread", {"reason": "exited", "threadId": t.tid})
            return
        how = ("killed by signal %s" % sig) if sig else ("exited with code %s" % code if code is not None else "ended")
        desc = "worker %s (pid %s) %s" % (a.worker, a.pid, how)
        if cur.get("stage"):
            desc += " during %s of batch %s" % (cur["stage"], cur.get("batch", {}).get("index"))
        elif cur.get("batch"):
            desc += " after batch %s" % cur["batch"].get("index")
        info = {"pid": a.pid, "worker_id": a.worker, "signal": sig, "exit_code": code, "last_stage": cur.get("stage"),
                "batch_index": (cur.get("batch") or {}).get("index"), "epoch": (cur.get("batch") or {}).get("epoch"),
                "indices": cur.get("indices"), "rss_mb": cur.get("rssMb")}
        frames = [{"name": "%s · batch %s (worker died)" % (cur.get("stage") or "?", info["batch_index"]),
                   "path": cur.get("path"), "line": cur.get("line")},
                  {"name": "worker %s · pid %s · %s" % (a.worker, a.pid, how), "hint": "label"}]
        exc = {"exceptionId": "worker_died", "description": desc, "breakMode": "always",
               "details": {"message": desc, "typeName": "WorkerDied", "fullTypeName": "batchscope.WorkerDied", "stackTrace": ""}}
        with self.lock:
            t = self.threads.get(a.thread_id)
            if t:
                t.alive = False
        self._local_stop(a.thread_id, "worker_died", desc, frames, {"Worker": info}, batch=cur.get("batch"),
                         stage=cur.get("stage"), exception=exc)

    # ---------- watchdog: faulthandler dumps of stuck stages
    def _watch_loop(self):
        while not self.closed.wait(0.25):
            with self.lock:
                agents = list(self.agents.values())
            for a in agents:
                try:
                    self._check_hang(a)
                except Exception as e:  # the watchdog must keep running
                    self._emit("output", {"category": "stderr", "output": "batchscope controller: hang check: %s: %s\n" % (type(e).__name__, e)})

    def _check_hang(self, a):
        """The agent keeps one faulthandler timer aimed at "start of its batch in flight + hangTimeout"
        and moves it lazily, so a dump can be stale (the batch finished) or early (the agent could
        not move the timer in time): the state file says which batch is in flight since when."""
        if not a.hang_file:
            return
        text = None
        try:
            if os.stat(a.hang_file).st_size:
                with open(a.hang_file, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                os.truncate(a.hang_file, 0)  # the agent's fd is O_APPEND: its next dump starts at 0
        except OSError:
            return
        if text is None and a.pending_hang is None:
            return
        cur = a.current()
        start = cur.get("start")
        if not cur.get("busy") or start is None:
            a.pending_hang = None  # the batch finished (or is paused): nothing is stuck
            return
        if text is not None:
            a.pending_hang = (start, text)
        elif a.pending_hang[0] != start:
            a.pending_hang = None  # another batch is in flight now
            return
        if time.monotonic() - start < self.hang_timeout - 0.1 or a.hang_reported == start:
            return  # fired early: report once this very batch has really run that long
        a.hang_reported = start
        text = a.pending_hang[1]
        a.pending_hang = None
        self._report_hang(a, text, cur)

    def _report_hang(self, a, text, cur):
        tid = a.thread_id if a.kind == "worker" else 1
        t = self.threads.get(tid)
        if t is not None and t.stop is not None:
            return  # paused by the user: never a hang
        frames = [{"name": f["name"], "path": f["path"], "line": f["line"]} for f in parse_faulthandler(text, a.stage_ident)]
        stuck = next((f for f in frames if "/torch/" not in f["path"] and "batchscope_runtime" not in f["path"]), None)
        stage = cur.get("stage") or "fetch"
        batch = cur.get("batch") or {}
        desc = "%s of batch %s stuck for over %gs" % (stage, batch.get("index"), self.hang_timeout)
        if stuck:
            desc += " at %s:%d in %s" % (os.path.basename(stuck["path"]), stuck["line"], stuck["name"])
        label = [{"name": "%s · batch %s (hang > %gs)" % (stage, batch.get("index"), self.hang_timeout), "hint": "label"}]
        info = {"pid": a.pid, "stage": stage, "batch_index": batch.get("index"), "indices": cur.get("indices"),
                "hang_timeout_s": self.hang_timeout, "faulthandler": text[-4000:]}
        exc = {"exceptionId": "hang", "description": desc, "breakMode": "always",
               "details": {"message": desc, "typeName": "Hang", "fullTypeName": "batchscope.Hang", "stackTrace": text[-8000:]}}
        self._local_stop(tid, "hang", desc, frames + label, {"Hang": info}, batch=batch or None, stage=stage, exception=exc)

    # ---------- end of the program
    def program_exited(self, code, sig=None, error=None):
        with self.lock:
            if self.exited_sent:
                return
            self.exited_sent = True
            for t in self.threads.values():
                if t.alive:
                    t.alive = False
                    self._emit("thread", {"reason": "exited", "threadId": t.tid})
        body = {"exitCode": code}
        if sig:
            body["signal"] = sig
        err = error or self.exit_error
        if err:
            body["error"] = err
        self._emit("exited", body)
        self._emit("terminated", {})
        self.main_gone.set()


def main(argv):
    """`python -m batchscope_runtime controller`: the attach-mode controller process (started by listen())."""
    p = argparse.ArgumentParser(prog="batchscope_runtime controller")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--watch-pid", type=int, required=True)
    p.add_argument("--hang-timeout", type=float, default=30.0)
    p.add_argument("--tokenizer")
    a = p.parse_args(argv)
    secret = os.environ.get("BATCHSCOPE_SECRET")
    if not secret:
        print("batchscope controller: BATCHSCOPE_SECRET is not set", file=sys.stderr)
        return 2
    try:
        c = Controller(secret, port=a.port, mode="attach", hang_timeout=a.hang_timeout, tokenizer=a.tokenizer, wait=False)
    except OSError as e:
        print(json.dumps({"type": "error", "message": "cannot listen on 127.0.0.1:%d: %s" % (a.port, e)}), flush=True)
        return 1
    c.program_pid = a.watch_pid
    c.start()
    print(json.dumps({"type": "listening", "port": c.port, "pid": os.getpid()}), flush=True)
    # Stay while the job lives; once it is gone, linger for the attached adapter to read the end.
    while True:
        if c.main_gone.wait(0.5):
            break
        try:
            os.kill(a.watch_pid, 0)
        except ProcessLookupError:
            c.program_exited(None)
            break
        except PermissionError:
            pass
    deadline = time.monotonic() + 30
    while c.adapter is not None and time.monotonic() < deadline:
        c.adapter_gone.wait(0.5)
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
