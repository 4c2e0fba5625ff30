"""The adapter's requests for a stopped thread, answered by that thread inside its own process.

The controller forwards `stackTrace`, `scopes`, `variables`, `evaluate` and `exceptionInfo` for a
thread that an agent stopped; the stopped thread runs them (agent/stops.py), so `evaluate` sees
the stage's live objects in the process and thread that hold them.
"""

import os
import traceback
from collections.abc import Mapping

from .. import values, wire
from .batch_context import user_globals


def serve(agent, st, msg):
    cmd = msg.get("command")
    args = msg.get("arguments") or {}
    try:
        handler = _HANDLERS.get(cmd)
        if handler is None:
            raise AttributeError("unknown command %r" % cmd)
        body = handler(agent, st, args)
        agent.send({"type": "result", "id": msg.get("id"), "success": True, "body": body})
    except Exception as e:
        agent.send(
            {"type": "result", "id": msg.get("id"), "success": False, "message": "%s: %s" % (type(e).__name__, e)}
        )


def _vars(agent, st):
    if st.vars is None:
        st.vars = values.VarTable(agent.slot, agent.cfg.tokenizer or os.environ.get("BATCHSCOPE_TOKENIZER"))
    return st.vars


def stack_trace(agent, st, args):
    return wire.stack_trace_body(st.tid, st.frames, args)


def scopes(agent, st, args):
    vt = _vars(agent, st)
    ctx = st.ctx
    out = [
        {
            "name": "Stage",
            "variablesReference": vt.ref(("dict", st.locals)),
            "expensive": False,
            "presentationHint": "locals",
        }
    ]
    timings = {k: "%.3f ms" % (v * 1000) for k, v in ctx.timings.items()}
    out.append(
        {"name": "Timings", "variablesReference": vt.ref(("dict", timings)) if timings else 0, "expensive": False}
    )
    if st.exc_info is not None:
        out.append({"name": "Exception", "variablesReference": vt.ref(("attrs", st.exc_info)), "expensive": False})
    return {"scopes": out}


def variables(agent, st, args):
    vt = _vars(agent, st)
    return {
        "variables": vt.children(
            int(args["variablesReference"]), int(args.get("start") or 0), int(args.get("count") or 0)
        )
    }


def evaluate(agent, st, args):
    expr = args.get("expression") or ""
    lv = st.locals
    g = user_globals(st.ctx)
    try:
        code = compile(expr, "<evaluate>", "eval")
    except SyntaxError:
        exec(compile(expr, "<evaluate>", "exec"), g, lv)  # statements in the REPL (assignments) run too
        return {"result": "", "variablesReference": 0}
    value = eval(code, g, lv)
    v = _vars(agent, st).var("result", value, lv.get("batch") if isinstance(lv.get("batch"), Mapping) else None)
    return values.evaluate_result(v, value, args.get("context"))


def exception_info(agent, st, args):
    e = st.exc_info
    if e is None:
        if st.reason != "exception":
            raise ValueError("thread %d did not stop on an exception" % st.tid)
        # A check that found bad data (nan_inf) rather than a raised exception.
        return {
            "exceptionId": st.text or "exception",
            "description": st.description or "",
            "breakMode": "always",
            "details": {
                "message": st.description or "",
                "typeName": "NonFiniteValues",
                "fullTypeName": "batchscope.NonFiniteValues",
                "stackTrace": "",
            },
        }
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    mod = type(e).__module__
    return {
        "exceptionId": st.reason if st.reason != "exception" else (_filter_of(st) or "exception"),
        "description": "%s: %s" % (type(e).__name__, str(e)[:500]),
        "breakMode": "always",
        "details": {
            "message": str(e)[:2000],
            "typeName": type(e).__name__,
            "fullTypeName": "%s.%s" % (mod, type(e).__qualname__),
            "stackTrace": tb,
            "evaluateName": "exception",
        },
    }


def _filter_of(st):
    return {"fetch": "fetch_error", "sample": "fetch_error", "collate": "collate_error", "batch_ready": "nan_inf"}.get(
        st.stage
    )


_HANDLERS = {
    "stackTrace": stack_trace,
    "scopes": scopes,
    "variables": variables,
    "evaluate": evaluate,
    "exceptionInfo": exception_info,
}
