"""DataLoader debugging: instrumentation, controller and stage hooks.

Helpers for user scripts (no-ops without a session):
    batchscope_runtime.listen()                   # let the adapter attach later
    with batchscope_runtime.debug.step(batch): …  # the train_step stage
    batch = batchscope_runtime.debug.to_device(batch, "cuda")   # the to_device stage
    batchscope_runtime.debug.name_loader(val_loader, "val")
Importing this package does not import torch (the controller process runs without it).

Layout, one concern per module:
    hooks.py          the public stage() hook (imports nothing from the package; others register into it)
    session.py        starting a session in the job: listen(), activate(), install_from_env()
    launch.py         `python -m batchscope_runtime debug`: the launcher, which hosts the controller
    bootstrap.py      runs the user's program inside the launched process
    controller/       the controller: one module per peer (adapter, agents) and per watch
    agent/            the per-process agent: connection, stops, hang timer, worker exits
    instrument/       the torch patches, the proxies of the loader inputs and the stage context
    conn.py, wire.py  the connection (one read loop) and the NDJSON wire format
    values.py         DAP variables for stage values (tensor summaries, decoded tokens)
"""

from . import hooks
from .hooks import stage


def _start_from_env():
    # Registered into hooks rather than imported by it: session imports the instrumentation,
    # which registers the stage implementation into hooks (hooks → session would be a cycle).
    from .session import install_from_env

    return install_from_env()


hooks.set_starter(_start_from_env)


def step(batch=None, **info):
    """Context manager around one training step: the `train_step` stage."""
    return stage("train_step", batch=batch, **info)


def to_device(batch, device, non_blocking=False, **info):
    """Move every tensor of `batch` to `device` inside the `to_device` stage; returns the moved batch."""
    with stage("to_device", batch=batch, **info):
        return _move(batch, device, non_blocking)


def _move(x, device, non_blocking):
    if hasattr(x, "to") and callable(x.to) and type(x).__module__.startswith("torch"):
        return x.to(device, non_blocking=non_blocking)
    if isinstance(x, dict):
        return type(x)((k, _move(v, device, non_blocking)) for k, v in x.items())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(_move(v, device, non_blocking) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_move(v, device, non_blocking) for v in x)
    return x


def name_loader(loader, name):
    """Name a DataLoader in the debugger's threads and frames (default: the variable it is iterated through)."""
    from .instrument.loaders import name_loader as _name

    _name(loader, name)
    return loader


def listen(port=None, secret=None, **kw):
    from .session import listen as _listen

    return _listen(port=port, secret=secret, **kw)
