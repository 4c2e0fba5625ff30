"""Batchscope's loader runtime: training and DataLoader debugging, run with the user's interpreter."""

__version__ = "0.1.0"


def listen(port=None, secret=None, **kw):
    """Let the Batchscope debug adapter attach to this job (see batchscope_runtime.debug.session.listen)."""
    from .debug.session import listen as _listen

    return _listen(port=port, secret=secret, **kw)


def log(**fields):
    """Report a step from a hand-written training loop run under `batchscope_runtime train script.py`:
    `batchscope_runtime.log(step=..., loss=..., lr=...)`. A no-op outside Batchscope."""
    from .train.script import log as _log

    _log(**fields)
