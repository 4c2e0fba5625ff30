"""The training config: LLaMA-Factory's keys, read from YAML with the line and column of every key so
that errors point into the file.

`load_config(path, overrides)` returns a `TrainConfig`; a bad value or an unknown key raises
`ConfigError` naming the key and its line (unknown keys with a did-you-mean), before anything loads.
Relative paths resolve against the working directory, as LLaMA-Factory resolves them.
"""

import math
import os
from pathlib import Path

import yaml

from .errors import ConfigError
from .keys import (
    ACCEPTED_NO_EFFECT,
    COMMON_TRAINING_ARGUMENTS,
    LLAMAFACTORY_ONLY,
    TYPED,
    did_you_mean,
    llamafactory_argument_names,
    training_argument_names,
)

KEYS = TYPED


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
        raise ConfigError(
            "invalid YAML: %s" % (e.problem or e),
            file=path,
            line=(mark.line + 1) if mark else 1,
            col=(mark.column + 1) if mark else 1,
        ) from None
    if node is None:
        raise ConfigError("the config is empty", file=path, line=1, col=1)
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(
            "the config must be a mapping of key: value",
            file=path,
            line=node.start_mark.line + 1,
            col=node.start_mark.column + 1,
        )
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
            warnings.append(
                (
                    "duplicate key '%s': the later value wins" % key,
                    "duplicate_key",
                    {"file": str(path), "line": pos[0], "col": key_node.start_mark.column + 1, "key": key},
                )
            )
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
            raise cfg.error(
                key, "expected %s, got '%s'" % ("an integer" if kind == "int" else "a number", value)
            ) from None
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
    """Relative paths resolve against the working directory, as LLaMA-Factory resolves them. When the
    path is missing there but exists beside the YAML file, the error says so."""
    p = Path(os.path.expanduser(str(value)))
    if p.is_absolute():
        resolved = p
    else:
        resolved = Path(os.path.abspath(str(Path.cwd() / p)))
    if must_exist and not resolved.exists():
        beside = Path(cfg.path).parent / p
        hint = None
        if not p.is_absolute() and beside.exists():
            hint = (
                "relative paths resolve against the working directory (%s), as in LLaMA-Factory; it exists beside "
                "the config: run from %s or write an absolute path" % (Path.cwd(), Path(cfg.path).parent)
            )
        raise cfg.error(key, "'%s' does not exist (resolved to %s)" % (value, resolved), hint=hint)
    return resolved


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
    if kind == "record":  # checked here for its line; started in train/__init__ with output_dir known
        from ..record.options import RecordOptionError, parse

        try:
            parse(value, os.getcwd())
        except RecordOptionError as e:
            raise cfg.error(key, str(e)) from None
        return value
    if kind.startswith("choice:"):
        choices = kind[len("choice:") :].split("|")
        if value not in choices:
            raise cfg.error(key, "expected one of %s, got %r" % (", ".join(choices), value), hint=None)
        return value
    raise AssertionError(kind)


def check_keys(cfg, raw):
    """Unknown keys are errors (with a did-you-mean), as LLaMA-Factory refuses them too."""
    static = set(TYPED) | ACCEPTED_NO_EFFECT | LLAMAFACTORY_ONLY | COMMON_TRAINING_ARGUMENTS
    candidates = [k for k in raw if k not in static]
    if not candidates:
        return set()
    trainer_keys = training_argument_names()  # imports transformers only when a key is not in the static lists
    lf_keys = None
    for key in candidates:
        if key in trainer_keys:
            continue
        if lf_keys is None:
            lf_keys = llamafactory_argument_names()
        if key in lf_keys:
            cfg.extra_llamafactory_keys.add(key)
            continue
        line, col = cfg.where.get("@" + key, cfg.where.get(key, (1, 1)))
        guess = did_you_mean(key, static | trainer_keys)
        raise ConfigError(
            "unknown key '%s'%s" % (key, " (did you mean '%s'?)" % guess if guess else ""),
            file=cfg.path,
            line=line,
            col=col,
            key=key,
            hint="LLaMA-Factory refuses unknown keys too; fix the spelling or remove the key",
        )
    return trainer_keys


def load_config(path, overrides=()):
    path = str(Path(path).resolve())
    raw, where, warnings = _read(path)
    for text in overrides:
        key, value = _parse_override(path, text, where)
        raw[key] = value
        where.setdefault(key, (1, 1))
    cfg = TrainConfig(path, {}, where, warnings)
    cfg.raw = raw
    cfg.extra_llamafactory_keys = set()
    check_keys(cfg, raw)
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
    # Everything else the YAML says goes to TrainingArguments as written.
    lf_only = LLAMAFACTORY_ONLY | cfg.extra_llamafactory_keys
    cfg.passthrough = {
        k: v
        for k, v in raw.items()
        if k not in KEYS and k not in ACCEPTED_NO_EFFECT and k not in lf_only and v is not None
    }
    cfg.llamafactory_only = [k for k in raw if k in lf_only]
    _check_combinations(cfg)
    return cfg


def resolve_paths(cfg):
    """Path checks for the engines that read the paths themselves (the llamafactory engine does its own)."""
    cfg.values["model_name_or_path"] = _resolve_path(cfg, "model_name_or_path", cfg.model_name_or_path, True)
    if not cfg.model_name_or_path.is_dir():
        raise cfg.error(
            "model_name_or_path",
            "'%s' is not a local folder (Batchscope never downloads models)" % cfg.model_name_or_path,
        )
    cfg.values["dataset_dir"] = _resolve_path(cfg, "dataset_dir", cfg.dataset_dir, "dataset_dir" in cfg.raw)
    out = _resolve_path(cfg, "output_dir", cfg.output_dir, False)
    parent = out
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(str(parent), os.W_OK):
        raise cfg.error("output_dir", "'%s' is not writable (%s)" % (cfg.get("output_dir"), parent))
    if out.exists() and not out.is_dir():
        raise cfg.error("output_dir", "'%s' is a file, not a folder" % out)
    cfg.values["output_dir"] = out
    if isinstance(cfg.resume_from_checkpoint, str):
        cfg.values["resume_from_checkpoint"] = _resolve_path(
            cfg, "resume_from_checkpoint", cfg.resume_from_checkpoint, True
        )
    if cfg.deepspeed:
        cfg.values["deepspeed"] = _resolve_path(cfg, "deepspeed", cfg.deepspeed, True)
    return cfg


def _check_combinations(cfg):
    if cfg.bf16 and cfg.fp16:
        raise cfg.error("fp16", "bf16 and fp16 are both true; choose one")
    if cfg.max_steps is not None and (cfg.max_steps == 0 or cfg.max_steps < -1):
        raise cfg.error("max_steps", "must be a positive number of steps, or -1 to use num_train_epochs")
    if cfg.val_size >= 1 and float(cfg.val_size) != int(cfg.val_size):
        raise cfg.error("val_size", "a fraction below 1 or a whole number of samples, got %r" % cfg.val_size)
    if not cfg.do_train:
        raise cfg.error("do_train", "is false: there is nothing to do (evaluation-only runs are not supported)")
    if cfg.quantization_bit is not None and cfg.quantization_bit not in (4, 8):
        raise cfg.error("quantization_bit", "expected one of 4, 8 (bits), got %r" % cfg.quantization_bit)
    if cfg.node_rank >= cfg.nnodes:
        raise cfg.error("node_rank", "must be below nnodes (%d), got %d" % (cfg.nnodes, cfg.node_rank))
