"""Loading the model and choosing what trains, with LLaMA-Factory's keys and meanings.

- `full`: every weight trains (fp32 master weights; bf16/fp16 compute through the Trainer's autocast).
- `lora`: peft LoRA on `lora_target` (`all` = every linear layer but the output head), rank
  `lora_rank`, `lora_alpha` (default 2 x rank), `lora_dropout`; `additional_target` trains fully.
- `freeze`: only the last `freeze_trainable_layers` layers (the first ones when negative) train, limited
  to `freeze_trainable_modules`, plus `freeze_extra_modules`.
- `quantization_bit` 4/8: QLoRA through bitsandbytes, CUDA only.
As in LLaMA-Factory, the frozen base of lora/freeze loads in the compute dtype (bf16/fp16) and the
trained parameters are kept in fp32.
"""

import re

import torch

FORBIDDEN_TARGETS = {"lm_head", "output_layer", "output", "embed_out"}


def _dtype(cfg):
    if cfg.finetuning_type == "full" and not cfg.quantization_bit:
        return torch.float32
    if cfg.bf16:
        return torch.bfloat16
    if cfg.fp16:
        return torch.float16
    return torch.float32


def dtype_kwarg():
    """The from_pretrained keyword for the weights' dtype: `dtype` since transformers 4.56 (`torch_dtype`
    is deprecated there). Older releases (4.47 on torch 1.13) do not know `dtype` and store it on the
    config as a torch.dtype, which then breaks the config's JSON (logging, save_pretrained)."""
    import transformers

    major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", transformers.__version__).groups())
    return "dtype" if (major, minor) >= (4, 56) else "torch_dtype"


def check_quantization(cfg):
    """QLoRA needs CUDA and bitsandbytes; an error on the quantization_bit line otherwise."""
    if not cfg.quantization_bit:
        return
    if cfg.finetuning_type != "lora":
        raise cfg.error(
            "quantization_bit", "quantized training needs finetuning_type: lora (QLoRA), got %s" % cfg.finetuning_type
        )
    if not torch.cuda.is_available():
        raise cfg.error(
            "quantization_bit",
            "QLoRA (%d-bit through bitsandbytes) needs a CUDA GPU, and this machine "
            "has none; remove quantization_bit to train LoRA unquantized" % cfg.quantization_bit,
        )
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise cfg.error(
            "quantization_bit", "QLoRA needs the bitsandbytes package: python -m pip install bitsandbytes"
        ) from None


def load_model(cfg):
    from transformers import AutoModelForCausalLM

    check_quantization(cfg)
    kwargs = {dtype_kwarg(): _dtype(cfg), "trust_remote_code": cfg.trust_remote_code}
    if cfg.quantization_bit:
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if cfg.bf16 else torch.float16 if cfg.fp16 else torch.float32
        kwargs["quantization_config"] = (
            BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type=cfg.quantization_type,
                bnb_4bit_compute_dtype=compute,
                bnb_4bit_use_double_quant=cfg.double_quantization,
            )
            if cfg.quantization_bit == 4
            else BitsAndBytesConfig(load_in_8bit=True)
        )
        import os

        kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    model = AutoModelForCausalLM.from_pretrained(str(cfg.model_name_or_path), **kwargs)
    if getattr(model.config, "use_cache", None):
        model.config.use_cache = False  # no KV cache while training (and required with checkpointing)
    return model


def all_linear_targets(model):
    """LLaMA-Factory's `lora_target: all`: the short names of every linear layer but the output head."""
    names = set()
    for full_name, module in model.named_modules():
        short = full_name.split(".")[-1]
        if short in FORBIDDEN_TARGETS or "vision" in full_name or "visual" in full_name:
            continue
        if isinstance(module, torch.nn.Linear) or "Linear" in type(module).__name__ and hasattr(module, "weight"):
            names.add(short)
    return sorted(names)


def apply_lora(cfg, model):
    from peft import LoraConfig, TaskType, get_peft_model

    if cfg.quantization_bit:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=bool(cfg.gradient_checkpointing))
    targets = cfg.lora_target
    if len(targets) == 1 and targets[0] == "all":
        targets = all_linear_targets(model)
    else:
        present = {n.split(".")[-1] for n, _ in model.named_modules()}
        missing = [t for t in targets if t not in present]
        if missing:
            raise cfg.error(
                "lora_target",
                "no module named %s in this model (it has: %s)"
                % (", ".join(missing), ", ".join(all_linear_targets(model))),
            )
    extra = cfg.additional_target
    if extra:
        present = {n.split(".")[-1] for n, _ in model.named_modules()}
        missing = [t for t in extra if t not in present]
        if missing:
            raise cfg.error("additional_target", "no module named %s in this model" % ", ".join(missing))
    lcfg = LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        inference_mode=False,
        r=cfg.lora_rank,
        lora_alpha=cfg.lora_alpha or cfg.lora_rank * 2,
        lora_dropout=cfg.lora_dropout,
        target_modules=targets,
        modules_to_save=extra or None,
    )
    model = get_peft_model(model, lcfg)
    _trainable_to_fp32(model)
    if cfg.gradient_checkpointing:
        model.enable_input_require_grads()  # checkpointed blocks need an input that requires grad
    return model


def _num_layers(config):
    for key in ("num_hidden_layers", "num_layers", "n_layer"):
        n = getattr(config, key, None)
        if n:
            return int(n)
    return None


def apply_freeze(cfg, model):
    n_layers = _num_layers(model.config)
    if n_layers is None:
        raise cfg.error("finetuning_type", "freeze: this model's config names no number of layers")
    n = cfg.freeze_trainable_layers
    ids = range(max(0, n_layers - n), n_layers) if n > 0 else range(min(-n, n_layers))
    hidden, non_hidden = set(), set()
    for name, _ in model.named_parameters():
        m = re.search(r"\.(\d+)\.([^.]+)", name)
        if m:
            hidden.add(m.group(2))
        else:
            parts = name.split(".")
            if len(parts) >= 2:
                non_hidden.add(parts[-2])
    patterns = []
    for module in cfg.freeze_trainable_modules:
        if module == "all":
            patterns += [".%d." % i for i in ids]
        elif module in hidden:
            patterns += [".%d.%s" % (i, module) for i in ids]
        else:
            raise cfg.error(
                "freeze_trainable_modules",
                "'%s' is not a module of the layers (they have: %s)" % (module, ", ".join(sorted(hidden))),
            )
    for module in cfg.freeze_extra_modules or []:
        if module not in non_hidden:
            raise cfg.error(
                "freeze_extra_modules",
                "'%s' is not a module outside the layers (there are: %s)" % (module, ", ".join(sorted(non_hidden))),
            )
        patterns.append(module)
    for name, p in model.named_parameters():
        if any(pat in name for pat in patterns):
            p.data = p.data.to(torch.float32)
        else:
            p.requires_grad_(False)
    if cfg.gradient_checkpointing:
        model.enable_input_require_grads()
    return model


def _trainable_to_fp32(model):
    for p in model.parameters():
        if p.requires_grad and p.dtype != torch.float32:
            p.data = p.data.to(torch.float32)


def prepare(cfg, model):
    """Applies finetuning_type; returns (model, trainable parameter count, total count)."""
    if cfg.finetuning_type == "lora":
        model = apply_lora(cfg, model)
    elif cfg.finetuning_type == "freeze":
        model = apply_freeze(cfg, model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return model, trainable, total
