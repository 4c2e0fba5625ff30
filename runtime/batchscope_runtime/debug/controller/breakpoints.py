"""Breakpoint state the controller holds for every process: function breakpoints by stage, hit
counts, exception filters, pending steps and pause requests.

Hit counts live here rather than in the agents because a breakpoint's hits are counted over all
processes of the job (`hitCondition` "3" means the third batch at that stage, whichever worker).
The agents get all of it through the controller's `config` message.
"""

import re

from .. import wire
from .ordered_hits import ORDERED_STAGES, OrderedHits

HIT_RE = re.compile(r"^\s*(>=|>|%|==)?\s*(\d+)\s*$")


def hit_matches(cond, hits):
    """Whether the `hits`-th hit satisfies a DAP hitCondition (N, == N, >= N, > N, % N)."""
    m = HIT_RE.match(cond or "")
    if not m:
        return True
    op, n = m.group(1) or "==", int(m.group(2))
    if op == ">=":
        return hits >= n
    if op == ">":
        return hits > n
    if op == "%":
        return n > 0 and hits % n == 0
    return hits == n


class Breakpoints:
    """Guarded by the controller's lock."""

    def __init__(self):
        self.bps = []
        self.next_bp = 1
        self.filters = {}  # exception filter id -> condition or None
        self.steps = {}  # "loaderId/epoch/index" -> {"kind", "from"}
        self.pauses = set()  # thread ids asked to pause at their next stage boundary
        self.ordered = OrderedHits(self.count_hit)

    def set_function(self, specs):
        """Replace the function breakpoints; returns the DAP answer per spec. Ids and hit counts of
        breakpoints that stay the same survive."""
        out = []
        old = {(b["name"], b.get("condition"), b.get("hitCondition")): b for b in self.bps}
        self.bps = []
        for spec in specs:
            name = spec.get("name")
            key = (name, spec.get("condition") or None, spec.get("hitCondition") or None)
            if name not in wire.STAGES:
                out.append(
                    {"verified": False, "message": "unknown stage %r; stages: %s" % (name, ", ".join(wire.STAGES))}
                )
                continue
            hc = key[2]
            if hc is not None and not HIT_RE.match(hc):
                out.append({"verified": False, "message": "hitCondition must be N, >= N, > N or % N"})
                continue
            if key[1] is not None:
                try:
                    compile(key[1], "<condition>", "eval")
                except SyntaxError as e:
                    out.append({"verified": False, "message": "condition: %s" % e})
                    continue
            prev = old.get(key)
            bp = {
                "id": prev["id"] if prev else self.next_bp,
                "name": name,
                "condition": key[1],
                "hitCondition": hc,
                "hits": prev["hits"] if prev else 0,
            }
            if not prev:
                self.next_bp += 1
            self.bps.append(bp)
            out.append({"id": bp["id"], "verified": True})
        self.ordered.forget({b["id"] for b in self.bps})
        return out

    @staticmethod
    def parse_filters(args):
        """(filters, DAP answer) of a setExceptionBreakpoints request."""
        filters = {}
        out = []
        for f in args.get("filters") or []:
            if f in wire.FILTERS:
                filters[f] = None
        for opt in args.get("filterOptions") or []:
            if opt.get("filterId") in wire.FILTERS:
                filters[opt["filterId"]] = opt.get("condition") or None
        requested = list(args.get("filters") or []) + [o.get("filterId") for o in args.get("filterOptions") or []]
        for f in requested:
            out.append(
                {"verified": f in wire.FILTERS}
                if f in wire.FILTERS
                else {"verified": False, "message": "unknown filter %r" % f}
            )
        return filters, out

    def count_hit(self, bp_id):
        """One more hit of breakpoint `bp_id`; whether this hit stops."""
        stop = True
        for b in self.bps:
            if b["id"] == bp_id:
                b["hits"] += 1
                stop = hit_matches(b["hitCondition"], b["hits"])
        return stop

    def for_agents(self):
        return [
            {
                "id": b["id"],
                "name": b["name"],
                "condition": b["condition"],
                # "ordered": the agents report every batch, so hits count in batch-index order
                "hit": ("ordered" if b["name"] in ORDERED_STAGES else True) if b["hitCondition"] else False,
            }
            for b in self.bps
        ]

    def clear(self):
        """Detach: nothing may stop any more."""
        self.bps = []
        self.filters = {}
        self.steps = {}
        self.pauses = set()
        self.ordered.forget(set())
