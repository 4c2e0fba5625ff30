"""What the debugger's hot path costs the training loop at num_workers=0, measured inside one process.

    python bench/debug/overhead.py [--real] [--evict-mb 8] [--chunk 50] [--pairs 200] [--filters fetch_error,collate_error,worker_died,hang]

Why one process: on a shared VM one process runs the same loop up to 2x slower than the next one
(measured here: a no-op loader took 13.6 µs per batch in some processes and 22-36 µs in others, for
the whole life of each), so separate plain and instrumented runs cannot resolve 2 %. This process
holds two iterators over the same loader setup: one created before `instrument.install()` (plain)
and one after (instrumented: a session attached with the default filters, never stopped). It
alternates chunks of --chunk batches between them, the order swapped every pair; both draw the same
indices in the same order.
The figure is the median over --pairs of the paired difference in CPU time of the loop's thread
per batch (`time.thread_time`: what the training loop pays). The controller runs in a child
process, as in a real session, so its threads do not share this process's GIL.

--real uses throughput.py's dataset and collate (16 samples of up to 512 tokens, about 2 ms a
batch); without it a dataset and collate that do no work, which gives the instrumentation's own cost.
--evict-mb N adds, in both arms, a pass that writes N MB after each batch (one torch thread), so
every batch starts with cold caches as it does after a real fetch and collate: with the no-op
loader that isolates what the instrumentation costs cold, with less noise than --real.
Prints one JSON line: plain_us, instrumented_us (medians), overhead_us (median of the paired
differences), overhead_pct (of plain_us), q1_us/q3_us (quartiles of the differences), and
agent_threads_us: the CPU of the agent's own threads per instrumented batch, which the loop thread's
figure leaves out: the receive thread (it sends the finished batches' records) and the hang timer,
both holding the GIL while they run. They run on time, through both arms, so their CPU is scaled by
the instrumented arm's share of the wall time.
"""

import argparse
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "runtime"))
sys.path.insert(0, HERE)

from torch.utils.data import DataLoader, Dataset  # noqa: E402

from batchscope_runtime.debug import controller, hooks, instrument, session, wire  # noqa: E402


class Nothing(Dataset):
    def __len__(self):
        return 1 << 30

    def __getitem__(self, i):
        return i


def collate(samples):
    return samples


def make_loader(real):
    if real:
        import throughput

        return DataLoader(throughput.Tokens(), batch_size=16, collate_fn=throughput.collate)
    return DataLoader(Nothing(), batch_size=16, collate_fn=collate)


_evict = None  # --evict-mb: a callable that pushes this process's data out of the CPU caches


def chunk(it, n):
    """CPU µs per batch of this thread over n batches of `it`, with the loop's two stage hooks."""
    evict = _evict
    t0 = time.thread_time()
    for i in range(n):
        batch = next(it)
        with hooks.stage("to_device", batch=batch, batch_index=i):
            pass
        with hooks.stage("train_step", batch=batch, batch_index=i):
            pass
        if evict is not None:
            evict()
    return (time.thread_time() - t0) / n * 1e6


def thread_cpu_ns(native_id):
    """CPU ns a thread of this process has run (Linux: /proc schedstat), or None."""
    try:
        with open("/proc/self/task/%d/schedstat" % native_id) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, TypeError):
        return None


