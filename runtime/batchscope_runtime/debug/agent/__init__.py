"""The agent: the debug session's side inside each process of the job (main and each worker).

core.py              Agent (connection, config, per-batch bookkeeping) and this process's instance
config.py            the controller's config as the agent sees it; the stepping rules
batch_context.py     BatchCtx, what a thread knows about its batch (shared with the instrumentation)
stops.py             where a thread stops (breakpoints, steps, pauses, exceptions)
stopped_requests.py  the adapter's requests answered by a stopped thread
hang_timer.py        the faulthandler timer behind the `hang` filter
loader_wait.py       the main thread's wait for a batch; DataLoader timeouts while attached
worker_exits.py      the exit statuses of this process's workers (for `worker_died`)
stack_dump.py        thread stacks for `dumpStacks`
"""

from .core import get, start_main

__all__ = ["get", "start_main"]
