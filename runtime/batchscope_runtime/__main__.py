"""`python -m batchscope_runtime <command>`: dispatches to the command modules."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
