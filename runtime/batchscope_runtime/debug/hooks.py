"""Stage hooks the training loop calls for the stages that live outside the DataLoader.

`stage("to_device", batch=..., batch_index=...)` and `stage("train_step", ...)` are context managers.
With no debug session they cost one attribute lookup. The debug package replaces `_active` when a
session attaches (BATCHSCOPE_LISTEN, `batchscope_runtime.listen()`, or a launch under the adapter).
"""
import contextlib

_active = None  # set by the debug session: an object with .stage(name, **info) -> context manager


def stage(name, **info):
    session = _active
    if session is None:
        return contextlib.nullcontext()
    return session.stage(name, **info)


def install_from_env():
    """Start listening when BATCHSCOPE_LISTEN is set. Implemented by the debug package."""
    return None
