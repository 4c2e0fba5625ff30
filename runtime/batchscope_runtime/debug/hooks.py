"""Stage hooks the training loop calls for the stages that live outside the DataLoader.

`stage("to_device", batch=..., batch_index=...)` and `stage("train_step", ...)` are context managers.
With no debug session they cost one global lookup.

This module is the user-facing end of the debugger and imports nothing from the package: the
pieces that implement a session register themselves here instead. `instrument.install()` registers
the stage implementation while torch is patched; the `debug` package registers the session starter
behind `install_from_env()` when it is imported (always, since it is this module's parent package).
So user code and the train loop can import this module without pulling in a session, and the
session can import it without an import cycle.
"""

import contextlib

_active = None  # callable(name, info) -> context manager, registered while instrumentation is installed
_starter = None  # callable() -> port or None, registered by the debug package


def stage(name, **info):
    impl = _active
    if impl is None:
        return contextlib.nullcontext()
    return impl(name, info)


def register(stage_impl):
    """Route `stage()` to `stage_impl(name, info)` (the debug session's stage context)."""
    global _active
    _active = stage_impl


def unregister():
    global _active
    _active = None


def set_starter(starter):
    """Register what `install_from_env()` runs (the debug package does this on import)."""
    global _starter
    _starter = starter


def install_from_env():
    """Start a debug session when the environment asks for one; returns the port or None.

    BATCHSCOPE_LISTEN=[127.0.0.1:]PORT → listen() (attach later); BATCHSCOPE_CONTROLLER (set by
    `python -m batchscope_runtime debug`) → connect to that controller. Otherwise nothing.
    """
    starter = _starter
    return starter() if starter is not None else None