def make_evict(mb):
    import torch

    torch.set_num_threads(1)
    buf = torch.zeros(max(1, int(mb * (1 << 20)) // 4), dtype=torch.int32)
    return lambda: buf.add_(1)


def serve_controller(secret, pipe, parent_pid):
    """The child process: a controller, as `python -m batchscope_runtime debug` runs one. It ends
    with the bench, however the bench ends (an orphan would hold the caller's stdout open)."""
    ctl = controller.Controller(secret, hang_timeout=30, wait=False)
    ctl.start()
    pipe.send(ctl.port)
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(0)


def attach(filters):
    """Start a controller in a child process, attach as the adapter with `filters`, activate the agent."""
    secret = secrets.token_hex(8)
    parent, child = multiprocessing.get_context("fork").Pipe()
    proc = multiprocessing.get_context("fork").Process(target=serve_controller, args=(secret, child, os.getpid()), daemon=True)
    proc.start()
    port = parent.recv()
    os.environ["BATCHSCOPE_CONTROLLER"] = "127.0.0.1:%d" % port
    os.environ["BATCHSCOPE_SECRET"] = secret
    hello = {"type": "hello", "role": "adapter", "protocol": 1, "secret": secret, "client": "overhead"}
    sock, _reader, welcome = wire.connect("127.0.0.1", port, hello)
    assert welcome and welcome.get("type") == "welcome", welcome
    requests = [("setExceptionBreakpoints", {"filters": filters}), ("configurationDone", {})]
    for seq, (cmd, args) in enumerate(requests, 1):
        sock.sendall(wire.encode({"type": "request", "seq": seq, "command": cmd, "arguments": args}))
    agent = session.activate()
    deadline = time.monotonic() + 10
    while not (agent.cfg.attached and set(agent.cfg.filters) == set(filters)) and time.monotonic() < deadline:
        time.sleep(0.01)  # the config with the filters arrives on the agent's thread
    assert agent.cfg.attached, "agent not attached"
    return proc, sock


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--real", action="store_true", help="throughput.py's dataset and collate instead of no-ops")
    p.add_argument("--chunk", type=int, default=None, help="batches per chunk (default 50 with --real, else 500)")
    p.add_argument("--pairs", type=int, default=None, help="plain/instrumented chunk pairs (default 200, else 30)")
    p.add_argument("--filters", default="fetch_error,collate_error,worker_died,hang")
    p.add_argument("--evict-mb", type=float, default=0, help="write this many MB after each batch (cold caches)")
    a = p.parse_args()
    global _evict
    _evict = make_evict(a.evict_mb) if a.evict_mb > 0 else None
    size = a.chunk or (50 if a.real else 500)
    pairs = a.pairs or (200 if a.real else 30)
    filters = [f for f in a.filters.split(",") if f]
    proc, sock = attach(filters)
    instrument.uninstall()
    plain_it = iter(make_loader(a.real))
    instrument.install()
    inst_it = iter(make_loader(a.real))
    for _ in range(2):  # warm both paths up
        instrument.uninstall()
        chunk(plain_it, 100)
        instrument.install()
        chunk(inst_it, 100)
    # The agent's own threads hold the GIL the loop then waits for: the receive thread (it sends the
    # finished batches' records, agent/core.py flush) and the hang timer (agent/hang_timer.py), both
    # woken by time, so they run through both arms: a flush comes once a second whichever arm is
    # running, and a job under the debugger would have had only the instrumented arm's time. Their
    # CPU is therefore scaled by the instrumented arm's share of the wall time, then given per
    # instrumented batch, apart from the loop thread's figure (unscaled, it reads about twice what a
    # job under the debugger pays).
    from batchscope_runtime.debug.agent import core as agent_core

    ag = agent_core._agent
    thread_ids = [getattr(t, "native_id", None) for t in (getattr(ag, "recv_thread", None), ag.hangs.thread)]
    cpu0 = [thread_cpu_ns(t) for t in thread_ids]
    plain, inst = [], []
    wall = {"plain": 0.0, "inst": 0.0}
    for k in range(pairs):
        # The order alternates, so whatever the first chunk after a switch pays falls on both sides.
        for arm in ("plain", "inst") if k % 2 == 0 else ("inst", "plain"):
            t0 = time.monotonic()
            if arm == "plain":
                instrument.uninstall()
                plain.append(chunk(plain_it, size))
            else:
                instrument.install()
                inst.append(chunk(inst_it, size))
            wall[arm] += time.monotonic() - t0
    cpu1 = [thread_cpu_ns(t) for t in thread_ids]
    spent = [b - a_ for a_, b in zip(cpu0, cpu1) if a_ is not None and b is not None]
    share = wall["inst"] / ((wall["inst"] + wall["plain"]) or 1.0)
    agent_us = sum(spent) * share / 1e3 / (pairs * size) if spent else None
    diffs = sorted(b - a_ for a_, b in zip(plain, inst))
    pm = statistics.median(plain)
    dm = statistics.median(diffs)
    print(
        json.dumps(
            {
                "real": a.real,
                "evict_mb": a.evict_mb,
                "chunk": size,
                "pairs": pairs,
                "filters": filters,
                "plain_us": round(pm, 2),
                "instrumented_us": round(statistics.median(inst), 2),
                "overhead_us": round(dm, 2),
                "overhead_pct": round(100 * dm / pm, 2),
                "q1_us": round(diffs[len(diffs) // 4], 2),
                "q3_us": round(diffs[(3 * len(diffs)) // 4], 2),
                "agent_threads_us": None if agent_us is None else round(agent_us, 2),
                "load": round(os.getloadavg()[0], 2),
            }
        ),
        flush=True,
    )
    sock.close()
    proc.kill()
    # torch's and the agent's threads can abort the interpreter's teardown ("terminate called
    # without an active exception"): the result is out, end here.
    os._exit(0)


if __name__ == "__main__":
    main()
