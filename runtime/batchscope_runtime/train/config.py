"""The training config: LLaMA-Factory's SFT keys where they mean the same thing, read from YAML
with the line and column of every key so that errors point into the file.

`load_config(path, overrides)` returns a `TrainConfig`; a bad value raises `ConfigError` naming
the key and its line. Unknown keys become warnings (never silently ignored).
"""
import math
import os
from pathlib import Path

import yaml

from .errors import ConfigError

SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt")

# key: (kind, default, constraint). kinds: int, float, bool, str, path, list, resume, choice:<a|b>
KEYS = {
    "model_name_or_path": ("path", None, "required"),
    "template": ("str", None, None),
    "dataset": ("list", None, "required"),
    "dataset_dir": ("path", "data", None),
    "cutoff_len": ("int", 2048, ">=1"),
    "max_samples": ("int", None, ">=1"),
    "val_size": ("float", 0.0, ">=0"),
    "per_device_train_batch_size": ("int", 8, ">=1"),
    "per_device_eval_batch_size": ("int", 8, ">=1"),
    "gradient_accumulation_steps": ("int", 1, ">=1"),
    "learning_rate": ("float", 5e-5, ">0"),
    "lr_scheduler_type": ("choice:" + "|".join(SCHEDULERS), "linear", None),
    "warmup_steps": ("int", 0, ">=0"),
    "warmup_ratio": ("float", 0.0, "0..1"),
    "weight_decay": ("float", 0.0, ">=0"),
    "max_grad_norm": ("float", 1.0, ">=0"),
    "num_train_epochs": ("float", 3.0, ">0"),
    "max_steps": ("int", -1, None),
    "logging_steps": ("int", 10, ">=1"),
    "save_steps": ("int", 500, ">=0"),
    "save_total_limit": ("int", None, ">=1"),
    "eval_steps": ("int", None, ">=1"),
    "output_dir": ("path", None, "required"),
    "bf16": ("bool", False, None),
    "fp16": ("bool", False, None),
    "seed": ("int", 42, ">=0"),
    "preprocessing_num_workers": ("int", None, ">=1"),
    "dataloader_num_workers": ("int", 0, ">=0"),
    "dataloader_pin_memory": ("bool", True, None),
    "resume_from_checkpoint": ("resume", None, None),
    "gradient_checkpointing": ("bool", False, None),
    "trust_remote_code": ("bool", False, None),
    "nproc_per_node": ("int", 1, ">=1"),
    "ddp_backend": ("choice:nccl|gloo", None, None),
    # LLaMA-Factory keys with one accepted value here: anything else is an error, not a surprise.
    "stage": ("choice:sft", "sft", None),
    "finetuning_type": ("choice:full", "full", None),
    "do_train": ("bool", True, None),
}

# Keys LLaMA-Factory / HF configs carry that change nothing here; accepted without a warning.
NO_EFFECT = {"overwrite_cache", "overwrite_output_dir", "plot_loss", "report_to", "ddp_timeout", "run_name",
             "disable_tqdm", "logging_dir", "logging_strategy", "save_strategy", "save_only_model"}

CHOICE_HINTS = {
    "finetuning_type": "Batchscope trains all weights (full fine-tuning); LoRA/freeze are not supported",
    "stage": "Batchscope runs supervised fine-tuning (sft) only",
}


class TrainConfig:
    """Validated values, plus `where[key] = (line, col)` and the list of warnings found."""

    def __init__(self, path, values, where, warnings):
        self.path = path
        self.values = values
        self.where = where
        self.warnings = warnings  # (message, code, location-or-None)

    def __getattr__(self, key):
        try:
            return self.__dict__["values"][key]
        except KeyError:
            raise AttributeError(key) from None

    def get(self, key, default=None):
        return self.values.get(key, default)

    def __contains__(self, key):
        return key in self.values

    def location(self, key):
        line, col = self.where.get(key, (1, 1))
        return {"file": str(self.path), "line": line, "col": col, "key": key}

    def error(self, key, message, hint=None):
        line, col = self.where.get(key, (1, 1))
        return ConfigError("%s: %s" % (key, message), file=self.path, line=line, col=col, key=key, hint=hint)


def _compose(path, text):
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ConfigError("invalid YAML: %s" % (e.problem or e), file=path,
                          line=(mark.line + 1) if mark else 1, col=(mark.column + 1) if mark else 1) from None
    if node is None:
        raise ConfigError("the config is empty", file=path, line=1, col=1)
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError("the config must be a mapping of key: value", file=path,
                          line=node.start_mark.line + 1, col=node.start_mark.column + 1)
    return node


