"""DataLoaders without auto-collation (`batch_size=None`), as streaming and pretraining code uses.

Map-style (`--iterable` off) or an IterableDataset, 0 or more workers, with or without a
`collate_fn`. Each item is one "batch": a dict with its index and a small float tensor, so a
NaN can be planted at one index (`--nan-at`). Prints the indices it received, in order.
"""

import argparse
import sys

import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info


def item(i, nan_at):
    x = torch.arange(4, dtype=torch.float32) + i
    if i == nan_at:
        x[2] = float("nan")
    return {"index": i, "x": x}


class Items(Dataset):
    def __init__(self, n, nan_at):
        self.n, self.nan_at = n, nan_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return item(i, self.nan_at)  # MAP-ITEM


class Stream(IterableDataset):
    """Worker w of k yields items w, w+k, ... so the loader yields 0, 1, 2, ... in order."""

    def __init__(self, n, nan_at):
        self.n, self.nan_at = n, nan_at

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(start, self.n, step):
            yield item(i, self.nan_at)  # STREAM-ITEM


def to_batch(sample):
    """A user collate_fn for one item: adds a leading batch dimension."""
    return {"index": torch.tensor([sample["index"]]), "x": sample["x"].unsqueeze(0)}  # COLLATE-LINE


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--iterable", action="store_true")
    p.add_argument("--collate", action="store_true")
    p.add_argument("--nan-at", type=int, default=-1)
    a = p.parse_args(argv)
    ds = Stream(a.n, a.nan_at) if a.iterable else Items(a.n, a.nan_at)
    loader = DataLoader(ds, batch_size=None, num_workers=a.workers, collate_fn=to_batch if a.collate else None)
    seen = []
    for batch in loader:
        seen.append(int(torch.as_tensor(batch["index"]).reshape(-1)[0]))
    print("indices=%s" % ",".join(map(str, seen)), flush=True)
    print("done steps=%d" % len(seen), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
