"""A tiny real Trainer run (model built here, no hub) that saves every batch its training_step received.

Run as `python -m batchscope_runtime train trainer_capture.py OUT.pt NUM_WORKERS MAX_STEPS` with
BATCHSCOPE_RECORD set: the recording is compared with OUT.pt (the tensors the loop received).
"""

import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

PAD = 0


class Tokens(torch.utils.data.Dataset):
    """40 samples of 3..12 token ids; the prompt half is masked out of the labels."""

    def __len__(self):
        return 40

    def __getitem__(self, i):
        n = 3 + (i * 7) % 10
        ids = [1 + (i * 13 + k * 5) % 60 for k in range(n)]
        labels = [-100] * (n // 2) + ids[n // 2 :]
        return {"input_ids": ids, "labels": labels}


def pad_collate(items):
    width = max(len(x["input_ids"]) for x in items)
    ids = torch.full((len(items), width), PAD, dtype=torch.long)
    labels = torch.full((len(items), width), -100, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for r, x in enumerate(items):
        n = len(x["input_ids"])
        ids[r, :n] = torch.tensor(x["input_ids"])
        labels[r, :n] = torch.tensor(x["labels"])
        mask[r, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


class Capturing(Trainer):
    seen = []

    def training_step(self, model, inputs, *args, **kwargs):
        Capturing.seen.append({k: v.detach().cpu().clone() for k, v in inputs.items()})
        return super().training_step(model, inputs, *args, **kwargs)


def main(out, workers, max_steps):
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=64,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        pad_token_id=PAD,
    )
    args = TrainingArguments(
        output_dir=out + ".trainer",
        per_device_train_batch_size=4,
        max_steps=max_steps,
        dataloader_num_workers=workers,
        save_strategy="no",
        report_to="none",
        logging_steps=5,
        use_cpu=True,
        disable_tqdm=True,
        seed=0,
    )
    trainer = Capturing(model=LlamaForCausalLM(cfg), args=args, train_dataset=Tokens(), data_collator=pad_collate)
    trainer.train()
    torch.save(Capturing.seen, out)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
