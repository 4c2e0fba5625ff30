"""Answers for the stops the controller holds (hang, worker_died, DataLoader timeout).

Their frames and scopes are what the controller recorded (the state file, a faulthandler dump),
so stackTrace, scopes and variables are served here from plain JSON values. Their
variablesReferences have slot 0 in the upper bits; an agent's carry its slot (values.VarTable).
"""

import json

from .. import wire


class LocalVars:
    """Guarded by the controller's lock for allocation; cleared on detach."""

    def __init__(self, lock):
        self.lock = lock
        self.refs = {}
        self.next_ref = 1

    def clear(self):
        self.refs.clear()

    def ref(self, value):
        with self.lock:
            ref = self.next_ref
            self.next_ref += 1
            self.refs[ref] = value
        return ref

    def var(self, name, value):
        if isinstance(value, (dict, list)) and value:
            v = {
                "name": str(name),
                "value": "%s[%d]" % (type(value).__name__, len(value))
                if isinstance(value, dict)
                else json.dumps(value)[:200],
                "type": type(value).__name__,
                "variablesReference": self.ref(value),
            }
            if isinstance(value, list):
                v["indexedVariables"] = len(value)
            return v
        return {
            "name": str(name),
            "value": value if isinstance(value, str) else json.dumps(value),
            "type": type(value).__name__,
            "variablesReference": 0,
        }

    def variables(self, ref, start, count):
        """The children of a local reference, or None when it is unknown."""
        value = self.refs.get(ref)
        if value is None:
            return None
        items = list(value.items()) if isinstance(value, dict) else [("[%d]" % i, v) for i, v in enumerate(value)]
        items = items[start : start + count] if count else items[start:]
        return [self.var(k, v) for k, v in items]

    def scopes(self, t):
        scopes = [
            {"name": name, "variablesReference": self.ref(value), "expensive": False}
            for name, value in t.stop["scopes"].items()
        ]
        if scopes:
            scopes[0]["presentationHint"] = "locals"
        return scopes


def stack_trace(t, args):
    return wire.stack_trace_body(t.tid, t.stop["frames"], args)
