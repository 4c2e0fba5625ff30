"""A tiny but real Hugging Face `Trainer` run for the debug adapter tests (no hub: the model is a
one-layer Llama built from a config, the data is synthetic token ids).

The Trainer builds its own DataLoader and moves batches through accelerate; the debugger's
automatic `to_device`/`train_step` stages come from wrapping `Trainer.training_step` and accelerate's
`send_to_device`. Each training step prints the first sample index of its batch, so a test can
tell which batch was trained when.
"""
import argparse
import sys
import tempfile

import torch
from torch.utils.data import Dataset
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

SEQ = 8


class Tokens(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        ids = [(i * 7 + k) % 60 + 4 for k in range(SEQ)]
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(ids), "attention_mask": torch.ones(SEQ, dtype=torch.long)}


class LoggingTrainer(Trainer):
    """Prints which batch each step trains (the first input id names the sample)."""

    def training_step(self, model, inputs, *args, **kwargs):
        first = int(inputs["input_ids"][0, 0])
        print(f"train_step first_id={first}", flush=True)  # TRAIN-STEP-LINE
        return super().training_step(model, inputs, *args, **kwargs)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--steps", type=int, default=6)
    a = p.parse_args(argv)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32)
    model = LlamaForCausalLM(cfg)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=a.batch_size, max_steps=a.steps,
            dataloader_num_workers=a.workers, report_to="none", use_cpu=True, save_strategy="no",
            logging_strategy="no", disable_tqdm=True, learning_rate=1e-3,
        )
        trainer = LoggingTrainer(model=model, args=args, train_dataset=Tokens(a.n))
        result = trainer.train()
    print(f"done steps={result.global_step}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
