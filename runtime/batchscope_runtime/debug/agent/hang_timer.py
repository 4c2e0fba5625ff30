"""The agent's hang timer: one faulthandler timer aimed at "start of the batch in flight + hangTimeout".

faulthandler.dump_traceback_later runs on a C thread that needs no GIL, so it sees code stuck in C
too. Arming it costs a thread start and cancelling it a join (with the GIL held: ms on a busy
machine), so it is never touched per batch: the batch in flight is only recorded (agent.busy + the
state file) and this thread keeps one timer aimed at "start of the batch in flight + hangTimeout",
moving it only when it is about to fire for a batch that is already done. The controller checks a
dump against the state file before it reports a hang (controller/hang_watch.py).
"""

import atexit
import faulthandler
import os
import signal
import tempfile
import threading
import time


class HangTimer:
    def __init__(self, agent):
        self.agent = agent
        self.fobj = None  # where faulthandler writes its dumps (the controller reads `path`)
        self.path = None
        self.thread = None
        self.wake = threading.Event()
        self.exiting = False
        self.exit_hooked = False
        self.dump_signal = None

    def open_file(self, pid):
        try:
            fd, path = tempfile.mkstemp(prefix="batchscope-hang-%d-" % pid, suffix=".txt")
            os.close(fd)
            # O_APPEND: the controller empties the file after reading a dump (truncate), and the next
            # dump must then start at offset 0, not at this fd's old position.
            self.fobj = os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND), "w")
            self.path = path
        except OSError:
            self.fobj, self.path = None, None
        self.dump_signal = self._register_signal()

    def _register_signal(self):
        """Let the controller ask for a dump with a signal (returns its number, or None).

        The timer thread below needs the GIL to arm faulthandler, so a thread that holds the GIL
        from the start of a batch (a regex backtracking in C, a C extension's loop) never gets a
        dump. faulthandler's signal handler is C and needs no GIL: the controller sends it when the
        state file says a batch has run past hangTimeout with no dump. Only where the signal is
        unused (its default action would kill the process): a job's own SIGUSR2 handler wins."""
        sig = getattr(signal, "SIGUSR2", None)
        if sig is None or self.fobj is None or not hasattr(faulthandler, "register"):
            return None
        try:
            if signal.getsignal(sig) not in (signal.SIG_DFL, None):
                return None
            faulthandler.register(sig, file=self.fobj, all_threads=True, chain=False)
        except (ValueError, RuntimeError, OSError):
            return None
        return int(sig)

    def update(self):
        """Start the timer thread when the `hang` filter is on; wake it so it sees a new config."""
        a = self.agent
        self.wake.set()
        if a.cfg.hang and self.fobj is not None and self.thread is None and not self.exiting:
            self.wake.clear()
            if not self.exit_hooked:
                self.exit_hooked = True
                atexit.register(self.stop)
            self.thread = threading.Thread(target=self._loop, name="batchscope-hang", daemon=True)
            self.thread.start()

    def stop(self):
        # At interpreter exit: end the watchdog thread and its faulthandler timer before
        # finalisation. A daemon thread that wakes up during finalisation is ended with
        # pthread_exit, which with torch loaded aborted the process ("terminate called without an
        # active exception") in about half the runs.
        self.exiting = True
        self.wake.set()
        if self.dump_signal is not None and self.agent.pid == os.getpid():
            try:
                faulthandler.unregister(self.dump_signal)
                # Not back to SIG_DFL: a dump request the controller sent a moment ago would
                # terminate the process with SIGUSR2 at its very end.
                signal.signal(self.dump_signal, signal.SIG_IGN)
            except (ValueError, RuntimeError, OSError):
                pass
            self.dump_signal = None
        t = self.thread
        if t is not None and t is not threading.current_thread() and self.agent.pid == os.getpid():
            t.join(2.0)

    def _running(self):
        a = self.agent
        return a.ok and a.cfg.hang and not self.exiting and a.pid == os.getpid()

    def _loop(self):
        a = self.agent
        armed_until = None  # monotonic time the faulthandler timer fires, None when not armed
        fired_for = None  # the batch start a dump was already written for
        try:
            while self._running():
                timeout = a.cfg.hang_timeout
                # The tick only re-aims the timer, which fires on its own, on time. It is at most a
                # second (the default 30 s gives 1 s): each wake takes the GIL from the loop, and at 4
                # a second the wakes cost about 0.8 µs of this thread's CPU per 1.3 ms batch.
                tick = min(1.0, timeout / 8)
                now = time.monotonic()
                if armed_until is not None and now >= armed_until:
                    armed_until = None  # one-shot: it has fired
                busy = a.busy
                if busy is None:
                    if armed_until is not None and armed_until - now < 3 * tick:
                        faulthandler.cancel_dump_traceback_later()
                        armed_until = None
                else:
                    want = busy[1] + timeout
                    if armed_until is None:
                        if want > now or fired_for != busy[1]:
                            faulthandler.dump_traceback_later(max(want - now, 0.001), repeat=False, file=self.fobj)
                            armed_until = max(want, now)
                            fired_for = busy[1]
                    elif (armed_until < want and armed_until - now < 3 * tick) or armed_until > want + tick:
                        faulthandler.dump_traceback_later(max(want - now, 0.001), repeat=False, file=self.fobj)
                        armed_until = max(want, now)
                        fired_for = busy[1]
                self.wake.wait(tick)
                self.wake.clear()
        except (ValueError, RuntimeError, OSError):
            pass
        finally:
            if armed_until is not None:
                faulthandler.cancel_dump_traceback_later()
            self.thread = None
            if self._running():
                self.update()  # re-enabled while this loop was ending
