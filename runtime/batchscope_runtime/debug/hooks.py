"""Stage hooks the training loop calls for the stages that live outside the DataLoader.

`stage("to_device", batch=..., batch_index=...)` and `stage("train_step", ...)` are context managers.
With no debug session they cost one attribute lookup. The debug package replaces `_active` when a
session attaches (BATCHSCOPE_LISTEN, `batchscope_runtime.listen()`, or a launch under the adapter).
"""
import contextlib
import os

_active = None  # set by the debug session: an object with .stage(name, **info) -> context manager


def stage(name, **info):
    session = _active
    if session is None:
        return contextlib.nullcontext()
    return session.stage(name, **info)


def install_from_env():
    """Start a debug session when the environment asks for one; returns the port or None.

    BATCHSCOPE_LISTEN=[127.0.0.1:]PORT → listen() (attach later); BATCHSCOPE_CONTROLLER (set by
    `python -m batchscope_runtime debug`) → connect to that controller. Otherwise nothing.
    """
    if os.environ.get("BATCHSCOPE_CONTROLLER") and os.environ.get("BATCHSCOPE_SECRET"):
        from . import session
        session.activate(wait_go=False)
        return int(os.environ["BATCHSCOPE_CONTROLLER"].rpartition(":")[2])
    if os.environ.get("BATCHSCOPE_LISTEN"):
        from . import session
        return session.listen()
    return None
