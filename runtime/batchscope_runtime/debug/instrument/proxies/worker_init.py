"""The worker_init_fn proxy: connects a worker's agent before the user's worker_init_fn runs in it.

A worker would otherwise connect lazily on its first stage; connecting first means a worker that
dies in the user's worker_init_fn is still known to the controller.
"""

from ... import agent as agent_mod
from .base import Proxy


class WorkerInitProxy(Proxy):
    """Wraps `worker_init_fn`: connects the worker's agent before user code runs in it."""

    def __init__(self, inner):
        self._bs_inner = inner

    def __call__(self, worker_id):
        agent_mod.get()
        if self._bs_inner is not None:
            return self._bs_inner(worker_id)
