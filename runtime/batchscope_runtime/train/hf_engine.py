"""The `transformers` engine: a thin layer over transformers.Trainer (+ peft for lora/freeze/QLoRA).

Batchscope reads the data and applies finetuning_type; every TrainingArguments key of the config
goes to the Trainer as written (eval, save_*, report_to, deepspeed, fsdp, gradient_checkpointing...),
so checkpoints are the Trainer's own (`checkpoint-N/`, resumable by plain Trainer and back).
Our events come from EventsCallback.
"""

import re
from pathlib import Path

from . import tuning
from .callback import EventsCallback
from .collate import PadCollate
from .dataset import build, load_tokenizer

NOT_TRAINING_ARGS = {"do_train", "resume_from_checkpoint"}


def training_arguments(cfg):
    """TrainingArguments from the config; a value it refuses becomes an error on that key's line."""
    from transformers import Seq2SeqTrainingArguments

    from .keys import OURS, TYPED

    kwargs = {k: v for k, v in cfg.passthrough.items()}
    for key in TYPED:
        if key in OURS or key in NOT_TRAINING_ARGS:
            continue
        value = cfg.get(key)
        if value is not None:
            kwargs[key] = str(value) if isinstance(value, Path) else value
    kwargs.setdefault("report_to", "none")
    kwargs.setdefault("disable_tqdm", True)
    if cfg.val_size and "eval_steps" in kwargs and "eval_strategy" not in kwargs:
        kwargs["eval_strategy"] = "steps"  # LLaMA-Factory configs give eval_steps for a val_size split
    if kwargs.get("gradient_checkpointing") and "gradient_checkpointing_kwargs" not in kwargs:
        kwargs["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    for key in ("logging_steps", "save_steps", "eval_steps", "warmup_steps"):
        if isinstance(kwargs.get(key), float) and kwargs[key] >= 1 and kwargs[key] == int(kwargs[key]):
            kwargs[key] = int(kwargs[key])
    try:
        return Seq2SeqTrainingArguments(**kwargs)
    except (ValueError, TypeError, ImportError) as e:
        text = str(e)
        key = next((k for k in kwargs if re.search(r"\b%s\b" % re.escape(k), text)), None)
        if key is None:
            key = next((k for k in ("deepspeed", "fsdp", "report_to") if k in kwargs and k in text.lower()), None)
        raise cfg.error(
            key or "output_dir", "TrainingArguments refused the config: %s" % text.strip().splitlines()[0]
        ) from None


def resolve_resume(cfg):
    from transformers.trainer_utils import get_last_checkpoint

    r = cfg.resume_from_checkpoint
    if r is None or r is False:
        return None
    if r is True:
        last = get_last_checkpoint(str(cfg.output_dir)) if Path(cfg.output_dir).is_dir() else None
        if last is None:
            raise cfg.error("resume_from_checkpoint", "is true but %s has no checkpoint-<step> folder" % cfg.output_dir)
        return last
    if not (Path(r) / "trainer_state.json").exists():
        raise cfg.error("resume_from_checkpoint", "'%s' is not a Trainer checkpoint (no trainer_state.json)" % r)
    return str(r)


def build_trainer(cfg, events, stop, reason, extra=None):
    """Everything up to a ready Trainer (also used by the tests). Returns (trainer, callback, resume)."""
    from transformers import Trainer, set_seed

    tuning.check_quantization(cfg)  # before anything loads
    args = training_arguments(cfg)
    resume = resolve_resume(cfg)
    tokenizer = load_tokenizer(cfg)
    _, _, counts, train_ds, eval_ds = build(cfg, tokenizer, args.seed)
    if counts["truncated"]:
        events.warning(
            "%d samples are longer than cutoff_len=%d and were truncated (as LLaMA-Factory truncates them)"
            % (counts["truncated"], cfg.cutoff_len),
            "truncated_samples",
            cfg.location("cutoff_len"),
        )
    if counts["dropped"]:
        events.warning(
            "%d samples have no assistant turn and were dropped" % counts["dropped"],
            "dropped_samples",
            cfg.location("dataset"),
        )
    set_seed(args.seed)  # LoRA's random init, as a plain script seeds it
    model = tuning.load_model(cfg)
    model, trainable, total = tuning.prepare(cfg, model)
    vocab = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > vocab:
        raise cfg.error(
            "model_name_or_path",
            "the tokenizer has %d tokens but the model's embedding only %d" % (len(tokenizer), vocab),
        )
    fields = {"finetuning_type": cfg.finetuning_type, "trainable_params": int(trainable), "total_params": int(total)}
    fields.update(extra or {})
    cb = EventsCallback(events, "transformers", reason, stop=stop, config_path=cfg.path, extra=fields)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds if len(eval_ds) else None,
        data_collator=PadCollate(tokenizer.pad_token_id),
        processing_class=tokenizer,
        callbacks=[cb],
    )
    cb.attach(trainer)
    trainer._batchscope_resumed_from = resume
    return trainer, cb, resume


def run(cfg, events, stop, reason, extra=None):
    trainer, cb, resume = build_trainer(cfg, events, stop, reason, extra)
    result = trainer.train(resume_from_checkpoint=resume)
    trainer.save_model()  # final weights (or adapter) in output_dir, as LLaMA-Factory leaves them
    trainer.save_metrics("train", result.metrics)  # train_results.json, as LLaMA-Factory writes it
    trainer.save_state()
    return 0
