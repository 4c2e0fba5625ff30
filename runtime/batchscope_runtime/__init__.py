"""Batchscope's loader runtime: training and DataLoader debugging, run with the user's interpreter."""

__version__ = "0.1.0"


def listen(port=None, secret=None, **kw):
    """Let the Batchscope debug adapter attach to this job (see batchscope_runtime.debug.session.listen)."""
    from .debug.session import listen as _listen
    return _listen(port=port, secret=secret, **kw)
