"""`python -m batchscope_runtime preview CONFIG.yaml [--n N] [--out FILE.jsonl]`: the first N samples
exactly as the chosen engine will feed them (input_ids, each token's text, labels, trained or not),
plus how many samples were truncated or dropped and why. One JSON object per line: a header line
{"type": "summary", engine, reason, counts...} then one line per sample. Exit 2 on a config error.

The transformers engine's samples come from the same code that trains (dataset.build); the
llamafactory engine's from LLaMA-Factory's own get_dataset.
"""

import argparse
import json
import sys

from .errors import TrainError, matcher_line


def _token_texts(tokenizer, ids):
    return [tokenizer.decode([t]) for t in ids]


def _rows_transformers(cfg, n):
    from .config import resolve_paths
    from .dataset import build, load_tokenizer

    resolve_paths(cfg)
    tok = load_tokenizer(cfg)
    samples, encoded, counts, _, _ = build(cfg, tok)
    rows = []
    from .encode import Encoder

    enc = Encoder(tok, cfg.cutoff_len)
    for i, s in enumerate(samples[:n]):
        out = enc.encode(s["messages"], s.get("tools"))
        if out is None:
            rows.append({"index": i, "file": s["file"], "line": s["line"], "dropped": "no assistant turn"})
            continue
        ids, labels, truncated = out
        rows.append(
            {
                "index": i,
                "file": s["file"],
                "line": s["line"],
                "input_ids": ids,
                "tokens": _token_texts(tok, ids),
                "labels": labels,
                "trained_tokens": sum(1 for l in labels if l != -100),
                "truncated": truncated,
            }
        )
    return rows, {
        "samples": len(samples),
        "truncated": counts["truncated"],
        "dropped": counts["dropped"],
        "why": {
            "truncated": "longer than cutoff_len=%d: cut like LLaMA-Factory (each turn keeps a share)" % cfg.cutoff_len,
            "dropped": "no assistant turn to train on",
        },
    }


def _rows_llamafactory(cfg, n):
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    args = {k: v for k, v in cfg.raw.items() if k != "engine"}
    model_args, data_args, training_args, finetuning_args, _ = get_train_args(args)
    tok_module = load_tokenizer(model_args)
    tok = tok_module["tokenizer"]
    template = get_template_and_fix_tokenizer(tok, data_args)
    module = get_dataset(template, model_args, data_args, training_args, stage=finetuning_args.stage, **tok_module)
    ds = module["train_dataset"]
    rows = []
    at_cutoff = 0
    for i, item in enumerate(ds):
        ids = list(item["input_ids"])
        if len(ids) >= data_args.cutoff_len:
            at_cutoff += 1
        if i < n:
            labels = list(item.get("labels", ids))
            rows.append(
                {
                    "index": i,
                    "input_ids": ids,
                    "tokens": _token_texts(tok, ids),
                    "labels": labels,
                    "trained_tokens": sum(1 for l in labels if l != -100),
                    "truncated": len(ids) >= data_args.cutoff_len,
                }
            )
    return rows, {
        "samples": len(ds),
        "truncated": at_cutoff,
        "dropped": None,
        "why": {
            "truncated": "reach cutoff_len=%d (LLaMA-Factory truncates, it does not say which)" % data_args.cutoff_len,
            "dropped": "LLaMA-Factory drops malformed samples with a warning in its log",
        },
    }


def main(argv):
    p = argparse.ArgumentParser(prog="python -m batchscope_runtime preview")
    p.add_argument("config")
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--out", default=None, help="write the lines here instead of stdout")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args(argv)
    from .config import load_config
    from .engines import choose

    try:
        cfg = load_config(args.config, args.overrides)
        engine, reason = choose(cfg)
        rows, counts = (_rows_llamafactory if engine == "llamafactory" else _rows_transformers)(cfg, args.n)
    except TrainError as e:
        print(matcher_line("error", e.message, e.location()), file=sys.stderr)
        return 2
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    out.write(json.dumps(dict({"type": "summary", "engine": engine, "reason": reason}, **counts)) + "\n")
    for r in rows:
        out.write(json.dumps(dict({"type": "sample"}, **r), ensure_ascii=False) + "\n")
    if args.out:
        out.close()
    return 0
