"""A training loop resumed mid-epoch the way the Hugging Face Trainer resumes from a checkpoint:
accelerate's `skip_first_batches` on a real DataLoader (it swaps in a SkipBatchSampler, so the
loader's own count starts at 0 at the resume point). Prints one JSON line per step with the
batch's true position in the epoch and the indices in it (the ground truth for the debugger).

With --accelerate the loader is prepared by accelerate and resumed in epoch --epoch exactly as the
Trainer does it (skip_first_batches, then set_epoch), then runs the next epoch whole."""
import argparse
import json
import sys

import torch
from accelerate import skip_first_batches
from torch.utils.data import DataLoader, Dataset

from batchscope_runtime.debug import hooks


class Rows(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"index": i, "x": torch.tensor([float(i)])}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--skip", type=int, default=3)
    p.add_argument("--accelerate", action="store_true")
    p.add_argument("--epoch", type=int, default=0)
    a = p.parse_args()
    gen = torch.Generator()
    gen.manual_seed(7)
    loader = DataLoader(Rows(a.n), batch_size=a.batch_size, shuffle=True, generator=gen, num_workers=a.workers)
    if a.accelerate:
        from accelerate import Accelerator

        loader = Accelerator(cpu=True).prepare(loader)
    resumed = skip_first_batches(loader, a.skip)
    passes = [(a.epoch, resumed, a.skip)]
    if a.accelerate:
        passes.append((a.epoch + 1, loader, 0))
    for epoch, dl, first in passes:
        if a.accelerate:
            dl.set_epoch(epoch)  # the Trainer's call before each epoch
        for step, batch in enumerate(dl, first):
            with hooks.stage("train_step", batch=batch):
                pass
            print(json.dumps({"epoch": epoch, "batch": step, "indices": batch["index"].tolist()}), flush=True)
    print(json.dumps({"done": True}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
