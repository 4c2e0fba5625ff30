"""One NDJSON connection between two peers of a debug session: a locked send and the one read loop.

The controller serves the adapter and every agent through it, and each agent talks to the controller
through it, so framing errors, EOF and a handler that raises are treated the same way everywhere.
Standard library only (the controller process runs without torch).
"""

import socket
import threading

from . import wire


class Conn:
    """A connected socket and its line reader; `send` may be called from any thread."""

    def __init__(self, sock, reader=None):
        self.sock = sock
        self.reader = reader if reader is not None else wire.LineReader(sock)
        self.lock = threading.Lock()
        self.alive = True

    def send(self, msg):
        """Send one message; False once the connection is broken (never raises)."""
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

    def serve(self, handle, on_error, idle=None):
        """Hand every message to `handle(msg)` until EOF, a broken line, or `handle` returns True.

        `on_error(msg, exc)` gets what `handle` raised: one bad message must not end the session.
        With `idle`, the socket must have a timeout: `idle()` runs each time the read times out
        (the agent flushes its records and reports a long wait there) and ends the loop by
        returning True.
        """
        while True:
            try:
                msg = self.reader.read()
            except socket.timeout:
                if idle is not None and not idle():
                    continue
                return
            except (OSError, ValueError):
                return
            if msg is None:
                return
            try:
                done = handle(msg)
            except Exception as e:
                on_error(msg, e)
                done = False
            if done:
                return
