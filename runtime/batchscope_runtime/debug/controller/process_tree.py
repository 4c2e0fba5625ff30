"""The debugged program's process tree: finding its descendants and killing all of them on terminate.

Standard library only: /proc on Linux, else `ps`.
"""

import collections
import os
import signal
import threading
import time


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
                kids[int(stat[stat.rindex(b")") + 2 :].split()[1])].append(int(name))
        return kids
    except (OSError, ValueError, IndexError):
        pass
    try:
        import subprocess

        out = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, timeout=5
        ).stdout
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
