"""DataLoader instrumentation: wrap the loader's public inputs when each iterator is created.

    patches.py         the torch patches (iterator __init__/__next__, pin_memory): one table for install and uninstall
    iterator_hooks.py  what the iterator patches do; pin_hook.py: the pin_memory stage
    loader_setup.py    swapping the proxies into one DataLoader
    proxies/           one proxy per loader input (sampler, dataset, iterable, collate, worker_init)
    tags.py            index lists tagged with their batch; batch_begin.py: a batch begins in the fetching process
    stage_context.py   the to_device/train_step stages behind hooks.stage()
    trainer_hooks.py   automatic to_device/train_step stages for HF Trainer (TRL) and accelerate
    loaders.py, sources.py, thread_state.py   loader ids and names, user source locations, per-thread state

`install()` patches torch and registers the stage context into hooks; `uninstall()` reverts both.
"""

from .. import hooks
from ..agent import core as agent_core
from . import patches, trainer_hooks
from .loaders import name_loader
from .stage_context import enter_stage

__all__ = ["install", "uninstall", "name_loader"]


def install():
    """Patch torch once and route hooks.stage() here. Safe to call repeatedly; False when torch is missing."""
    if not patches.install():
        return False
    agent_core.armed_listeners[:] = [_route_stages]
    a = agent_core._agent
    _route_stages(a is None or not a.ok or a.cfg.armed)
    return True


def uninstall():
    agent_core.armed_listeners[:] = []
    patches.uninstall()
    trainer_hooks.unpatch()
    hooks.unregister()


def _route_stages(armed):
    """The to_device/train_step stages can only stop while something is armed (a breakpoint, a step,
    a pause). Otherwise `hooks.stage()` takes its no-session path, the cost of a plain loop: with an
    adapter attached but nothing armed, the usual state of a running job, that is per batch."""
    if armed:
        hooks.register(enter_stage)
    else:
        hooks.unregister()
