"""Stop requests: SIGINT/SIGTERM, a `{"type":"stop"}` line on stdin, or a stop file.

The first request sets a flag that EventsCallback.on_step_end checks after each optimizer step
(the Trainer then saves a checkpoint and stops cleanly). A second SIGINT raises KeyboardInterrupt at once. With
--stdin-control (the extension's client), stdin closing also means stop: the client is gone.
"""

import json
import os
import signal
import sys
import threading


class StopRequest:
    def __init__(self, stop_file=None, stdin_control=False):
        self.stop_file = stop_file
        self.stdin_control = stdin_control
        self._flag = threading.Event()
        self.reason = None
        self._signals = 0

    def install(self, read_stdin=True):
        for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
            if sig is not None:
                try:
                    signal.signal(sig, self._on_signal)
                except ValueError:  # not the main thread (embedded use)
                    pass
        if read_stdin and sys.stdin is not None and not sys.stdin.isatty():
            threading.Thread(target=self._read_stdin, name="batchscope-stdin", daemon=True).start()
        return self

    def _on_signal(self, signum, frame):
        self._signals += 1
        if self._signals > 1 and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.request("signal %d" % signum)

    def _read_stdin(self):
        try:
            for line in sys.stdin:
                line = line.strip()
                if not line:
                    continue
                try:
                    msg = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(msg, dict) and msg.get("type") == "stop":
                    self.request("stdin")
        except (OSError, ValueError):
            pass
        if self.stdin_control:
            self.request("stdin closed")

    def request(self, reason):
        if not self._flag.is_set():
            self.reason = reason
            self._flag.set()

    def requested(self):
        if self._flag.is_set():
            return True
        if self.stop_file and os.path.exists(self.stop_file):
            self.request("stop file")
            return True
        return False
