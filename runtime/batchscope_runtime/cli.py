"""Command dispatch. Each command lives in its own module and exposes `main(argv) -> int`."""

import importlib
import sys

COMMANDS = {
    "doctor": "batchscope_runtime.doctor",
    "train": "batchscope_runtime.train",
    "preview": "batchscope_runtime.train.preview",
    "debug": "batchscope_runtime.debug.launch",
    "controller": "batchscope_runtime.debug.controller.attach",
}


def main(argv):
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m batchscope_runtime {%s} ..." % ",".join(COMMANDS), file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return module.main(argv[1:]) or 0
