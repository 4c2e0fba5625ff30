"""Where a recording is started from and where its progress goes.

Debug session (launch or attach): the main process's agent calls `attach_agent` once connected.
BATCHSCOPE_RECORD (set from launch.json's `record`) starts a recording; the adapter's
`recordBatches` request starts or stops one (`on_request`). Progress goes to the controller as
`recording` messages (the adapter's `batchscopeRecording` event) plus an output line at start and end.

Training run: `attach_training` starts the YAML's `record` (or BATCHSCOPE_RECORD) on global rank 0
and reports progress as `record` training events (protocol/train-events.schema.json).
"""

import os
import sys

from . import RecordError, add_sink, start, start_from_env, stop
from .options import RecordOptionError, parse
from .writer import describe


def _started_text(r):
    o = r.opts
    scope = " of loader %s" % o.loader if o.loader else ""
    return "batchscope: recording the next %d batches%s (at most %.0f MB) to %s\n" % (
        o.batches,
        scope,
        o.max_bytes / 1048576.0,
        o.path,
    )


def attach_agent(agent):
    """The debug agent of the main process is connected: report progress through it, honour BATCHSCOPE_RECORD."""

    def sink(p):
        agent.send({"type": "recording", "body": p})
        if p["done"]:
            agent.send({"type": "output", "category": "console", "output": "batchscope: " + describe(p) + "\n"})

    add_sink(sink)
    try:
        r = start_from_env()
    except (RecordOptionError, RecordError) as e:
        agent.send({"type": "output", "category": "stderr", "output": "batchscope: not recording batches: %s\n" % e})
        return
    if r is not None:
        agent.send({"type": "output", "category": "console", "output": _started_text(r)})


def on_request(agent, msg):
    """The adapter's `recordBatches`: {batches, maxMB, path, loader} starts, {stop: true} stops.
    Answers with the recording's progress (path, batches, bytes, limits)."""
    args = dict(msg.get("arguments") or {})
    try:
        if args.pop("stop", False):
            body = stop(wait=5.0) or {"done": True, "batches": 0, "bytes": 0, "path": None}
        else:
            opts = parse(args or True)
            if opts is None:
                raise RecordOptionError("'batches' must be a whole number >= 1, got %r" % (args.get("batches"),))
            r = start(options=opts)
            agent.send({"type": "output", "category": "console", "output": _started_text(r)})
            body = r.progress()
        agent.send({"type": "result", "id": msg.get("id"), "success": True, "body": body})
    except (RecordOptionError, RecordError) as e:
        agent.send({"type": "result", "id": msg.get("id"), "success": False, "message": "batchscope: %s" % e})


def attach_training(events, cfg=None):
    """A training run: start the YAML's `record` (else BATCHSCOPE_RECORD) on global rank 0. Returns the
    Recorder or None. Bad settings were refused with their line when the config was loaded."""
    if int(os.environ.get("RANK", "0") or 0) != 0:
        return None
    value = cfg.get("record") if cfg is not None else None
    folder = str(cfg.get("output_dir")) if cfg is not None and cfg.get("output_dir") else None
    if folder:
        folder = os.path.abspath(folder)

    def sink(p):
        fields = {k: p[k] for k in ("path", "batches", "rows", "bytes", "limit_batches", "limit_bytes", "done")}
        if p["done"]:
            fields["reason"] = p.get("reason") or "stopped"
        if p.get("error"):
            fields["error"] = p["error"]
        events.emit("record", **fields)  # the terminal prints the final one (terminalFormat.ts)

    from . import current

    if current() is not None:  # a debug session's launch.json `record` already runs: report it here too
        add_sink(sink)
        return current()
    opts = parse(value, folder) if value is not None else None
    if opts is None and not os.environ.get("BATCHSCOPE_RECORD"):
        return None
    add_sink(sink)
    r = start(options=opts) if opts is not None else start_from_env(folder)
    if r is not None:
        print(_started_text(r), file=sys.stderr, end="", flush=True)
    return r
