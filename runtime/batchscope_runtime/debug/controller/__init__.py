"""The session controller (standard library only), one module per peer and per watch, like debugpy's
adapter (clients, servers, sessions):

    core.py          Controller: the listening socket, the handshake, the shared state, the program's end
    adapter_peer.py  the adapter's connection and its requests
    agent_peer.py    one agent's connection, and calls into agents
    breakpoints.py   function breakpoints, hit counts, exception filters, steps and pauses
    stops.py         the threads, and who holds each stopped one
    local_vars.py    answers for the stops the controller holds (hang, worker_died)
    hang_watch.py    faulthandler dumps → `hang` stops
    worker_death.py  closed worker connections → `worker_died` stops
    process_tree.py  the program's descendants; terminate
    attach.py        `python -m batchscope_runtime controller` (started by listen())
"""

from .core import Controller

__all__ = ["Controller"]
