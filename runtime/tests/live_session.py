"""A live debug session inside the test process: a controller, this process's agent and an adapter client.

For tests that drive the instrumentation directly (torch's fetch path by hand, a loader iterated in
the test) instead of launching a program. `start()` connects the three; `end()` takes them down and
leaves the process as it found it: no agent, torch unpatched.
"""

import time

from batchscope_runtime.debug import instrument
from batchscope_runtime.debug.agent import core as agent_core
from batchscope_runtime.debug.controller.core import Controller


def start(monkeypatch, secret="k"):
    """(controller, agent, client): the agent connected as this process's main agent."""
    from debug_client import Client

    ctl = Controller(secret, wait=False)
    ctl.start()
    monkeypatch.setenv("BATCHSCOPE_CONTROLLER", "127.0.0.1:%d" % ctl.port)
    monkeypatch.setenv("BATCHSCOPE_SECRET", secret)
    c = None
    try:
        a = agent_core.start_main()
        assert a is not None
        c = Client(ctl.port, secret)
    except BaseException:
        end(ctl, c)
        raise
    return ctl, a, c


def wait_for_config(a, ready, what):
    """Until `ready(a.cfg)`: the config reaches the agent's receiver thread (no fixed sleep: CPU load)."""
    deadline = time.monotonic() + 60
    while not ready(a.cfg):
        assert time.monotonic() < deadline, "the agent never received %s" % what
        time.sleep(0.02)


def end(ctl, c):
    if c is not None:
        c.close()
    a = agent_core._agent
    agent_core._agent = None
    if a is not None and a.sock is not None:
        a.ok = False
        a.sock.close()
    instrument.uninstall()
    ctl.close()
