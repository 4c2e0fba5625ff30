"""Choosing the engine a config runs through, and why (the reason goes into the first event).

- `transformers`: our thin layer over transformers.Trainer + peft (the embedded default).
- `llamafactory`: LLaMA-Factory's own `run_exp`, for configs that use keys only it understands.
- `script`: a user's .py file or module run under the runtime (see script.py).
"""

import importlib.util

LLAMAFACTORY_VERSION = "0.9.5"
LLAMAFACTORY_INSTALL = (
    "python -m pip install llamafactory==%s (or: bash scripts/setup-llamafactory.sh)" % LLAMAFACTORY_VERSION
)


def llamafactory_installed():
    try:
        return importlib.util.find_spec("llamafactory") is not None
    except (ImportError, ValueError):
        return False


def llamafactory_keys(cfg):
    """The keys (with a why) that only LLaMA-Factory can honour in this config."""
    found = list(cfg.llamafactory_only)
    template = cfg.template
    if template and not str(template).endswith((".jinja", ".j2")):
        found.append("template")  # a LLaMA-Factory template name (qwen, llama3, ...): its own table
    if cfg.stage != "sft":
        found.append("stage")
    return found


def choose(cfg):
    """Returns (engine, reason). Raises ConfigError when the config cannot run anywhere here."""
    only_lf = llamafactory_keys(cfg)
    wanted = cfg.engine
    if wanted == "transformers":
        if only_lf:
            key = only_lf[0]
            raise cfg.error(
                key,
                "the transformers engine cannot honour %s; use engine: llamafactory (%s) or remove %s"
                % (_describe(cfg, only_lf), LLAMAFACTORY_INSTALL, "it" if len(only_lf) == 1 else "them"),
            )
        return "transformers", "engine: transformers in the config"
    if wanted == "llamafactory":
        if not llamafactory_installed():
            raise cfg.error(
                "engine", "llamafactory is not importable in this Python; install it: %s" % LLAMAFACTORY_INSTALL
            )
        return "llamafactory", "engine: llamafactory in the config"
    if only_lf:
        if llamafactory_installed():
            return "llamafactory", "keys only LLaMA-Factory understands: %s" % _describe(cfg, only_lf)
        raise cfg.error(
            only_lf[0],
            "%s need%s LLaMA-Factory, which is not installed in this Python: %s"
            % (_describe(cfg, only_lf), "s" if len(only_lf) == 1 else "", LLAMAFACTORY_INSTALL),
            hint="or remove %s to train with the transformers engine" % ", ".join(only_lf),
        )
    return "transformers", "every key is one the transformers engine honours (the default)"


def _describe(cfg, keys):
    parts = []
    for k in keys:
        v = cfg.raw.get(k)
        parts.append(
            "%s: %s (line %d)" % (k, v, cfg.where.get(k, (1, 1))[0])
            if isinstance(v, (str, int, float)) and not isinstance(v, bool)
            else "%s (line %d)" % (k, cfg.where.get(k, (1, 1))[0])
        )
    return ", ".join(parts)
