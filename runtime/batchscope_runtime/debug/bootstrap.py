"""Runs the user's program inside the process the launcher started: hooks first, then the program.

`python -m batchscope_runtime.debug.bootstrap ( -- program.py ARGS | -m module ARGS | --config FILE )`
"""

import os
import runpy
import sys


def main(argv):
    from . import session

    if argv[:1] == ["--"]:
        argv = argv[1:]
    a = session.activate(wait_go=True)
    try:
        if argv[:1] == ["--config"]:
            from batchscope_runtime import cli

            code = cli.main(["train"] + argv[1:2])  # the train command reads `hooks.install_from_env()` itself
        elif argv[:1] == ["-m"]:
            sys.argv = argv[1:]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
            code = 0
        else:
            program = os.path.abspath(argv[0])
            sys.argv = [program] + argv[1:]
            sys.path[0] = os.path.dirname(program)  # as `python program.py` would
            runpy.run_path(program, run_name="__main__")
            code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if a is not None:
            a.bye(exit_code=code)
        raise
    except BaseException as e:
        if a is not None:
            a.bye(error=session.error_info(e), exit_code=1)
        raise
    if a is not None:
        a.bye(exit_code=code or 0)
    return code or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
