"""NDJSON framing and the hello check shared by the controller, agents and the test client.

Standard library only: the controller process must start without torch.
"""

import hmac
import ipaddress
import json
import mmap
import os
import socket
import struct
import tempfile

PROTOCOL = 1
MAX_LINE = 16 * 1024 * 1024
HELLO_TIMEOUT = 5.0

STAGES = ("sampler", "fetch", "sample", "collate", "batch_ready", "pin_memory", "to_device", "train_step")
FILTERS = ("fetch_error", "collate_error", "worker_died", "hang", "nan_inf")


def encode(msg):
    # ensure_ascii keeps every line free of raw newlines and odd bytes whatever the payload holds.
    return (json.dumps(msg, separators=(",", ":"), default=repr) + "\n").encode("ascii")


def is_loopback(addr):
    try:
        return ipaddress.ip_address(addr[0]).is_loopback
    except ValueError:
        return False


def secret_ok(given, expected):
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def stack_trace_body(tid, frames, args):
    """The DAP `stackTrace` body for a stopped thread's frame list (agent and controller answer alike)."""
    start = int(args.get("startFrame") or 0)
    levels = int(args.get("levels") or 0) or len(frames)
    out = []
    for depth, f in enumerate(frames[start : start + levels], start):
        sf = {
            "id": tid * 100 + depth,
            "name": f["name"],
            "line": f.get("line") or 0,
            "column": 1 if f.get("line") else 0,
        }
        if f.get("path"):
            sf["source"] = {"name": os.path.basename(f["path"]), "path": f["path"]}
        if f.get("hint"):
            sf["presentationHint"] = f["hint"]
        out.append(sf)
    return {"stackFrames": out, "totalFrames": len(frames)}


def thread_id_for_worker(loader, worker):
    return 100 * (loader + 1) + worker


def thread_id_for_pin(loader):
    return 2 + loader


class LineReader:
    """Reads NDJSON lines from a socket; returns None at EOF."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def read(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 1]
                if not line.strip():
                    continue
                return json.loads(line)
            if len(self.buf) > MAX_LINE:
                raise ValueError("line longer than %d bytes" % MAX_LINE)
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


def nodelay(sock):
    """Small request/answer lines must leave at once: without TCP_NODELAY, Nagle's algorithm holds a
    line back until the previous one is ACKed, and delayed ACKs make that ~40 ms per round trip."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    return sock


def connect(host, port, hello, timeout=5.0):
    """Open a connection, send hello and return (socket, reader, first answer)."""
    sock = nodelay(socket.create_connection((host, port), timeout=timeout))
    sock.sendall(encode(hello))
    reader = LineReader(sock)
    answer = reader.read()
    sock.settimeout(None)
    return sock, reader, answer


_NAN = float("nan")


class StateFile:
    """The batch a process is working on, in a small memory-mapped file the controller can read
    even after the process died (worker_died) or while it is stuck (hang). Writing it is a couple
    of struct packs into shared memory: no syscall and no message per batch.

    Layout (little-endian): HEAD at 0 = stage code (wire.STAGES index + 1, 0 = idle), flags,
    loader id, epoch, batch index, start (time.monotonic(), the same clock in every process on
    one machine), RSS MB (NaN when unknown), index count (-1 = indices that are not ints);
    int64 indices at 32 (at most MAX_INDICES); loader name (uint16 length + UTF-8) at NAME_AT.
    """

    HEAD = struct.Struct("<bbhiqdfi")
    INDEX_AT = 32
    MAX_INDICES = 256
    NAME_AT = INDEX_AT + 8 * MAX_INDICES
    NAME_MAX = 512
    SIZE = 4096

    def __init__(self, path, mm):
        self.path = path
        self.mm = mm
        self.name_lid = None
        self.packers = {}

    @classmethod
    def create(cls, pid):
        try:
            fd, path = tempfile.mkstemp(prefix="batchscope-state-%d-" % pid, suffix=".bin")
            try:
                os.ftruncate(fd, cls.SIZE)
                mm = mmap.mmap(fd, cls.SIZE)
            finally:
                os.close(fd)
        except (OSError, ValueError):
            return None
        return cls(path, mm)

    def write(self, code, ctx, start, rss):
        """Per batch: one pack of the head and the indices. Anything unusual (no RSS yet, more than
        MAX_INDICES indices, indices that are not ints, no loader id) takes the careful path."""
        if ctx.loader_id != self.name_lid:
            self._write_name(ctx)
        idx = ctx.indices or ()
        n = len(idx)
        packer = self.packers.get(n)
        try:
            packer.pack_into(self.mm, 0, code, 0, ctx.loader_id, ctx.epoch, ctx.index, start, rss, n, *idx)
        except (AttributeError, struct.error, TypeError):
            self._write_careful(code, ctx, start, rss)

    def _write_name(self, ctx):
        self.name_lid = ctx.loader_id
        name = str(ctx.loader).encode("utf-8")[: self.NAME_MAX]
        struct.pack_into("<H", self.mm, self.NAME_AT, len(name))
        self.mm[self.NAME_AT + 2 : self.NAME_AT + 2 + len(name)] = name

    def _write_careful(self, code, ctx, start, rss):
        idx = ctx.indices
        n = min(len(idx), self.MAX_INDICES) if idx else 0
        head = (
            code,
            0,
            ctx.loader_id if ctx.loader_id is not None else -1,
            ctx.epoch,
            ctx.index if isinstance(ctx.index, int) else -1,
            start,
            rss if rss is not None else _NAN,
        )
        packer = self.packers.get(n)
        if packer is None:
            packer = self.packers[n] = struct.Struct(self.HEAD.format + "%dq" % n)
        try:
            packer.pack_into(self.mm, 0, *head, n, *(idx if n == len(idx) else idx[:n]) if n else ())
        except (struct.error, TypeError):  # indices that are not ints (a sampler of keys)
            self.HEAD.pack_into(self.mm, 0, *head, -1)

    def mark(self, code):
        self.mm[0] = code

    @classmethod
    def read(cls, path):
        """{stage, busy, start, batch: {loader, loaderId, epoch, index}, indices, rssMb} or None."""
        if not path:
            return None
        try:
            with open(path, "rb") as f:
                data = f.read(cls.SIZE)
            code, _flags, lid, epoch, index, start, rss, n = cls.HEAD.unpack_from(data, 0)
            (nlen,) = struct.unpack_from("<H", data, cls.NAME_AT)
            name = data[cls.NAME_AT + 2 : cls.NAME_AT + 2 + min(nlen, cls.NAME_MAX)].decode("utf-8", "replace")
            indices = list(struct.unpack_from("<%dq" % n, data, cls.INDEX_AT)) if n > 0 else None
        except (OSError, struct.error, ValueError):
            return None
        if start == 0.0 and code == 0:
            return None  # never written
        stage = STAGES[code - 1] if 0 < code <= len(STAGES) else None
        return {
            "stage": stage,
            "busy": code != 0,
            "start": start,
            "indices": indices,
            "batch": {"loader": name or "loader%d" % lid, "loaderId": lid, "epoch": epoch, "index": index},
            "rssMb": None if rss != rss else round(rss, 1),
        }
