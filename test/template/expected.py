"""Ground truth for the template conformance suite: renders every case with Python transformers.

Usage: expected.py IN.json OUT.json. One process for all cases (transformers' import dominates).
IN: {"now": ISO, "tokenizers": {name: dir}, "templates": {name: src}, "cases": [...]}
OUT: {"special_tokens": {name: map}, "results": [{"text"} | {"error": {...}}, + "input_ids"/"assistant_masks"/"spans"]}
"""
import datetime as _dt
import json
import sys
import traceback

import transformers.utils.chat_template_utils as ctu
from transformers import AutoTokenizer

spec = json.load(open(sys.argv[1], encoding="utf-8"))
NOW = _dt.datetime.fromisoformat(spec["now"])


class FixedNow(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


ctu.datetime = FixedNow  # strftime_now reads the module's `datetime`

toks = {name: AutoTokenizer.from_pretrained(path) for name, path in spec["tokenizers"].items()}
out = {"special_tokens": {n: t.special_tokens_map for n, t in toks.items()}, "results": []}
for case in spec["cases"]:
    tok = toks[case["tokenizer"]]
    kw = dict(case.get("kwargs") or {})
    template = spec["templates"][case["template"]] if case.get("template") else None
    args = dict(
        tools=case.get("tools"),
        documents=case.get("documents"),
        add_generation_prompt=case.get("add_generation_prompt", False),
        continue_final_message=case.get("continue_final_message", False),
        chat_template=template,
        **kw,
    )
    r = {}
    try:
        r["text"] = tok.apply_chat_template(case["messages"], tokenize=False, **args)
    except Exception as e:  # noqa: BLE001 - every error class is part of the comparison
        # Runtime errors carry no lineno; the traceback's last frame in the template has it.
        frames = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == "<template>"]
        r["error"] = {"cls": type(e).__name__, "message": str(e), "lineno": getattr(e, "lineno", None), "tb_line": frames[-1] if frames else None}
    if case.get("mask") and "text" in r:
        enc = tok.apply_chat_template(case["messages"], tokenize=True, return_dict=True, return_assistant_tokens_mask=True, **args)
        r["input_ids"] = list(enc["input_ids"])
        r["assistant_masks"] = list(enc["assistant_masks"])
        msgs = [{k: v for k, v in m.items() if v is not None} for m in case["messages"]]
        _, idx = ctu.render_jinja_template(
            conversations=[msgs],
            tools=case.get("tools"),
            documents=case.get("documents"),
            chat_template=tok.get_chat_template(template, case.get("tools")),
            return_assistant_tokens_mask=True,
            add_generation_prompt=case.get("add_generation_prompt", False),
            **{**tok.special_tokens_map, **kw},
        )
        r["spans"] = [list(s) for s in idx[0]]
    out["results"].append(r)
json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
