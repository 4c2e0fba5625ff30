"""Hit counts in batch-index order, whatever order the workers arrive in.

With workers, batch 1 can reach `fetch` before batch 0, so counting hits as they arrive made
`% 2` stop batches 2, 1, 5, 7. For stages every batch passes once, the agents report each batch
(condition true or false) with its (loader, epoch, index); the reports of one breakpoint and one
loader epoch are counted in index order. A report waits for the earlier batches; when one of them
never comes (it failed earlier, it is held at another stop, or the session attached mid-epoch),
the gap is skipped after GAP_S, so nothing waits for long.

A gap is skipped after GAP_S only once every worker of the loader has reported in that stream (the
reports name the worker and the loader's worker count): until then the missing batch may belong to
a worker whose agent is still connecting, which under CPU load takes seconds, and skipping it made
`% 2` stop batch 2 instead of 1. A gap that stays is skipped after LONG_GAP_S whatever the cause
(a worker that ended its share of an IterableDataset, or died, before the batch).
"""

import time

# Stages each batch passes at most once: their hits can be ordered by batch index.
ORDERED_STAGES = frozenset(("sampler", "fetch", "collate", "batch_ready", "pin_memory", "to_device", "train_step"))
GAP_S = 1.0
LONG_GAP_S = 15.0


class OrderedHits:
    """Guarded by the controller's lock. `count(bp_id, matched)` is the breakpoints' hit counter."""

    def __init__(self, count):
        self.count = count
        self.streams = {}  # (bp id, loader id, epoch) -> {"next": index, "held": {index: (matched, reply)}}

    def report(self, bp_id, key, matched, reply, worker=None, workers=None):
        """One batch passed breakpoint `bp_id`'s stage; returns the (reply, stop) answers now due.
        `worker` / `workers`: the reporting worker's id and the loader's worker count (None in the
        main process)."""
        loader, epoch, index = key[:3]
        s = self.streams.get((bp_id, loader, epoch))
        if s is None:
            # A resumed epoch (accelerate's skip_first_batches) starts at the batch it resumes at: the
            # key's 4th element says which, so its first hit does not wait GAP_S for skipped batches.
            first = key[3] if len(key) > 3 else 0
            s = self.streams[(bp_id, loader, epoch)] = {
                "next": first,
                "held": {},
                "since": None,
                "seen": set(),
                "workers": None,
            }
        if worker is not None:
            s["seen"].add(worker)
            s["workers"] = workers
        if index < s["next"]:  # later than its gap was skipped: count it now
            return self._one(bp_id, matched, reply)
        s["held"][index] = (matched, reply)
        out = self._drain(bp_id, s)
        if not s["held"]:
            s["since"] = None
        elif s["since"] is None or out:
            s["since"] = time.monotonic()  # this stream starts waiting for an earlier batch
        return out

    def waiting(self):
        """Whether a report waits for an earlier batch (the caller arms a gap timer)."""
        return any(s["held"] for s in self.streams.values())

    def skip_gaps(self, min_wait=0.0, long_wait=None):
        """The earlier batches did not come: count what waited `min_wait` s or more (`long_wait` s while
        a worker of the loader has not reported yet), lowest index first."""
        out = []
        now = time.monotonic()
        for (bp_id, _, _), s in self.streams.items():
            all_seen = not s["workers"] or len(s["seen"]) >= s["workers"]
            wait = min_wait if all_seen or long_wait is None else long_wait
            if s["held"] and now - (s["since"] or now) >= wait:
                s["next"] = min(s["held"])
                out += self._drain(bp_id, s)
                s["since"] = now if s["held"] else None
        return out

    def forget(self, bp_ids):
        """Breakpoints that no longer exist."""
        for k in [k for k in self.streams if k[0] not in bp_ids]:
            del self.streams[k]

    def _drain(self, bp_id, s):
        out = []
        held = s["held"]
        while s["next"] in held:
            matched, reply = held.pop(s["next"])
            s["next"] += 1
            out += self._one(bp_id, matched, reply)
        return out

    def _one(self, bp_id, matched, reply):
        if not matched:
            return [(reply, False)] if reply is not None else []
        return [(reply, self.count(bp_id))]
