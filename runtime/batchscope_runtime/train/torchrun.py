"""`python -m batchscope_runtime.train.torchrun ARGS` runs `python -m torch.distributed.run ARGS`, first
repairing one torch 1.13 bug on Python >= 3.11.

torch 1.13's `Std.from_str` looks values up by iterating the `Std` IntFlag. Python 3.11 stopped
yielding zero and multi-bit members (NONE=0, ALL=3) from that iteration, so the default
`--redirects 0 --tee 0` parses to None and torchrun fails in `to_map` with
"'NoneType' object has no attribute 'get'". torch 2.x parses correctly and is left alone.
"""

import re
import runpy


def _repair_std_parsing():
    try:
        from torch.distributed.elastic.multiprocessing import api
    except ImportError:  # pragma: no cover - a torch without elastic
        return
    std = getattr(api, "Std", None)
    if std is None or std.from_str("0") is not None:
        return

    def from_str(cls, vm):
        if re.match(api._VALUE_REGEX, vm):
            return cls(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError("%s does not match: <%s> or <%s>" % (vm, api._VALUE_REGEX, api._MAPPING_REGEX))

    std.from_str = classmethod(from_str)


if __name__ == "__main__":
    _repair_std_parsing()
    runpy.run_module("torch.distributed.run", run_name="__main__", alter_sys=True)
