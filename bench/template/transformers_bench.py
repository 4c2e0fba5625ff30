"""Times transformers' apply_chat_template(tokenize=False) for the cases bench/template.ts sends.

Usage: transformers_bench.py IN.json -> prints {"name": renders_per_second, ...} as JSON.
"""
import json
import sys
import time

from transformers import AutoTokenizer

spec = json.load(open(sys.argv[1], encoding="utf-8"))
toks = {}
out = {}
for case in spec["cases"]:
    tok = toks.get(case["tokenizer"]) or toks.setdefault(case["tokenizer"], AutoTokenizer.from_pretrained(case["tokenizer"]))
    kw = dict(tools=case.get("tools"), add_generation_prompt=True, **case.get("kwargs", {}))
    text = tok.apply_chat_template(case["messages"], tokenize=False, **kw)  # warm the template cache
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < spec["seconds"]:
        for _ in range(20):
            tok.apply_chat_template(case["messages"], tokenize=False, **kw)
        n += 20
    out[case["name"]] = {"rate": n / (time.perf_counter() - t0), "text": text}
print(json.dumps(out, ensure_ascii=False))
