"""DAP variables for the values a stage holds: tensors summarised on demand, token ids decoded.

Nothing here runs on the hot path: a summary is computed only when a `variables` request asks.
"""

import json
import os
import sys
from collections.abc import Mapping

MAX_ROWS = 8  # rows of a tensor shown under `values` / `decoded`
REPL_REPR_LIMIT = 20000  # characters of a value's repr the Debug Console prints


def evaluate_result(var, value, context):
    """The `evaluate` body for `value`, whose DAP variable is `var`. In the Debug Console (`repl`)
    and for copying (`clipboard`) the result is Python's own repr, as a Python REPL prints it;
    watches and hovers keep the short summary (`list[12]`, tensor statistics)."""
    out = {"result": var["value"], "type": var.get("type"), "variablesReference": var["variablesReference"]}
    if context in ("repl", "clipboard"):
        out["result"] = short_repr(value, REPL_REPR_LIMIT)
    for k in ("indexedVariables", "namedVariables"):
        if k in var:
            out[k] = var[k]
    return out


class Lazy:
    """A child whose value is computed when expanded (tensor statistics, decoded text)."""

    def __init__(self, label, fn):
        self.label = label
        self.fn = fn


class Tokenizer:
    _cache = {}

    @classmethod
    def load(cls, folder):
        if not folder:
            return None
        if folder not in cls._cache:
            tok, pad = None, None
            try:
                from tokenizers import Tokenizer as HFTokenizer

                tok = HFTokenizer.from_file(os.path.join(folder, "tokenizer.json"))
                cfg_path = os.path.join(folder, "tokenizer_config.json")
                if os.path.exists(cfg_path):
                    with open(cfg_path, encoding="utf-8") as f:
                        pad_tok = json.load(f).get("pad_token")
                    if isinstance(pad_tok, dict):
                        pad_tok = pad_tok.get("content")
                    if isinstance(pad_tok, str):
                        pad = tok.token_to_id(pad_tok)
            except Exception as e:  # a broken tokenizer folder must not break the debugger
                print("batchscope: cannot load tokenizer from %s: %s" % (folder, e), file=sys.stderr)
                tok = None
            cls._cache[folder] = (tok, pad)
        return cls._cache[folder]


def _torch():
    return sys.modules.get("torch")


def is_tensor(x):
    t = _torch()
    return t is not None and isinstance(x, t.Tensor)


def tensor_stats(x, name=None, siblings=None, tokenizer=None):
    """Shape, dtype, device, min/max/mean, NaN/Inf counts and padding ratio of one tensor."""
    t = _torch()
    out = {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""), "device": str(x.device)}
    if x.numel() == 0:
        return out
    y = x.detach()
    if y.is_floating_point():
        finite = t.isfinite(y)
        out["nan_count"] = int(t.isnan(y).sum())
        out["inf_count"] = int(t.isinf(y).sum())
        z = y[finite].double() if out["nan_count"] or out["inf_count"] else y.double()
    elif y.dtype == t.bool:
        z = y.double()
    elif y.is_complex():
        return out
    else:
        z = y.double()
    if z.numel():
        out["min"] = _num(z.min().item())
        out["max"] = _num(z.max().item())
        out["mean"] = round(z.mean().item(), 4)
    pad = padding_ratio(x, name, siblings, tokenizer)
    if pad is not None:
        out["padding_ratio"] = round(pad, 4)
    return out


def _num(v):
    return int(v) if float(v).is_integer() else round(v, 6)


def padding_ratio(x, name, siblings, tokenizer):
    t = _torch()
    if x.dim() == 0 or x.is_floating_point():
        return None
    mask = (siblings or {}).get("attention_mask")
    if name in ("input_ids", "labels") and is_tensor(mask) and mask.shape == x.shape:
        return 1.0 - float(mask.double().mean())
    if name == "labels":
        return float((x == -100).double().mean())
    pad = tokenizer[1] if tokenizer else None
    if name == "input_ids" and pad is not None:
        return float((x == pad).double().mean())
    if name == "attention_mask":
        return float((x == 0).double().mean())
    return None if t is None else None


def tensor_line(x, stats):
    parts = ["Tensor%s %s %s" % (list(x.shape), stats["dtype"], stats["device"])]
    for k in ("min", "max", "mean"):
        if k in stats:
            parts.append("%s %s" % (k, stats[k]))
    if "nan_count" in stats:
        parts.append("nan %d" % stats["nan_count"])
    if "padding_ratio" in stats:
        parts.append("pad %d%%" % round(100 * stats["padding_ratio"]))
    return " · ".join(parts)


def decode_rows(x, name, tokenizer):
    tok = tokenizer[0] if tokenizer else None
    if tok is None or x.dim() == 0 or x.is_floating_point():
        return None
    rows = x.reshape(1, -1) if x.dim() == 1 else x.reshape(x.shape[0], -1)
    out = []
    for row in rows[:MAX_ROWS].tolist():
        if name == "labels":
            # Masked positions (-100) are not tokens: render each as a dot so the alignment shows.
            pieces, run = [], []
            for tid in row:
                if tid == -100:
                    if run:
                        pieces.append(tok.decode(run, skip_special_tokens=False))
                        run = []
                    pieces.append("·")
                else:
                    run.append(int(tid))
            if run:
                pieces.append(tok.decode(run, skip_special_tokens=False))
            out.append("".join(pieces))
        else:
            out.append(tok.decode([int(i) for i in row if i >= 0], skip_special_tokens=False))
    return out


