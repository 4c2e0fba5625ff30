"""A small but real training loop over a torch DataLoader, for the debug adapter tests.

Every behaviour the tests need is a flag: workers and start method, shuffle with a seeded
generator, an IterableDataset with uneven shards, persistent workers + pin memory over several
epochs, a blocking read that hangs, a worker killed by SIGKILL, an exception in collate, a second
(validation) loader, and `batchscope_runtime.listen()` for attach. Samples are token ids from the
fixture tokenizer, with the prompt part of `labels` masked by -100, so decoding can be checked
against the source text.
"""
import argparse
import json
import os
import re
import signal
import sys
import time

import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

from batchscope_runtime.debug import hooks

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Give three tips for staying healthy.",
    "What is the capital of France?",
    "Translate to German: good morning.",
]
PAD_ID = 0
IGNORE = -100


def text_of(i):
    """The text of sample i: a prompt (masked in labels) and an answer."""
    return f"sample {i}: ", SENTENCES[i % len(SENTENCES)]


class Encoder:
    def __init__(self, tokenizer_dir):
        self.tok = None
        if tokenizer_dir:
            from tokenizers import Tokenizer

            self.tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))

    def encode(self, s):
        if self.tok is None:
            return [ord(c) % 250 + 4 for c in s]
        return self.tok.encode(s).ids


class BadBatch(Exception):
    """Several constructor arguments: torch's ExceptionWrapper cannot rebuild these by itself."""

    def __init__(self, batch_index, reason, count):
        super().__init__(batch_index, reason, count)
        self.batch_index, self.reason, self.count = batch_index, reason, count

    def __str__(self):
        return f"batch {self.batch_index}: {self.reason} ({self.count} samples)"


def make_sample(enc, i):
    prompt, answer = text_of(i)
    p, a = enc.encode(prompt), enc.encode(answer)
    ids = p + a
    return {"index": i, "input_ids": torch.tensor(ids), "labels": torch.tensor([IGNORE] * len(p) + a)}


class Samples(Dataset):
    def __init__(self, n, tokenizer, sleep_at=-1, sleep_s=0.0, kill_at=-1, fetch_error_at=-1, fifo_at=-1, fifo=None):
        self.n, self.tokenizer = n, tokenizer
        self.fifo_at, self.fifo = fifo_at, fifo
        self.regex_at = -1
        self.fetch_delay = 0.0
        self.sleep_at, self.sleep_s, self.kill_at = sleep_at, sleep_s, kill_at
        self.fetch_error_at = fetch_error_at
        self.enc = None

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.enc is None:
            self.enc = Encoder(self.tokenizer)
        if self.fetch_delay:
            time.sleep(self.fetch_delay)  # a slow read: the workers, not the loop, set the pace
        if i == self.sleep_at:
            time.sleep(self.sleep_s)  # HANG-LINE: a blocking read that never returns in time
        if i == self.fifo_at:
            shard_path = self.fifo
            fd = os.open(shard_path, os.O_RDWR)  # a reader and a writer: the read waits for data forever
            header = os.read(fd, 16)  # FIFO-LINE: a blocking read that never returns
        if i == self.regex_at:
            # Catastrophic backtracking: minutes inside C, holding the GIL all along.
            re.match(r"(a+)+$", "a" * 40 + "b")  # REGEX-LINE
        if i == self.kill_at and get_worker_info() is not None:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == self.fetch_error_at:
            raise ValueError(f"sample {i} is corrupt")  # FETCH-ERROR-LINE
        return make_sample(self.enc, i)


class BatchedSamples(Samples):
    """Reads a whole batch in one `__getitems__` call, as Hugging Face `datasets` does."""

    def __getitems__(self, indices):
        return [self[i] for i in indices]


class Shards(IterableDataset):
    """Uneven shards: worker 0 yields `first` samples, worker 1 the rest."""

    def __init__(self, n, first, tokenizer):
        self.n, self.first, self.tokenizer = n, first, tokenizer

    def __iter__(self):
        enc = Encoder(self.tokenizer)
        info = get_worker_info()
        if info is None:
            rng = range(self.n)
        elif info.id == 0:
            rng = range(0, self.first)
        else:
            rng = range(self.first, self.n)
        for i in rng:
            yield make_sample(enc, i)


class Collate:
    """Pads input_ids with PAD_ID and labels with -100; raises BadBatch for one chosen first index."""

    def __init__(self, error_at_index=-1, batch_encoding=False):
        self.error_at_index = error_at_index
        self.batch_encoding = batch_encoding

    def __call__(self, samples):
        if samples[0]["index"] == self.error_at_index:
            raise BadBatch(self.error_at_index, "refusing this batch", len(samples))
        width = max(len(s["input_ids"]) for s in samples)
        ids = torch.full((len(samples), width), PAD_ID, dtype=torch.long)
        labels = torch.full((len(samples), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(samples), width), dtype=torch.long)
        for r, s in enumerate(samples):
            n = len(s["input_ids"])
            ids[r, :n] = s["input_ids"]
            labels[r, :n] = s["labels"]
            mask[r, :n] = 1
        out = {"index": torch.tensor([s["index"] for s in samples]), "input_ids": ids, "labels": labels, "attention_mask": mask}
        if self.batch_encoding:  # what a Hugging Face tokenizer or data collator returns
            from transformers import BatchEncoding

            return BatchEncoding(out)
        return out


