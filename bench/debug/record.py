"""Cost of the batch recorder (batchscope_runtime/record) on a training-like loop, same run:
a DataLoader with realistic per-sample work (bench/debug/throughput.py: 16 × ≤512 tokens, padded),
4 workers, and a simulated train step, iterated without and with recording, alternating.

    python bench/debug/record.py [--workers 4] [--batches 300] [--reps 5] [--step-ms 20] [--budget-s 0]

Prints one JSON line: wall ms per batch (medians, and min–max) without and with recording, the overhead
in %, the median of the per-rep ratios (each rep's pair ran back to back), the CPU µs per batch this
process spends (all threads; the loop's thread alone; the recorder's writer thread alone), the load
average before and after, and MB written per batch. `npm run bench:debug` runs it
(shorter: BENCH_RECORD_BATCHES, BENCH_RECORD_REPS) and prints the table.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "runtime"))
sys.path.insert(0, HERE)

import throughput  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import batchscope_runtime.record as record  # noqa: E402


def step(batch, ms):
    """A stand-in for forward/backward: `ms` of work that reads the batch (as a model would)."""
    acc = int(batch["input_ids"].sum()) + int(batch["labels"].max())
    time.sleep(
        ms / 1000.0
    )  # off-CPU, like waiting for a GPU step: leaves the cores to the workers
    return acc


def run(loader, n, warmup, ms, path):
    rec = record.start(batches=10**9, max_mb=1e6, path=path) if path else None
    it = iter(loader)
    for _ in range(warmup):
        step(next(it), ms)
    t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
    for _ in range(n):
        step(next(it), ms)
    wall, cpu, main_cpu = (
        time.perf_counter() - t0,
        time.process_time() - c0,
        time.thread_time() - m0,
    )
    out = {
        "ms": wall / n * 1000,
        "cpu_us": cpu / n * 1e6,
        "main_cpu_us": main_cpu / n * 1e6,
    }
    if rec is not None:
        p = record.stop()
        out["mb_per_batch"] = p["bytes"] / max(p["batches"], 1) / 1048576
        out["recorded"] = p["batches"]
        # the writer thread's CPU per batch it wrote (warm-up batches included, so per batch written)
        out["writer_cpu_us"] = rec.writer_cpu_s / max(p["batches"], 1) * 1e6
        os.remove(path)
    del it
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--batches", type=int, default=300)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--step-ms", type=float, default=20.0)
    p.add_argument(
        "--budget-s",
        type=float,
        default=0,
        help="start no new rep after this many seconds (0: no limit)",
    )
    a = p.parse_args()
    torch.set_num_threads(1)
    loader = DataLoader(
        throughput.Tokens(),
        batch_size=16,
        num_workers=a.workers,
        collate_fn=throughput.collate,
        **(
            {
                "multiprocessing_context": "fork",
                "prefetch_factor": 4,
                "persistent_workers": False,
            }
            if a.workers
            else {}
        ),
    )
    tmp = tempfile.mkdtemp(prefix="batchscope-record-bench-")
    load0 = os.getloadavg()[0]
    plain, rec = [], []
    t_start = time.monotonic()
    for r in range(
        a.reps
    ):  # alternating, so load changes on the shared machine hit both alike
        plain.append(run(loader, a.batches, a.warmup, a.step_ms, None))
        rec.append(
            run(
                loader,
                a.batches,
                a.warmup,
                a.step_ms,
                os.path.join(tmp, "r%d.arrow" % r),
            )
        )
        # A loaded machine can stretch a rep several-fold: stop at whole pairs rather than overrun.
        if a.budget_s and time.monotonic() - t_start > a.budget_s:
            break
    med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
    out = {
        "workers": a.workers,
        "batches": a.batches,
        "reps": len(plain),
        "step_ms": a.step_ms,
        "plain_ms_per_batch": round(med(plain, "ms"), 3),
        "recording_ms_per_batch": round(med(rec, "ms"), 3),
        "overhead_pct": round((med(rec, "ms") / med(plain, "ms") - 1) * 100, 2),
        "plain_cpu_us_per_batch": round(med(plain, "cpu_us"), 1),
        "recording_cpu_us_per_batch": round(med(rec, "cpu_us"), 1),
        "recording_cpu_cost_us_per_batch": round(
            med(rec, "cpu_us") - med(plain, "cpu_us"), 1
        ),
        "plain_main_cpu_us_per_batch": round(med(plain, "main_cpu_us"), 1),
        "recording_main_cpu_us_per_batch": round(med(rec, "main_cpu_us"), 1),
        "writer_cpu_us_per_batch": round(med(rec, "writer_cpu_us"), 1),
        "load_before": load0,
        "load_after": os.getloadavg()[0],
        # Each rep's pair ran back to back: the median of their ratios shrugs off a load swing between reps.
        "paired_ratio_median": round(
            statistics.median(r["ms"] / q["ms"] for q, r in zip(plain, rec)), 4
        ),
        "paired_diff_ms_median": round(
            statistics.median(r["ms"] - q["ms"] for q, r in zip(plain, rec)), 3
        ),
        "plain_ms_range": [
            round(min(x["ms"] for x in plain), 3),
            round(max(x["ms"] for x in plain), 3),
        ],
        "recording_ms_range": [
            round(min(x["ms"] for x in rec), 3),
            round(max(x["ms"] for x in rec), 3),
        ],
        "mb_per_batch": round(med(rec, "mb_per_batch"), 4),
        "cores": os.cpu_count(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
