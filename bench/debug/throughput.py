"""Benchmark loop for `npm run bench:debug`: a DataLoader with realistic per-sample work.

Prints one JSON line {"workers", "batches", "seconds", "batches_per_s", "cpu_ms_per_batch",
"steady_cpu_ms_per_batch"} timed after a warm-up, the same whether it runs plain or under the Batchscope
runtime (the adapter's launch).
"""

import argparse
import gc
import glob
import json
import resource
import time

import torch
from torch.utils.data import DataLoader, Dataset

from batchscope_runtime.debug import hooks

SEQ = 512


class Tokens(Dataset):
    """Each sample costs about what tokenising and packing one short chat does (~0.3 ms)."""

    def __len__(self):
        return 1 << 30

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        ids = torch.randint(4, 600, (SEQ,), generator=g)
        n = int(ids[0]) % SEQ // 2 + SEQ // 2
        labels = ids.clone()
        labels[: n // 3] = -100
        text = " ".join(
            str(int(x)) for x in ids[:64]
        )  # some Python-level work, like a real tokenizer call
        return {"input_ids": ids[:n], "labels": labels[:n], "len": len(text)}


def collate(samples):
    width = max(len(s["input_ids"]) for s in samples)
    ids = torch.zeros((len(samples), width), dtype=torch.long)
    labels = torch.full((len(samples), width), -100, dtype=torch.long)
    for r, s in enumerate(samples):
        ids[r, : len(s["input_ids"])] = s["input_ids"]
        labels[r, : len(s["labels"])] = s["labels"]
    return {"input_ids": ids, "labels": labels}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--batches", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=16)
    # A GPU host's loop: pinned batches (torch's pin-memory thread with workers) copied to the device.
    p.add_argument("--device", default="cpu")
    p.add_argument("--pin-memory", action="store_true")
    a = p.parse_args()
    loader = DataLoader(
        Tokens(),
        batch_size=a.batch_size,
        num_workers=a.workers,
        collate_fn=collate,
        pin_memory=a.pin_memory,
        **(
            {"multiprocessing_context": "fork", "prefetch_factor": 4}
            if a.workers
            else {}
        ),
    )
    t0 = None
    total = 0
    it = iter(loader)
    pids = []
    for i, batch in enumerate(it):
        if i == a.warmup:
            pids = [w.pid for w in getattr(it, "_workers", [])]
            t0 = time.perf_counter()
            c0 = _cpu()
            s0 = _steady_cpu(pids)
        with hooks.stage("to_device", batch=batch, batch_index=i):
            batch = {k: v.to(a.device, non_blocking=a.pin_memory) for k, v in batch.items()}
        with hooks.stage("train_step", batch=batch, batch_index=i):
            total += int(batch["input_ids"][:, 0].sum())
        if i + 1 == a.warmup + a.batches:
            break
    dt = time.perf_counter() - t0
    steady_ms = (_steady_cpu(pids) - s0) / a.batches * 1000
    del it, batch  # joins the workers, so their CPU time shows in RUSAGE_CHILDREN
    gc.collect()
    # CPU seconds per batch of this process and its workers: unlike wall time it barely moves with
    # the load other jobs put on the machine. Workers count whole (incl. warm-up and start-up).
    cpu = _cpu()
    cpu_ms = (
        ((cpu[0] - c0[0]) + (cpu[1] - c0[1]) * a.batches / (a.batches + a.warmup))
        / a.batches
        * 1000
    )
    print(
        json.dumps(
            {
                "workers": a.workers,
                "batches": a.batches,
                "seconds": round(dt, 4),
                "batches_per_s": round(a.batches / dt, 2),
                "cpu_ms_per_batch": round(cpu_ms, 4),
                "steady_cpu_ms_per_batch": round(steady_ms, 4),
            }
        ),
        flush=True,
    )


def _cpu():
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _steady_cpu(worker_pids):
    """CPU seconds of this process (all threads) plus every thread of the live workers, between two points
    of the loop: unlike RUSAGE_CHILDREN it leaves out the workers' start-up (imports, the agent's connect)
    and counts the agent's own threads in them. Linux: /proc/<pid>/task/<tid>/schedstat, nanoseconds on CPU."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    total = me.ru_utime + me.ru_stime
    for pid in worker_pids:
        for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
            try:
                with open(path) as f:
                    total += int(f.read().split()[0]) / 1e9
            except (OSError, ValueError, IndexError):
                pass  # a thread that ended between the listing and the read
    return total


if __name__ == "__main__":
    main()
