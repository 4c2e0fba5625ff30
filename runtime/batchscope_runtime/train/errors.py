"""Errors the training command reports with a place in the config, plus the CUDA OOM mapping.

Every user-facing error is printed once to stderr as
`batchscope: error: FILE:LINE:COL: message` (the problem matcher in package.json) and sent as an
`error` event. Locations are 1-based.
"""


class TrainError(Exception):
    """An error with an optional place: config file + line/col, or data file + line."""

    kind = "TrainError"

    def __init__(self, message, file=None, line=None, col=None, key=None, hint=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.key = key
        self.hint = hint

    def location(self):
        if self.file is None:
            return None
        return {"file": str(self.file), "line": int(self.line or 1), "col": int(self.col or 1), "key": self.key}


class ConfigError(TrainError):
    kind = "ConfigError"


class DataError(TrainError):
    kind = "DataError"


def matcher_line(severity, message, location=None):
    """The line the `batchscope-train` problem matcher understands."""
    if location:
        return "batchscope: %s: %s:%d:%d: %s" % (severity, location["file"], location["line"], location["col"], message)
    return "batchscope: %s: %s" % (severity, message)


def is_cuda_oom(exc):
    """torch >= 2.0 raises torch.cuda.OutOfMemoryError; 1.13 a RuntimeError with this text."""
    try:
        import torch

        oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
        if oom_type is not None and isinstance(exc, oom_type):
            return True
    except ImportError:  # pragma: no cover - torch is required to train at all
        pass
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower() and "cuda" in str(exc).lower()


def oom_error(exc, cfg):
    """Turns a CUDA OOM into an error that points at the batch size (or cutoff_len) line."""
    bs = cfg.get("per_device_train_batch_size") or 8  # the Trainer's default
    cutoff = cfg.get("cutoff_len")
    key = "per_device_train_batch_size" if bs > 1 or "cutoff_len" not in cfg.where else "cutoff_len"
    hint = (
        "CUDA ran out of memory: lower per_device_train_batch_size (now %d) and raise "
        "gradient_accumulation_steps to keep the effective batch, or lower cutoff_len (now %d); "
        "gradient_checkpointing: true also saves memory" % (bs, cutoff)
    )
    line, col = cfg.where.get(key, (1, 1))
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "CUDA out of memory"
    return TrainError(first, file=cfg.path, line=line, col=col, key=key, hint=hint)
