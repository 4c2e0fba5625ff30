"""Per-batch CPU cost of the debugger's hot path, free of the machine's load: a DataLoader over a
dataset that does no work (or, with --real, throughput.py's), iterated plain and instrumented (a
session attached with the default filters on, never stopped), alternating, CPU time of the loop's
thread (`time.thread_time`: what the training loop pays) and of this whole process (which here also
hosts the controller, a separate process in a real session).

    python bench/debug/overhead.py [--batches 3000] [--reps 5] [--filters fetch_error,collate_error,worker_died,hang]

Prints one JSON line: {"plain_us", "instrumented_us", "overhead_us"} per batch (medians, the loop's
thread), "plain_process_us", "instrumented_process_us" (the process), num_workers=0.
"""

import argparse
import json
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


def run(n, real=False):
    if real:
        import throughput

        loader = DataLoader(
            throughput.Tokens(), batch_size=16, collate_fn=throughput.collate
        )
    else:
        loader = DataLoader(Nothing(), batch_size=16, collate_fn=collate)
    t0, p0 = time.thread_time(), time.process_time()
    for i, batch in enumerate(loader):
        with hooks.stage("to_device", batch=batch, batch_index=i):
            pass
        with hooks.stage("train_step", batch=batch, batch_index=i):
            pass
        if i + 1 == n:
            break
    return (time.thread_time() - t0) / n * 1e6, (time.process_time() - p0) / n * 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batches", type=int, default=3000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--filters", default="fetch_error,collate_error,worker_died,hang")
    p.add_argument(
        "--real",
        action="store_true",
        help="the dataset and collate of throughput.py instead of no-ops",
    )
    a = p.parse_args()
    secret = secrets.token_hex(8)
    ctl = controller.Controller(secret, hang_timeout=30, wait=False)
    ctl.start()
    os.environ["BATCHSCOPE_CONTROLLER"] = "127.0.0.1:%d" % ctl.port
    os.environ["BATCHSCOPE_SECRET"] = secret
    sock, reader, welcome = wire.connect(
        "127.0.0.1",
        ctl.port,
        {
            "type": "hello",
            "role": "adapter",
            "protocol": 1,
            "secret": secret,
            "client": "overhead",
        },
    )
    assert welcome and welcome.get("type") == "welcome", welcome
    filters = [f for f in a.filters.split(",") if f]
    for seq, (cmd, args) in enumerate(
        [("setExceptionBreakpoints", {"filters": filters}), ("configurationDone", {})],
        1,
    ):
        sock.sendall(
            wire.encode(
                {"type": "request", "seq": seq, "command": cmd, "arguments": args}
            )
        )
    agent = session.activate()
    deadline = time.monotonic() + 5
    while (
        not (agent.cfg.attached and set(agent.cfg.filters) == set(filters))
        and time.monotonic() < deadline
    ):
        time.sleep(0.01)  # the config with the filters arrives on the agent's thread
    assert agent.cfg.attached, "agent not attached"
    plain, inst = [], []
    run(200, a.real)  # warm up both paths
    for _ in range(a.reps):
        instrument.uninstall()
        plain.append(run(a.batches, a.real))
        instrument.install()
        inst.append(run(a.batches, a.real))
    pm, im = (
        statistics.median(x[0] for x in plain),
        statistics.median(x[0] for x in inst),
    )
    ppm, pim = (
        statistics.median(x[1] for x in plain),
        statistics.median(x[1] for x in inst),
    )
    print(
        json.dumps(
            {
                "batches": a.batches,
                "reps": a.reps,
                "real": a.real,
                "filters": filters,
                "plain_us": round(pm, 2),
                "instrumented_us": round(im, 2),
                "overhead_us": round(im - pm, 2),
                "plain_process_us": round(ppm, 2),
                "instrumented_process_us": round(pim, 2),
                "load": os.getloadavg()[0],
            }
        ),
        flush=True,
    )
    sock.close()
    ctl.close()
    # torch's and the controller's threads can abort the interpreter's teardown ("terminate called
    # without an active exception"): the result is out, end here.
    os._exit(0)


if __name__ == "__main__":
    main()
