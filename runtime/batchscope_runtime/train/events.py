"""The events channel (NDJSON, protocol/train-events.schema.json) and output_dir/trainer_log.jsonl.

The channel is stdout by default. To keep it clean of stray prints (from libraries, or C code),
`open_channel` moves the real stdout to a private descriptor and points fd 1 at stderr.
Only rank 0 writes events; other ranks get a writer with `enabled=False`.
"""

import datetime
import json
import math
import os
import sys
import time

from .errors import matcher_line


def open_channel(spec, rank=0):
    """`spec`: None (stdout), a number (an inherited fd) or a file path. Returns a text stream,
    or None on ranks other than 0 (whose stdout is pointed at stderr all the same)."""
    if rank != 0:
        sys.stdout.flush()
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return None
    if spec is None or spec == "-":
        sys.stdout.flush()
        fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        return os.fdopen(fd, "w", encoding="utf-8", buffering=1)
    if str(spec).isdigit():
        return os.fdopen(int(spec), "w", encoding="utf-8", buffering=1)
    return open(spec, "w", encoding="utf-8", buffering=1)


def _clean(value):
    """NaN/inf are not JSON: they become null (the schema allows null where it can happen)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class EventWriter:
    def __init__(self, stream=None, enabled=True):
        self.stream = stream
        self.enabled = enabled and stream is not None
        self.log = None

    def emit(self, type_, **fields):
        if not self.enabled:
            return
        event = {"type": type_, "time": time.time()}
        event.update(fields)
        try:
            self.stream.write(json.dumps(_clean(event), ensure_ascii=False, allow_nan=False) + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):  # the client went away; training goes on
            self.enabled = False

    def warning(self, message, code=None, location=None):
        """A warning event, and the same line on stderr for the problem matcher / terminal."""
        if self.stream is None:  # ranks other than 0 stay quiet
            return
        fields = {"message": message, "location": location}
        if code:
            fields["code"] = code
        self.emit("warning", **fields)
        print(matcher_line("warning", message, location), file=sys.stderr, flush=True)

    # trainer_log.jsonl, LLaMA-Factory's keys plus ours
    def open_log(self, path, keep_until_step=None):
        if not self.enabled:
            return
        kept = []
        if keep_until_step is not None and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        if json.loads(line).get("current_steps", 0) <= keep_until_step:
                            kept.append(line if line.endswith("\n") else line + "\n")
                    except json.JSONDecodeError:
                        pass
        self.log = open(path, "w", encoding="utf-8", buffering=1)
        self.log.writelines(kept)

    def log_line(self, record):
        if self.log is not None:
            self.log.write(json.dumps(_clean(record), ensure_ascii=False) + "\n")

    def close(self):
        if self.log is not None:
            self.log.close()
            self.log = None


def llamafactory_log(step, total, epoch, elapsed, remaining, **ours):
    return dict(
        current_steps=step,
        total_steps=total,
        epoch=round(epoch, 4),
        percentage=round(step / total * 100, 2) if total else 0.0,
        elapsed_time=str(datetime.timedelta(seconds=int(elapsed))),
        remaining_time=str(datetime.timedelta(seconds=int(remaining or 0))),
        **ours,
    )
