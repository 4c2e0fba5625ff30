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


def _children_fast(pid):
    """{ppid: [pid, …]} below `pid` from /proc/<pid>/task/<tid>/children (Linux): a few small reads
    instead of one per process on the machine. None where the kernel does not offer that file."""
    kids, todo = {}, [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue
        found = []
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/children" % (p, tid), "rb") as f:
                    found += [int(x) for x in f.read().split()]
            except FileNotFoundError:
                if p == pid and tid == str(pid):
                    return None  # no such file on this kernel
            except (OSError, ValueError):
                pass
        kids[p] = found
        todo += found
    return kids


def descendants(pid):
    """Every live process below `pid` (its DataLoader workers, their children), this one excluded."""
    kids = _children_fast(pid)
    if kids is None:
        kids = _children_map()
    out, todo, me = [], [pid], os.getpid()
    while todo:
        for c in kids.get(todo.pop(), ()):
            if c != me and c not in out:
                out.append(c)
                todo.append(c)
    return out


def kill_tree(pid, grace=0.5, proc=None):
    """SIGTERM the program, give it `grace` s to exit (its own handlers and atexit run), then
    SIGKILL it and everything it started. Descendants are collected while the program lives (an
    orphan is re-parented and can no longer be found): a spawn worker still importing torch has no
    parent watchdog yet and would outlive a plain kill of the program.

    Nothing below the program is waited for: a DataLoader worker paused at a stop, or one whose
    parent watchdog polls every 5 s, does not exit by itself in any useful time, and a Stop that
    waited for it took seconds. The program's process group is left alone: it is the terminal's job
    when the launcher runs from a shell (other processes of a pipeline are in it)."""
    seen = set(descendants(pid))
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return None

    def alive():
        # Not proc.poll(): while the launcher's main thread waits in proc.wait() it holds the
        # waitpid lock, and poll() from here says "running" until that wait returns.
        if proc is not None and proc.returncode is not None:
            return False
        return _exists(pid) and not _zombie(pid)

    def finish():
        deadline = time.monotonic() + grace
        while alive() and time.monotonic() < deadline:
            seen.update(descendants(pid))
            time.sleep(0.02)
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


def _zombie(pid):
    """An exited child of someone else that was not reaped yet counts as gone (Linux; else False)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 :].split()[0] == b"Z"
    except (OSError, ValueError, IndexError):
        return False


def _exists(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
