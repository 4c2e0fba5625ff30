"""Loading the model and tokenizer from a local folder, and precision helpers that work on
torch 1.13 and 2.x (no torch-2-only API without a fallback)."""
import contextlib

import torch


def _version_tuple(v):
    out = []
    for part in v.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def quiet_transformers():
    """No tqdm bars on stderr from save_pretrained/from_pretrained during a run."""
    try:
        from transformers.utils import logging

        logging.disable_progress_bar()
    except (ImportError, AttributeError):  # pragma: no cover - very old transformers
        pass


def load_tokenizer(path, trust_remote_code=False):
    from transformers import AutoTokenizer

    quiet_transformers()
    return AutoTokenizer.from_pretrained(str(path), trust_remote_code=trust_remote_code)


def load_model(path, trust_remote_code=False):
    """fp32 master weights; bf16/fp16 compute comes from autocast."""
    import transformers
    from transformers import AutoModelForCausalLM

    # transformers renamed torch_dtype to dtype in 4.56; older versions would ignore `dtype`.
    key = "dtype" if _version_tuple(transformers.__version__) >= (4, 56) else "torch_dtype"
    model = AutoModelForCausalLM.from_pretrained(str(path), trust_remote_code=trust_remote_code, **{key: torch.float32})
    if getattr(model.config, "use_cache", None):
        model.config.use_cache = False  # no KV cache while training (and required with checkpointing)
    return model


def choose_precision(cfg, device):
    """Returns (name, autocast dtype or None, warning or None)."""
    if device.type != "cuda":
        if cfg.bf16 or cfg.fp16:
            return "fp32", None, "%s is ignored on %s: training in fp32" % ("bf16" if cfg.bf16 else "fp16", device.type)
        return "fp32", None, None
    if cfg.bf16:
        supported = getattr(torch.cuda, "is_bf16_supported", lambda: False)()
        if not supported:
            return "fp32", None, "bf16 is not supported by this GPU: training in fp32 (try fp16: true)"
        return "bf16", torch.bfloat16, None
    if cfg.fp16:
        return "fp16", torch.float16, None
    return "fp32", None, None


def autocast(device, dtype):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(enabled):
    """torch.amp.GradScaler (torch >= 2.3) or torch.cuda.amp.GradScaler (older)."""
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        try:
            return amp.GradScaler("cuda", enabled=enabled)
        except TypeError:  # pragma: no cover - an early signature
            pass
    return torch.cuda.amp.GradScaler(enabled=enabled)
