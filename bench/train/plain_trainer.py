"""The reference for bench/train.sh: a plain transformers.Trainer script written without Batchscope, on
the same model, data (OpenAI-style messages JSONL) and settings as the runtime's transformers engine.
Writes train_results.json (the Trainer's own train_steps_per_second) into --out."""
import argparse
import json

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer, TrainingArguments


def main():
    p = argparse.ArgumentParser()
    for k in ("--model", "--data", "--out"):
        p.add_argument(k, required=True)
    p.add_argument("--cutoff", type=int, default=128)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--lora", action="store_true", help="peft LoRA r=8 on every linear layer, base in bf16 when --bf16")
    a = p.parse_args()
    tok = AutoTokenizer.from_pretrained(a.model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    data = []
    for line in open(a.data):
        enc = tok.apply_chat_template(json.loads(line)["messages"], tokenize=True, return_dict=True,
                                      return_assistant_tokens_mask=True)
        ids, mask = list(enc["input_ids"])[: a.cutoff], list(enc["assistant_masks"])[: a.cutoff]
        data.append({"input_ids": ids, "labels": [t if m else -100 for t, m in zip(ids, mask)]})
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16 if a.lora and a.bf16 else torch.float32)
    model.config.use_cache = False
    if a.lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM"))
        for p_ in model.parameters():
            if p_.requires_grad:
                p_.data = p_.data.float()
    args = TrainingArguments(output_dir=a.out, per_device_train_batch_size=a.batch, max_steps=a.steps, learning_rate=1e-4,
                             logging_steps=1, save_strategy="no", report_to="none", disable_tqdm=True, bf16=a.bf16,
                             dataloader_num_workers=a.workers, seed=42)
    trainer = Trainer(model=model, args=args, train_dataset=data, processing_class=tok,
                      data_collator=DataCollatorForSeq2Seq(tok, label_pad_token_id=-100))
    trainer.save_metrics("train", trainer.train().metrics)


if __name__ == "__main__":
    main()
