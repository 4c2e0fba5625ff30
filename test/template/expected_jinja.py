"""Ground truth for the jinja conformance suites (micro-templates and the peer suite): renders each
template with transformers' own compiled environment (ImmutableSandboxedEnvironment, trim_blocks,
lstrip_blocks, AssistantTracker, loopcontrols, its tojson/raise_exception/strftime_now).

Usage: expected_jinja.py IN.json OUT.json
IN: {"now": ISO, "cases": [{"name", "template", "context": JSON text}]}
OUT: {"results": [{"text"} | {"error": {"cls", "message", "lineno"}}]}
"""
import datetime as _dt
import json
import sys
import traceback

import transformers.utils.chat_template_utils as ctu

spec = json.load(open(sys.argv[1], encoding="utf-8"))
NOW = _dt.datetime.fromisoformat(spec["now"])


class FixedNow(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


ctu.datetime = FixedNow
sys.setrecursionlimit(400)

results = []
for case in spec["cases"]:
    r = {}
    try:
        context = json.loads(case["context"])
        r["text"] = ctu._compile_jinja_template(case["template"]).render(**context)
    except Exception as e:  # noqa: BLE001 - every error class is part of the comparison
        frames = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == "<template>"]
        lineno = getattr(e, "lineno", None)
        r["error"] = {"cls": type(e).__name__, "message": str(e), "lineno": lineno if lineno is not None else (frames[-1] if frames else None)}
    results.append(r)
json.dump({"results": results}, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