def build_loader(a, n, shuffle):
    if a.iterable:
        ds = Shards(n, a.first_shard, a.tokenizer)
    else:
        cls = BatchedSamples if a.getitems else Samples
        ds = cls(n, a.tokenizer, a.sleep_at, a.sleep_s, a.kill_at, a.fetch_error_at, a.fifo_at, a.fifo)
        ds.regex_at = a.regex_at
        ds.fetch_delay = a.fetch_delay
    kw = {}
    if a.workers:
        kw["multiprocessing_context"] = a.start_method
        kw["persistent_workers"] = a.persistent
    gen = None
    if shuffle and a.seed is not None:
        gen = torch.Generator()
        gen.manual_seed(a.seed)
    return DataLoader(ds, batch_size=a.batch_size, shuffle=shuffle and not a.iterable, generator=gen,
                      num_workers=a.workers, collate_fn=Collate(a.collate_error_at, a.batch_encoding), pin_memory=a.pin_memory, **kw)


def delay_config(seconds):
    """Make the workers' debug agents (patched here, inherited by fork) apply each config late: a
    worker whose reader thread lagged behind its fetch is what CI's loaded machine once produced."""
    from batchscope_runtime.debug.agent.core import Agent

    on_message = Agent._on_message

    def late(self, msg):
        if msg.get("type") == "config" and self.kind == "worker":
            time.sleep(seconds)
        on_message(self, msg)

    Agent._on_message = late


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=24)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--start-method", default="fork")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--shuffle", action="store_true")
    p.add_argument("--seed", type=int)
    p.add_argument("--persistent", action="store_true")
    p.add_argument("--pin-memory", action="store_true")
    p.add_argument("--iterable", action="store_true")
    p.add_argument("--first-shard", type=int, default=7)
    p.add_argument("--sleep-at", type=int, default=-1)
    p.add_argument("--sleep-s", type=float, default=0.0)
    p.add_argument("--kill-at", type=int, default=-1)
    p.add_argument("--fifo-at", type=int, default=-1, help="sample that reads --fifo (a named pipe) forever")
    p.add_argument("--fifo", help="path of a FIFO (the program creates it when missing)")
    p.add_argument("--regex-at", type=int, default=-1, help="sample that runs a regex for minutes, holding the GIL")
    p.add_argument("--collate-error-at", type=int, default=-1)
    p.add_argument("--fetch-error-at", type=int, default=-1)
    p.add_argument("--getitems", action="store_true", help="the dataset defines __getitems__")
    p.add_argument("--batch-encoding", action="store_true", help="collate returns a transformers BatchEncoding")
    p.add_argument("--val", action="store_true", help="also iterate a validation loader each epoch")
    p.add_argument("--step-delay", type=float, default=0.0)
    p.add_argument("--fetch-delay", type=float, default=0.0, help="seconds each sample's read takes")
    p.add_argument("--late-config-s", type=float, default=0.0,
                   help="the workers apply each debugger config this late (a lagging reader thread)")
    p.add_argument("--listen", action="store_true")
    p.add_argument("--tokenizer")
    p.add_argument("--dump-indices", help="write each batch's indices as JSON lines (plain-run ground truth)")
    a = p.parse_args(argv)

    if a.late_config_s:
        delay_config(a.late_config_s)
    if os.environ.get("BATCHSCOPE_LISTEN"):
        hooks.install_from_env()  # what `batchscope_runtime train` does: listen where the env says
    elif a.listen:
        import batchscope_runtime

        batchscope_runtime.listen(port=0)

    if a.fifo and not os.path.exists(a.fifo):
        os.mkfifo(a.fifo)
    train_loader = build_loader(a, a.n, a.shuffle)
    val_loader = build_loader(a, max(2 * a.batch_size, a.n // 3), False) if a.val else None
    dump = open(a.dump_indices, "w") if a.dump_indices else None
    step = 0
    checksum = 0
    for epoch in range(a.epochs):
        for i, batch in enumerate(train_loader):
            with hooks.stage("to_device", batch=batch, batch_index=i):
                batch = {k: v.to("cpu") for k, v in batch.items()}
            with hooks.stage("train_step", batch=batch, batch_index=i):
                checksum += int(batch["input_ids"].sum())
                if a.step_delay:
                    time.sleep(a.step_delay)
            if dump:
                dump.write(json.dumps({"epoch": epoch, "batch": i, "indices": batch["index"].tolist()}) + "\n")
            step += 1
            if step % 50 == 0:
                print(f"step {step}", flush=True)
        if val_loader is not None:
            for i, batch in enumerate(val_loader):
                checksum += int(batch["input_ids"].sum())
    if dump:
        dump.close()
    print(f"done steps={step} checksum={checksum}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
