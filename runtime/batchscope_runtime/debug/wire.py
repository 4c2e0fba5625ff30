"""NDJSON framing and the hello check shared by the controller, agents and the test client.

Standard library only: the controller process must start without torch.
"""
import hmac
import ipaddress
import json
import socket

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


def connect(host, port, hello, timeout=5.0):
    """Open a connection, send hello and return (socket, reader, first answer)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.sendall(encode(hello))
    reader = LineReader(sock)
    answer = reader.read()
    sock.settimeout(None)
    return sock, reader, answer
