"""The agent's view of the controller's settings, and the stepping rules that read it.

The controller sends the whole config on every change; the agent replaces its snapshot wholesale,
so the hot path reads `cfg.armed` without a lock and never sees half an update.
"""

from .. import wire

ORDER = {s: i for i, s in enumerate(wire.STAGES)}


class Config:
    """Immutable snapshot of the controller's config; replaced wholesale on every update."""

    def __init__(self, msg=None):
        msg = msg or {}
        self.version = int(msg.get("version") or 0)
        self.attached = bool(msg.get("attached"))
        self.go = bool(msg.get("go", True))
        self.filters = msg.get("filters") or {}
        self.hang_timeout = float(msg.get("hangTimeout") or 30.0)
        self.steps = msg.get("steps") or {}
        self.pauses = frozenset(msg.get("pauses") or ())
        self.stopped = frozenset(msg.get("stopped") or ())
        self.tokenizer = msg.get("tokenizer")
        self.by_stage = {}
        for bp in msg.get("bps") or []:
            code = None
            if bp.get("condition"):
                try:
                    code = compile(bp["condition"], "<condition>", "eval")
                except SyntaxError:
                    code = None
            self.by_stage.setdefault(bp["name"], []).append((bp["id"], bp.get("condition"), code, bp.get("hit")))
        self.armed = self.attached and bool(self.by_stage or self.steps or self.pauses)
        self.hang = self.attached and "hang" in self.filters
        self.nan = self.attached and "nan_inf" in self.filters


def step_matches(step, stage):
    """Whether a `next`/`stepIn`/`stepOut` taken at `step["from"]` ends at `stage`."""
    frm = step.get("from") or "sampler"
    kind = step.get("kind")
    cur, f = ORDER[stage], ORDER.get(frm, 0)
    if kind == "stepOut":
        if f < ORDER["batch_ready"]:
            return stage == "batch_ready" or cur > ORDER["batch_ready"]
        return stage == "train_step" and f < ORDER["train_step"]
    if kind == "stepIn" and frm == "fetch":
        return cur >= ORDER["sample"]
    if frm == "sample":
        return cur >= ORDER["sample"]
    return cur > f and stage != "sample"