def _read(path):
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError("cannot read the config: %s" % e.strerror, file=path, line=1, col=1) from None
    node = _compose(path, text)
    raw, where, warnings = {}, {}, []
    loader = yaml.SafeLoader("")
    for key_node, value_node in node.value:
        key = key_node.value
        pos = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        if key in raw:
            warnings.append(("duplicate key '%s': the later value wins" % key, "duplicate_key",
                             {"file": str(path), "line": pos[0], "col": key_node.start_mark.column + 1, "key": key}))
        raw[key] = loader.construct_object(value_node, deep=True)
        where[key] = pos
        where["@" + key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    return raw, where, warnings


def _parse_override(path, text, where):
    if "=" not in text:
        raise ConfigError("--set expects key=value, got '%s'" % text, file=path, line=1, col=1)
    key, value = text.split("=", 1)
    key = key.strip()
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return key, parsed


def _number(cfg, key, value, kind):
    if isinstance(value, bool):
        raise cfg.error(key, "expected %s, got %r" % ("an integer" if kind == "int" else "a number", value))
    if isinstance(value, str):
        # PyYAML reads `1e-4` (no dot) as a string; accept what Python reads as a number.
        try:
            value = float(value.strip())
        except ValueError:
            raise cfg.error(key, "expected %s, got '%s'" % ("an integer" if kind == "int" else "a number", value)) from None
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise cfg.error(key, "expected a number, got %r" % (value,))
    if kind == "int":
        if float(value) != int(value):
            raise cfg.error(key, "expected an integer, got %r" % (value,))
        return int(value)
    return float(value)


def _check_constraint(cfg, key, value, constraint):
    if value is None or constraint in (None, "required"):
        return
    ok = {">=0": value >= 0, ">=1": value >= 1, ">0": value > 0, "0..1": 0 <= value <= 1}[constraint]
    if not ok:
        words = {">=0": "at least 0", ">=1": "at least 1", ">0": "greater than 0", "0..1": "between 0 and 1"}
        raise cfg.error(key, "must be %s, got %r" % (words[constraint], value))


def _resolve_path(cfg, key, value, must_exist):
    """Relative paths: the YAML file's folder first, then the working directory (LLaMA-Factory's)."""
    p = Path(os.path.expanduser(str(value)))
    if p.is_absolute():
        return p
    beside = (Path(cfg.path).resolve().parent / p)
    if not must_exist or beside.exists():
        return beside
    in_cwd = Path.cwd() / p
    return in_cwd if in_cwd.exists() else beside


def _coerce(cfg, key, kind, value):
    if kind in ("int", "float"):
        return _number(cfg, key, value, kind)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise cfg.error(key, "expected true or false, got %r" % (value,))
    if kind in ("str", "path"):
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            raise cfg.error(key, "expected a string, got %r" % (value,))
        return str(value)
    if kind == "list":
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = [v.strip() for v in value if v.strip()]
        else:
            raise cfg.error(key, "expected a name or a comma-separated list of names, got %r" % (value,))
        if not items:
            raise cfg.error(key, "is empty")
        return items
    if kind == "resume":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "latest"):
            return value.strip().lower() != "false"
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise cfg.error(key, "expected a checkpoint folder or true (= the latest in output_dir), got %r" % (value,))
    if kind.startswith("choice:"):
        choices = kind[len("choice:"):].split("|")
        if value not in choices:
            raise cfg.error(key, "expected one of %s, got %r" % (", ".join(choices), value), hint=CHOICE_HINTS.get(key))
        return value
    raise AssertionError(kind)


def load_config(path, overrides=()):
    path = str(Path(path).resolve())
    raw, where, warnings = _read(path)
    for text in overrides:
        key, value = _parse_override(path, text, where)
        raw[key] = value
        where.setdefault(key, (1, 1))
    cfg = TrainConfig(path, {}, where, warnings)
    for key in raw:
        if key not in KEYS and key not in NO_EFFECT:
            line, col = where.get("@" + key, where.get(key, (1, 1)))
            warnings.append(("unknown key '%s' is ignored" % key, "unknown_key",
                             {"file": path, "line": line, "col": col, "key": key}))
    for key, (kind, default, constraint) in KEYS.items():
        value = raw.get(key)
        if value is None:
            if constraint == "required":
                raise ConfigError("missing required key '%s'" % key, file=path, line=1, col=1, key=key)
            cfg.values[key] = default
            continue
        value = _coerce(cfg, key, kind, value)
        _check_constraint(cfg, key, value, constraint)
        cfg.values[key] = value
    _check_combinations(cfg)
    cfg.values["model_name_or_path"] = _resolve_path(cfg, "model_name_or_path", cfg.model_name_or_path, True)
    cfg.values["dataset_dir"] = _resolve_path(cfg, "dataset_dir", cfg.dataset_dir, True)
    cfg.values["output_dir"] = _resolve_path(cfg, "output_dir", cfg.output_dir, False)
    if not cfg.model_name_or_path.is_dir():
        raise cfg.error("model_name_or_path", "'%s' is not a local folder (Batchscope never downloads models)"
                        % cfg.model_name_or_path)
    if isinstance(cfg.resume_from_checkpoint, str):
        cfg.values["resume_from_checkpoint"] = _resolve_path(cfg, "resume_from_checkpoint", cfg.resume_from_checkpoint, True)
    return cfg


def _check_combinations(cfg):
    if cfg.bf16 and cfg.fp16:
        raise cfg.error("fp16", "bf16 and fp16 are both true; choose one")
    if cfg.max_steps == 0 or cfg.max_steps < -1:
        raise cfg.error("max_steps", "must be a positive number of steps, or -1 to use num_train_epochs")
    if cfg.val_size >= 1 and float(cfg.val_size) != int(cfg.val_size):
        raise cfg.error("val_size", "a fraction below 1 or a whole number of samples, got %r" % cfg.val_size)
    if not cfg.do_train:
        raise cfg.error("do_train", "is false: there is nothing to do (evaluation-only runs are not supported)")
