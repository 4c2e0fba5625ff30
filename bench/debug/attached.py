"""bench:debug's throughput part without Node: throughput.py plain vs under the runtime's controller with
a client attached (the default filters on, never stopped), for machines that have Python but no Node,
such as a lent GPU host.

    python bench/debug/attached.py [--workers 0,4] [--reps 5] [--batches 400] [--device cuda --pin-memory]

The adapter (Node) only relays DAP while a session runs and is idle when nothing stops, so a client of
the controller protocol (protocol/debug-protocol.md) measures the same runtime cost. Plain and attached
runs alternate, the order swapped every rep. Prints one JSON line per worker count: medians of
batches/s and of steady CPU ms per batch (program + workers, after the warm-up), the median of the
paired steady-CPU ratios, and the wall cost.
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.abspath(os.path.join(HERE, "..", "..", "runtime"))
sys.path.insert(0, RUNTIME)

from batchscope_runtime.debug import wire  # noqa: E402

SCRIPT = os.path.join(HERE, "throughput.py")
FILTERS = ["fetch_error", "collate_error", "worker_died", "hang"]  # what a user has on by default


def result(out):
    for line in reversed(out.splitlines()):
        if line.startswith('{"workers"'):
            return json.loads(line)
    raise RuntimeError("no result line in:\n" + out[-2000:])


def env(secret=None):
    e = dict(os.environ, PYTHONPATH=RUNTIME, PYTHONWARNINGS="ignore", PYTHONUNBUFFERED="1")
    if secret:
        e["BATCHSCOPE_SECRET"] = secret
    return e


def plain(job):
    out = subprocess.run(
        [sys.executable, SCRIPT] + job,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return result(out)


def request(sock, reader, seq, command, **arguments):
    sock.sendall(wire.encode({"type": "request", "seq": seq, "command": command, "arguments": arguments}))
    while True:
        msg = reader.read()
        if msg is None:
            raise EOFError("the controller closed the connection during %s" % command)
        if msg.get("type") == "response" and msg.get("request_seq") == seq:
            if not msg.get("success"):
                raise RuntimeError("%s failed: %s" % (command, msg.get("message")))
            return msg


def attached(job):
    """The job under `python -m batchscope_runtime debug`, configured as the adapter does, run to its end."""
    secret = secrets.token_hex(8)
    cmd = [sys.executable, "-m", "batchscope_runtime", "debug", "--port", "0", "--linger", "1"]
    cmd += ["--", SCRIPT] + job
    proc = subprocess.Popen(cmd, env=env(secret), stdout=subprocess.PIPE, text=True)
    try:
        port = json.loads(proc.stdout.readline())["port"]
        hello = {"type": "hello", "role": "adapter", "protocol": 1, "secret": secret, "client": "bench"}
        sock, reader, welcome = wire.connect("127.0.0.1", port, hello)
        if not welcome or welcome.get("type") != "welcome":
            raise RuntimeError("not welcomed: %s" % welcome)
        request(sock, reader, 1, "setFunctionBreakpoints", breakpoints=[])
        request(sock, reader, 2, "setExceptionBreakpoints", filters=FILTERS)
        request(sock, reader, 3, "configurationDone")
        out = proc.stdout.read()  # the program's stdout, to its end
        while True:  # the events until the session ends
            msg = reader.read()
            if msg is None or (msg.get("type") == "event" and msg.get("event") == "terminated"):
                break
        sock.close()
    except BaseException:
        proc.kill()
        raise
    finally:
        proc.wait(timeout=120)
    return result(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", default="0,4")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batches", type=int, default=400)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--pin-memory", action="store_true")
    args = ap.parse_args()
    for workers in [int(w) for w in args.workers.split(",")]:
        # throughput.py's arguments: --device and --pin-memory passed on
        job = ["--workers", str(workers), "--batches", str(args.batches), "--device", args.device]
        job += ["--pin-memory"] if args.pin_memory else []
        a, b = [], []
        for r in range(args.reps):
            if r % 2 == 0:
                a.append(plain(job))
                b.append(attached(job))
            else:
                b.append(attached(job))
                a.append(plain(job))
        med = lambda rs, k: statistics.median(x[k] for x in rs)  # noqa: E731
        bps_a, bps_b = med(a, "batches_per_s"), med(b, "batches_per_s")
        cpu_a, cpu_b = med(a, "steady_cpu_ms_per_batch"), med(b, "steady_cpu_ms_per_batch")
        pairs = statistics.median(y["steady_cpu_ms_per_batch"] / x["steady_cpu_ms_per_batch"] - 1 for x, y in zip(a, b))
        print(
            json.dumps(
                {
                    "workers": workers,
                    "reps": args.reps,
                    "batches": args.batches,
                    "device": args.device,
                    "pin_memory": args.pin_memory,
                    "plain_batches_per_s": round(bps_a, 1),
                    "attached_batches_per_s": round(bps_b, 1),
                    "wall_cost_pct": round(100 * (1 - bps_b / bps_a), 2),
                    "plain_steady_cpu_ms": round(cpu_a, 4),
                    "attached_steady_cpu_ms": round(cpu_b, 4),
                    "steady_cpu_cost_pct": round(100 * (cpu_b / cpu_a - 1), 2),
                    "steady_cpu_cost_pct_median_of_pairs": round(100 * pairs, 2),
                    "plain_batches_per_s_all": [round(x["batches_per_s"], 1) for x in a],
                    "attached_batches_per_s_all": [round(x["batches_per_s"], 1) for x in b],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
