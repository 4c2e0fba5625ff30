"""What a stuck thread is blocked on, from Linux's /proc: the system call, its file, the kernel wait.

A thread stuck in C (a read on a pipe that never gets data, an NFS open, a socket with no peer)
cannot be paused and shows nothing but its Python line. The kernel knows more:
`/proc/<pid>/task/<tid>/syscall` holds the system call number and its six arguments while the thread
is blocked, `wchan` the kernel function it sleeps in, and `/proc/<pid>/fd/<n>` the file, pipe or
socket behind a descriptor. This module turns that into "read(fd 7) on /tmp/x.fifo (FIFO)".

Standard library only (the controller uses it too). Everything is best effort: a field that cannot
be read (another OS, another architecture, no permission) is left out, never raised.
"""

import os
import platform
import stat
import struct

# Blocking-prone system calls by number, per architecture: (name, what its arguments are).
# "fd" = the first argument is a file descriptor; "path0"/"path1" = argument 0/1 points to a path;
# "pollfds" = argument 0 points to `struct pollfd[arg1]`.
# fmt: off
_X86_64 = {
    0: ("read", "fd"), 1: ("write", "fd"), 2: ("open", "path0"), 7: ("poll", "pollfds"),
    16: ("ioctl", "fd"), 17: ("pread64", "fd"), 18: ("pwrite64", "fd"), 19: ("readv", "fd"),
    20: ("writev", "fd"), 23: ("select", None), 34: ("pause", None), 35: ("nanosleep", None),
    40: ("sendfile", "fd"), 42: ("connect", "fd"), 43: ("accept", "fd"), 44: ("sendto", "fd"),
    45: ("recvfrom", "fd"), 46: ("sendmsg", "fd"), 47: ("recvmsg", "fd"), 61: ("wait4", None),
    72: ("fcntl", "fd"), 73: ("flock", "fd"), 74: ("fsync", "fd"), 75: ("fdatasync", "fd"),
    128: ("rt_sigtimedwait", None), 130: ("rt_sigsuspend", None), 202: ("futex", None),
    217: ("getdents64", "fd"), 220: ("semtimedop", None), 230: ("clock_nanosleep", None),
    232: ("epoll_wait", "fd"), 247: ("waitid", None), 257: ("openat", "path1"),
    262: ("newfstatat", "path1"), 270: ("pselect6", None), 271: ("ppoll", "pollfds"),
    275: ("splice", "fd"), 281: ("epoll_pwait", "fd"), 288: ("accept4", "fd"),
    326: ("copy_file_range", "fd"), 332: ("statx", "path1"), 426: ("io_uring_enter", "fd"),
    441: ("epoll_pwait2", "fd"),
}
_AARCH64 = {
    22: ("epoll_pwait", "fd"), 25: ("fcntl", "fd"), 29: ("ioctl", "fd"), 32: ("flock", "fd"),
    56: ("openat", "path1"), 61: ("getdents64", "fd"), 63: ("read", "fd"), 64: ("write", "fd"),
    65: ("readv", "fd"), 66: ("writev", "fd"), 67: ("pread64", "fd"), 68: ("pwrite64", "fd"),
    71: ("sendfile", "fd"), 72: ("pselect6", None), 73: ("ppoll", "pollfds"), 76: ("splice", "fd"),
    79: ("newfstatat", "path1"), 82: ("fsync", "fd"), 83: ("fdatasync", "fd"), 95: ("waitid", None),
    98: ("futex", None), 101: ("nanosleep", None), 115: ("clock_nanosleep", None),
    133: ("rt_sigsuspend", None), 137: ("rt_sigtimedwait", None), 202: ("accept", "fd"),
    203: ("connect", "fd"), 206: ("sendto", "fd"), 207: ("recvfrom", "fd"), 211: ("sendmsg", "fd"),
    212: ("recvmsg", "fd"), 242: ("accept4", "fd"), 260: ("wait4", None), 285: ("copy_file_range", "fd"),
    291: ("statx", "path1"), 426: ("io_uring_enter", "fd"), 441: ("epoll_pwait2", "fd"),
}
# fmt: on
_TABLES = {"x86_64": _X86_64, "amd64": _X86_64, "aarch64": _AARCH64, "arm64": _AARCH64}


def _table():
    return _TABLES.get(platform.machine().lower(), {})


def _read(path, size=4096):
    try:
        with open(path, "rb") as f:
            return f.read(size).decode("utf-8", "replace").strip()
    except OSError:
        return None


