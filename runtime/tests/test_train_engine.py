"""The `transformers` engine against a plain transformers.Trainer script on the same tiny model, data
and settings (real torch/transformers/peft, CPU), and checkpoints shared both ways.

The plain script below is what a Trainer user writes: rows -> messages -> apply_chat_template(
return_assistant_tokens_mask=True) -> DataCollatorForSeq2Seq -> Trainer. It shares no code with
the runtime."""

import io
import json
import os

import pytest
import torch

from batchscope_runtime.train import hf_engine
from batchscope_runtime.train.config import load_config, resolve_paths
from batchscope_runtime.train.errors import ConfigError
from batchscope_runtime.train.events import EventWriter

from conftest import FIXTURES

MODEL = FIXTURES / "model"
DATA = FIXTURES / "train"
# 30 samples, batch 4, accumulation 2, 2 epochs: 8 batches per epoch -> 4 optimizer steps per epoch
# (the last window is a single batch, and still steps).
SETTINGS = dict(
    per_device_train_batch_size=4,
    gradient_accumulation_steps=2,
    num_train_epochs=2,
    learning_rate=5e-3,
    lr_scheduler_type="cosine",
    warmup_steps=2,
    logging_steps=1,
    save_steps=4,
    seed=7,
)


def write_yaml(tmp_path, name="train.yaml", **extra):
    keys = dict(
        model_name_or_path=str(MODEL),
        dataset="alpaca_demo,sharegpt_demo",
        dataset_dir=str(DATA),
        cutoff_len=1024,
        max_samples=15,
        finetuning_type="full",
        output_dir=str(tmp_path / "out"),
    )
    keys.update(SETTINGS)
    keys.update(extra)
    p = tmp_path / name
    p.write_text("".join("%s: %s\n" % (k, json.dumps(v) if isinstance(v, str) else v) for k, v in keys.items()))
    return p


def run_engine(path, *overrides):
    """Our engine in-process; returns (events, trainer)."""
    cfg = resolve_paths(load_config(path, list(overrides)))
    stream = io.StringIO()
    trainer, _, resume = hf_engine.build_trainer(cfg, EventWriter(stream), None, "test")
    trainer.train(resume_from_checkpoint=resume)
    return [json.loads(line) for line in stream.getvalue().splitlines()], trainer


def step_losses(events):
    return {e["step"]: e["loss"] for e in events if e["type"] == "step"}


# ── the plain Trainer script ────────────────────────────────────────────────────
def plain_rows():
    rows = []
    for name in ("alpaca_demo.jsonl", "sharegpt_demo.jsonl"):
        lines = [json.loads(l) for l in (DATA / name).read_text().splitlines() if l.strip()][:15]
        for r in lines:
            if "conversations" in r:
                role = {"human": "user", "gpt": "assistant", "system": "system"}
                rows.append([{"role": role[t["from"]], "content": t["value"]} for t in r["conversations"]])
            else:
                prompt = r["instruction"] + ("\n" + r["input"] if r.get("input") else "")
                rows.append([{"role": "user", "content": prompt}, {"role": "assistant", "content": r["output"]}])
    return rows