def short_repr(obj, limit=200):
    try:
        r = repr(obj)
    except Exception as e:
        r = "<repr failed: %s>" % type(e).__name__
    return r if len(r) <= limit else r[: limit - 1] + "…"


class VarTable:
    """Variables of one stop: allocates references (slot << 20 | n) for expandable values."""

    def __init__(self, slot, tokenizer_dir=None):
        self.base = (slot or 0) << 20
        self.refs = {}
        self.next = 1
        self.tokenizer_dir = tokenizer_dir

    def tokenizer(self):
        return Tokenizer.load(self.tokenizer_dir)

    def ref(self, entry):
        n = self.next
        self.next += 1
        ref = self.base | n
        self.refs[ref] = entry
        return ref

    def var(self, name, obj, siblings=None):
        """One DAP variable for `obj`; children are made only when expanded."""
        name = str(name)
        if isinstance(obj, Lazy):
            return {
                "name": name,
                "value": obj.label,
                "variablesReference": self.ref(("lazy", obj)),
                "presentationHint": {"lazy": True},
            }
        if is_tensor(obj):
            # The headline needs the statistics: computed here, i.e. only when the parent is expanded.
            try:
                stats = tensor_stats(obj, name, siblings, self.tokenizer())
                line = tensor_line(obj, stats)
            except Exception as e:
                stats, line = {"error": str(e)}, "Tensor%s (stats failed: %s)" % (list(obj.shape), e)
            return {
                "name": name,
                "value": line,
                "type": "Tensor",
                "variablesReference": self.ref(("tensor", obj, name, stats)),
                "presentationHint": {"lazy": False},
            }
        if isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
            return {"name": name, "value": short_repr(obj, 2000), "type": type(obj).__name__, "variablesReference": 0}
        if isinstance(obj, Mapping):
            # dict, and mappings that are not dicts (transformers' BatchEncoding is a UserDict):
            # their keys, not their internals.
            return {
                "name": name,
                "value": "%s[%d]" % (type(obj).__name__, len(obj)),
                "type": type(obj).__name__,
                "variablesReference": self.ref(("dict", obj)),
                "namedVariables": len(obj),
            }
        if isinstance(obj, (list, tuple)):
            v = {
                "name": name,
                "value": short_repr(obj)
                if len(obj) <= 16 and all(isinstance(i, (int, float, str)) for i in obj)
                else "%s[%d]" % (type(obj).__name__, len(obj)),
                "type": type(obj).__name__,
                "variablesReference": self.ref(("seq", obj)) if obj else 0,
                "indexedVariables": len(obj),
            }
            return v
        if isinstance(obj, BaseException):
            return {
                "name": name,
                "value": "%s: %s" % (type(obj).__name__, short_repr(str(obj))),
                "type": type(obj).__name__,
                "variablesReference": self.ref(("attrs", obj)),
            }
        if hasattr(obj, "__dict__") and not callable(obj):
            return {
                "name": name,
                "value": short_repr(obj),
                "type": type(obj).__name__,
                "variablesReference": self.ref(("attrs", obj)),
            }
        return {"name": name, "value": short_repr(obj), "type": type(obj).__name__, "variablesReference": 0}

    def children(self, ref, start=0, count=0):
        entry = self.refs.get(ref)
        if entry is None:
            raise KeyError("unknown variablesReference %d (the thread has continued)" % ref)
        kind = entry[0]
        if kind == "dict":
            items = list(entry[1].items())
            sib = entry[1]
        elif kind == "seq":
            items = [(i, v) for i, v in enumerate(entry[1])]
            sib = None
        elif kind == "attrs":
            obj = entry[1]
            items = [(k, v) for k, v in vars(obj).items() if not k.startswith("__")]
            if isinstance(obj, BaseException):
                items = [("args", list(obj.args))] + items
            sib = None
        elif kind == "lazy":
            value = entry[1].fn()
            items = list(value.items()) if isinstance(value, dict) else [(i, v) for i, v in enumerate(value)]
            sib = None
        elif kind == "tensor":
            return self._tensor_children(*entry[1:])
        else:
            items, sib = [], None
        if count:
            items = items[start : start + count]
        elif start:
            items = items[start:]
        return [self.var(("[%d]" % k) if isinstance(k, int) else k, v, sib) for k, v in items]

    def _tensor_children(self, x, name, stats):
        out = [self.var(k, v) for k, v in stats.items()]
        try:
            rows = x.detach().reshape(-1)[:64] if x.dim() <= 1 else x.detach()[:MAX_ROWS]
            out.append(
                {
                    "name": "values",
                    "value": short_repr(rows.tolist(), 400),
                    "type": "list",
                    "variablesReference": self.ref(("seq", rows.tolist())),
                }
            )
        except Exception:
            pass
        if name in ("input_ids", "labels"):
            decoded = decode_rows(x, name, self.tokenizer())
            if decoded is not None:
                out.append(
                    {
                        "name": "decoded",
                        "value": short_repr(decoded[0] if len(decoded) == 1 else decoded, 400),
                        "type": "list",
                        "variablesReference": self.ref(("seq", decoded)),
                    }
                )
        return out