def _read_mem(pid, addr, size):
    """`size` bytes of the process's memory at `addr` (None when not permitted or not mapped).
    Through /proc/<pid>/mem: an unmapped address is an error here, never a crash."""
    try:
        fd = os.open("/proc/%s/mem" % pid, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.pread(fd, size, addr)
    except (OSError, OverflowError, ValueError):
        return None
    finally:
        os.close(fd)


def _c_string(pid, addr, limit=4096):
    raw = _read_mem(pid, addr, limit) if addr else None
    if not raw:
        return None
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def fd_target(pid, fd):
    """What descriptor `fd` of `pid` refers to: {"fd", "target", "kind"}, target a path, or a socket's
    address, or "pipe:[inode]"."""
    out = {"fd": fd}
    link = "/proc/%s/fd/%d" % (pid, fd)
    try:
        target = os.readlink(link)
    except OSError:
        return out
    out["target"] = target
    try:
        mode = os.stat(link).st_mode
        kind = (
            "FIFO"
            if stat.S_ISFIFO(mode)
            else "socket"
            if stat.S_ISSOCK(mode)
            else "char device"
            if stat.S_ISCHR(mode)
            else "directory"
            if stat.S_ISDIR(mode)
            else "file"
            if stat.S_ISREG(mode)
            else None
        )
        if kind:
            out["kind"] = kind
    except OSError:
        pass
    if target.startswith("socket:["):
        peer = socket_address(pid, target[8:-1])
        if peer:
            out["socket"] = peer
    return out


def socket_address(pid, inode):
    """ "tcp 127.0.0.1:5000 -> 10.0.0.2:443" or "unix /run/x.sock" for a socket inode, when listed."""
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        text = _read("/proc/%s/net/%s" % (pid, proto), 1 << 20)
        for line in (text or "").splitlines()[1:]:
            cols = line.split()
            if len(cols) > 9 and cols[9] == inode:
                return "%s %s -> %s" % (proto, _inet(cols[1]), _inet(cols[2]))
    text = _read("/proc/%s/net/unix" % pid, 1 << 20)
    for line in (text or "").splitlines()[1:]:
        cols = line.split()
        if len(cols) > 6 and cols[6] == inode:
            return "unix %s" % (cols[7] if len(cols) > 7 else "(unnamed)")
    return None


def _inet(hexaddr):
    host, _, port = hexaddr.partition(":")
    try:
        raw = bytes.fromhex(host)
        if len(raw) == 4:
            ip = ".".join(str(b) for b in raw[::-1])
        else:  # IPv6: four little-endian 32-bit words
            words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
            b = b"".join(words)
            ip = ":".join("%x" % int.from_bytes(b[i : i + 2], "big") for i in range(0, 16, 2))
        return "%s:%d" % (ip, int(port, 16))
    except ValueError:
        return hexaddr


def blocked_in(pid, tid):
    """What thread `tid` (a native thread id) of `pid` is blocked in, as a dict:
    {"syscall", "nr", "args", "fd"?, "target"?, "kind"?, "path"?, "pollFds"?, "wchan"?, "text"} —
    or {"running": True, "text": "running"} when it is on a CPU, or None when /proc tells nothing."""
    base = "/proc/%s/task/%s" % (pid, tid)
    out = {}
    wchan = _read(base + "/wchan")
    if wchan and wchan != "0":
        out["wchan"] = wchan
    raw = _read(base + "/syscall")
    if raw is None:
        if not out:
            return None
        out["text"] = "waiting in the kernel at %s" % out["wchan"]
        return out
    cols = raw.split()
    if not cols or cols[0] == "running":
        out.update({"running": True, "text": "running on a CPU (not in a system call)"})
        return out
    try:
        nr = int(cols[0])
        args = [int(c, 16) for c in cols[1:7]]
    except ValueError:
        return out or None
    if nr < 0:
        out["text"] = "blocked outside a system call" + (" at %s" % out["wchan"] if "wchan" in out else "")
        return out
    name, shape = _table().get(nr, ("syscall %d" % nr, None))
    out.update({"syscall": name, "nr": nr, "args": args})
    call = "%s()" % name
    where = ""
    if shape == "fd" and args:
        fd = args[0]
        info = fd_target(pid, fd)
        out.update({k: v for k, v in info.items()})
        call = "%s(fd %d)" % (name, fd)
        if info.get("target"):
            where = " on %s" % (info.get("socket") or info["target"])
            if info.get("kind") in ("FIFO", "socket", "char device"):
                where += " (%s)" % info["kind"]
    elif shape in ("path0", "path1") and len(args) > 1:
        path = _c_string(pid, args[0 if shape == "path0" else 1])
        if path is not None:
            out["path"] = path
            call = "%s(%s)" % (name, path)
    elif shape == "pollfds" and len(args) > 1 and 0 < args[1] <= 64:
        raw_fds = _read_mem(pid, args[0], 8 * args[1])
        if raw_fds and len(raw_fds) == 8 * args[1]:
            fds = [struct.unpack_from("<i", raw_fds, 8 * i)[0] for i in range(args[1])]
            out["pollFds"] = [fd_target(pid, fd) for fd in fds if fd >= 0]
            names = [
                "fd %d%s" % (t["fd"], " = " + (t.get("socket") or t["target"]) if t.get("target") else "")
                for t in out["pollFds"]
            ]
            call = "%s(%s)" % (name, ", ".join(names))
    elif name == "futex":
        where = " (waiting on a lock or condition)"
    out["text"] = call + where
    return out


def state_text(blocked):
    """ "blocked in read(fd 7) on …", "running on a CPU …" or None, for a blocked_in() result."""
    if not blocked or not blocked.get("text"):
        return None
    return "blocked in " + blocked["text"] if blocked.get("syscall") else blocked["text"]