def plain_trainer(out, resume=None, max_steps=-1):
    from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer, TrainingArguments

    tok = AutoTokenizer.from_pretrained(str(MODEL))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    data = []
    for messages in plain_rows():
        enc = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        ids = list(enc["input_ids"])
        data.append({"input_ids": ids, "labels": [t if m else -100 for t, m in zip(ids, enc["assistant_masks"])]})
    import transformers

    # transformers < 4.56 (the torch 1.13 lane) calls the keyword torch_dtype, and would keep `dtype` as
    # a config attribute that breaks the config's JSON.
    old = tuple(int(x) for x in transformers.__version__.split(".")[:2]) < (4, 56)
    model = AutoModelForCausalLM.from_pretrained(str(MODEL), **{"torch_dtype" if old else "dtype": torch.float32})
    model.config.use_cache = False
    args = TrainingArguments(output_dir=str(out), report_to="none", disable_tqdm=True, max_steps=max_steps, **SETTINGS)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=data,
        processing_class=tok,
        data_collator=DataCollatorForSeq2Seq(tok, label_pad_token_id=-100),
    )
    losses = {}

    from transformers import TrainerCallback

    class Losses(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "loss" in logs:
                losses[state.global_step] = (logs["loss"], logs["learning_rate"])

    trainer.add_callback(Losses())
    trainer.train(resume_from_checkpoint=resume)
    return losses


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cmp")
    events, trainer = run_engine(write_yaml(tmp))
    plain = plain_trainer(tmp / "plain")
    return tmp, events, plain


def test_same_optimizer_steps_and_losses_as_a_plain_trainer(both):
    _, events, plain = both
    ours = step_losses(events)
    assert sorted(ours) == sorted(plain) == list(range(1, 9))
    for s in ours:
        assert abs(ours[s] - plain[s][0]) < 1e-4, (s, ours[s], plain[s])
    lrs = {e["step"]: e["lr"] for e in events if e["type"] == "step"}
    assert all(abs(lrs[s] - plain[s][1]) < 1e-12 for s in lrs)
    # warmup over 2 steps: the lr applied at step 1 (0), not the next one. Trainer itself logs it so since
    # transformers 4.51 (huggingface/transformers#36973); before (4.47, the torch 1.13 lane) it logs the
    # next step's lr, and the events follow the Trainer's log as the check above shows.
    import transformers

    if tuple(int(x) for x in transformers.__version__.split(".")[:2]) >= (4, 51):
        assert lrs[1] == 0.0 and lrs[2] == pytest.approx(5e-3 / 2)
    else:
        assert lrs[1] == pytest.approx(5e-3 / 2) and lrs[2] == pytest.approx(5e-3)
    started = next(e for e in events if e["type"] == "started")
    assert started["engine"] == "transformers" and started["steps_per_epoch"] == 4 and started["total_steps"] == 8


def test_a_runtime_checkpoint_resumes_under_plain_trainer_and_back(both):
    tmp, events, plain = both
    ours = step_losses(events)
    ckpt = tmp / "out" / "checkpoint-4"
    assert (ckpt / "trainer_state.json").exists() and (ckpt / "model.safetensors").exists()
    resumed = plain_trainer(tmp / "plain-from-ours", resume=str(ckpt))
    assert sorted(resumed) == [5, 6, 7, 8]
    assert all(abs(resumed[s][0] - ours[s]) < 1e-4 for s in resumed)
    back, _ = run_engine(
        write_yaml(
            tmp,
            "back.yaml",
            output_dir=str(tmp / "ours-from-plain"),
            resume_from_checkpoint=str(tmp / "plain" / "checkpoint-4"),
        )
    )
    again = step_losses(back)
    assert sorted(again) == [5, 6, 7, 8]
    assert all(abs(again[s] - plain[s][0]) < 1e-4 for s in again)
    assert next(e for e in back if e["type"] == "started")["resumed_from"].endswith("checkpoint-4")


def test_freeze_trains_only_the_last_layer(tmp_path):
    from safetensors.torch import load_file

    events, trainer = run_engine(
        write_yaml(tmp_path, finetuning_type="freeze", freeze_trainable_layers=1, max_steps=2, save_steps=2)
    )
    before = load_file(str(MODEL / "model.safetensors"))
    after = load_file(str(tmp_path / "out" / "checkpoint-2" / "model.safetensors"))
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    last = trainer.model.config.num_hidden_layers - 1
    assert changed and all(".layers.%d." % last in k for k in changed), sorted(changed)
    assert any(".layers.0." in k for k in before)  # frozen tensors exist and are unchanged


def test_qlora_on_cpu_is_a_clear_error_on_its_line(tmp_path):
    p = write_yaml(tmp_path, finetuning_type="lora", quantization_bit=4)
    cfg = resolve_paths(load_config(p))
    with pytest.raises(ConfigError) as e:
        hf_engine.build_trainer(cfg, EventWriter(io.StringIO()), None, "test")
    assert e.value.key == "quantization_bit" and "CUDA" in e.value.message
    assert (
        e.value.line == [i for i, l in enumerate(p.read_text().splitlines(), 1) if l.startswith("quantization_bit")][0]
    )


def test_encoding_equals_apply_chat_template_and_long_samples_are_truncated_not_dropped():
    from transformers import AutoTokenizer

    from batchscope_runtime.train.encode import Encoder

    tok = AutoTokenizer.from_pretrained(str(MODEL))
    enc = Encoder(tok, 4096)
    for messages in plain_rows()[:20]:
        ref = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
        ids, labels, truncated = enc.encode(messages)
        assert ids == list(ref["input_ids"]) and not truncated
        assert labels == [t if m else -100 for t, m in zip(ref["input_ids"], ref["assistant_masks"])]
    long = [{"role": "user", "content": "word " * 300}, {"role": "assistant", "content": "answer " * 300}]
    full_ids, full_labels, _ = enc.encode(long)
    ids, labels, truncated = Encoder(tok, 64).encode(long)
    assert truncated and len(ids) == 64
    # LLaMA-Factory's split: prompt and response share the budget in proportion to their lengths
    source = next(i for i, l in enumerate(full_labels) if l != -100)
    target = sum(1 for l in full_labels if l != -100)
    t_len = int(64 * target / (source + target))
    assert sum(1 for l in labels if l != -100) == t_len and ids[: 64 - t_len] == full_ids[: 64 - t_len]


def test_path_errors_point_at_their_key(tmp_path):
    p = write_yaml(tmp_path, model_name_or_path="no/such/model")
    with pytest.raises(ConfigError) as e:
        resolve_paths(load_config(p))
    assert e.value.key == "model_name_or_path" and e.value.line == 1 and "does not exist" in e.value.message
    os.chmod(tmp_path, 0o500)
    try:
        if not os.access(str(tmp_path), os.W_OK):  # root ignores permissions
            with pytest.raises(ConfigError, match="not writable"):
                resolve_paths(load_config(write_yaml(tmp_path.parent, "ro.yaml", output_dir=str(tmp_path / "x"))))
    finally:
        os.chmod(tmp_path, 0o700)
