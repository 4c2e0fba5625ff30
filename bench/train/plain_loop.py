"""The reference for bench/train.sh: a plain torch training loop written without the runtime, on the
same model, data and settings. Prints one JSON line: steps/s, tokens/s and data wait over the
measured steps (after `--warmup` steps)."""
import argparse
import json
import math
import time

import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer, get_scheduler


class Collate:
    def __init__(self, pad):
        self.pad = pad

    def __call__(self, items):
        width = max(len(i) for i, _ in items)
        ids = torch.full((len(items), width), self.pad, dtype=torch.long)
        labels = torch.full((len(items), width), -100, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for r, (i, l) in enumerate(items):
            ids[r, :len(i)] = torch.tensor(i)
            labels[r, :len(l)] = torch.tensor(l)
            mask[r, :len(i)] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help="JSONL with {'messages': [...]} rows")
    p.add_argument("--cutoff", type=int, default=128)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--workers", type=int, default=0)
    a = p.parse_args()

    torch.manual_seed(42)
    tok = AutoTokenizer.from_pretrained(a.model)
    samples = []
    with open(a.data) as f:
        for line in f:
            out = tok.apply_chat_template(json.loads(line)["messages"], tokenize=True, return_dict=True,
                                          return_assistant_tokens_mask=True)
            ids = list(out["input_ids"])[: a.cutoff]
            mask = list(out["assistant_masks"])[: a.cutoff]
            samples.append((ids, [t if m else -100 for t, m in zip(ids, mask)]))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).to(device)
    model.config.use_cache = False
    model.train()
    loader = DataLoader(samples, batch_size=a.batch, shuffle=True, collate_fn=Collate(tok.pad_token_id),
                        num_workers=a.workers, pin_memory=cuda, drop_last=False)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr)
    sched = get_scheduler("linear", opt, num_warmup_steps=0, num_training_steps=a.steps)
    amp = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if (cuda and a.bf16) else None

    step, wait, tokens, t_start = 0, 0.0, 0, None
    while step < a.steps:
        it = iter(loader)
        while step < a.steps:
            t0 = time.perf_counter()
            try:
                batch = next(it)
            except StopIteration:
                break
            if t_start is not None:
                wait += time.perf_counter() - t0
                tokens += int(batch["attention_mask"].sum())
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            if amp is not None:
                with amp:
                    loss = model(**batch).loss
            else:
                loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if step == a.warmup:
                if cuda:
                    torch.cuda.synchronize()
                t_start = time.perf_counter()
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t_start
    n = a.steps - a.warmup
    print(json.dumps({"steps_per_s": n / elapsed, "tokens_per_s": tokens / elapsed, "data_wait_ms": wait * 1000 / n,
                      "final_loss": float(loss), "steps": n}))


if __name__ == "__main__":
    main()
