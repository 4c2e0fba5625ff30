"""Exit statuses of this (main) process's DataLoader workers, read without ever reaping them.

Only the parent can read a child's exit status, and it is gone once torch reaps the worker (its
iterator's shutdown joins it) or once the main process exits. The controller learns of a death
from the worker's connection closing and asks this process (`probe`); it used to poll `waitid`
for 4 s while the controller waited 4 s, and lost the status whenever the main process reaped
or exited first, so under CPU load a killed worker was sometimes taken for a normal exit.
Now each source of the status is read deterministically:
- the worker's socket closes while the kernel tears it down, before it is a zombie that `waitid`
  can see: wait for the exit itself (a pidfd is readable once the process has exited);
- a worker torch already reaped: multiprocessing kept its `exitcode` (the Process objects are held
  here from the iterator's first batch, so they outlive the iterator);
- the main process is about to exit: `bye` carries the status of every worker that has ended
  (`ended()`), so the controller never depends on an answer that can no longer come.
`waitid(WNOWAIT)` never takes the status from torch's SIGCHLD handler, which reads it the same way.
"""

import errno
import os
import select
import signal
import time

PROBE_WAIT_S = 10.0  # longest wait for a worker whose connection closed to finish exiting
_REAPED_GRACE_S = 1.0  # multiprocessing stores the code a few bytecodes after its waitpid returns


class WorkerExits:
    def __init__(self, agent):
        self.agent = agent
        self.procs = {}  # pid -> multiprocessing.Process of a DataLoader worker this process started

    def track(self, workers):
        """Keep the worker Process objects of an iterator (called on its first batch)."""
        for w in workers or ():
            pid = getattr(w, "pid", None)
            if pid:
                self.procs[pid] = w
        # Workers that ended normally will never be asked about: do not accumulate them over epochs.
        for pid, w in list(self.procs.items()):
            if _returncode(w) == 0:
                self.procs.pop(pid, None)

    def answer_probe(self, msg):
        """The controller's `probe` (on its own thread: it may wait for the worker to finish exiting)."""
        pid = int(msg["pid"])
        body = self.status(pid, PROBE_WAIT_S)
        self.agent.send({"type": "result", "id": msg.get("id"), "success": True, "body": body})

    def status(self, pid, wait_s=0.0):
        """{"pid", "signal", "exitCode"}, plus "unknown": True when it cannot be read."""
        if wait_s > 0:
            _wait_exited(pid, wait_s)
        st = self._read(pid)
        return st if st is not None else {"pid": pid, "signal": None, "exitCode": None, "unknown": True}

    def ended(self):
        """The statuses of every known worker that has exited, for `bye`."""
        out = []
        for pid in sorted(self._known()):
            st = self._read(pid, grace=0.0)
            if st is not None and not st.get("unknown"):
                out.append(st)
        return out

    def _known(self):
        pids = dict(self.procs)
        for it in self.agent.loaders.live_iterators():
            for w in getattr(it, "_workers", None) or ():
                if getattr(w, "pid", None):
                    pids.setdefault(w.pid, w)
        return pids

    def _read(self, pid, grace=_REAPED_GRACE_S):
        """The status of `pid` if it has exited, None while it runs."""
        body = {"pid": pid, "signal": None, "exitCode": None}
        waitid = getattr(os, "waitid", None)  # not on macOS: there only multiprocessing's record counts
        r = "reaped"
        if waitid is not None:
            try:
                r = waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except OSError:  # ECHILD: reaped already (or never our child)
                r = "reaped"
        if r == "reaped":
            code = self._reaped_code(pid, grace)
            if code is None:
                body["unknown"] = True
            elif code < 0:
                body["signal"] = signame(-code)
            else:
                body["exitCode"] = code
            return body
        if r is None or not r.si_pid:
            return None  # still running
        if r.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
            body["signal"] = signame(r.si_status)
        else:
            body["exitCode"] = r.si_status
        return body

    def _reaped_code(self, pid, grace):
        w = self._known().get(pid)
        if w is None:
            return None
        deadline = time.monotonic() + grace
        while True:
            code = _returncode(w)
            if code is not None or time.monotonic() >= deadline:
                return code
            time.sleep(0.005)  # the reaping thread has the status and stores it once it gets the GIL


def _returncode(w):
    # Never `w.exitcode`: it polls with waitpid and would reap a zombie before torch's SIGCHLD
    # handler sees it, which changes how (and how fast) torch reports the death.
    popen = getattr(w, "_popen", None)
    return getattr(popen, "returncode", None)


def _wait_exited(pid, timeout):
    """Return once child `pid` has exited (zombie or reaped), or after `timeout` s."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is not None:
        try:
            fd = pidfd_open(pid)
        except OSError as e:
            if e.errno == errno.ESRCH:
                return  # no such process any more: it was reaped
            fd = None  # ENOSYS on kernels before 5.3: poll below
        if fd is not None:
            try:
                p = select.poll()
                p.register(fd, select.POLLIN)
                p.poll(int(timeout * 1000))  # a pidfd is readable once the process has exited
            finally:
                os.close(fd)
            return
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except OSError:
            return
        if r is not None and r.si_pid:
            return
        time.sleep(0.02)


def signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return str(n)
