"""The batch recorder: each batch a DataLoader yields in the main process, as the model receives it
(after collate and pin_memory), appended to an Arrow IPC stream file that opens in the dataset viewer.

    import batchscope_runtime.record as record
    record.start(batches=20, path="batches.arrow")     # or `record:` in the training YAML / launch.json
    ...                                                 # the loop runs as usual
    record.stop()                                       # or let the bound end it

One row per sample: batch, epoch, row, worker, loader, sample_index, then the batch's fields
(input_ids, labels, attention_mask … as lists, padding included). See columns.py for the layout.

    options.py         the `record` setting (count, size cap, path, loader) and its errors
    columns.py         a batch → a snapshot (main thread) → an Arrow record batch (writer thread)
    writer.py          the Recorder: bounded queue, writer thread, bounds, progress
    iterator_patch.py  the torch iterator hook that feeds the active recorder
    links.py           progress to a debug session (DAP events) and to training events
"""

import atexit
import json
import os
import threading

from .options import RecordOptionError, parse

__all__ = ["start", "stop", "current", "start_from_env", "add_sink", "RecordError", "RecordOptionError"]

_lock = threading.Lock()
_current = None
_sinks = []  # callables(progress dict): debug agent, training events


class RecordError(RuntimeError):
    """Recording cannot start (pyarrow or torch missing, the file cannot be created)."""


def add_sink(fn):
    if fn not in _sinks:
        _sinks.append(fn)


def remove_sink(fn):
    if fn in _sinks:
        _sinks.remove(fn)


def current():
    """The recorder that is recording now (None when none is, or the last one has finished)."""
    r = _current
    return r if r is not None and not r.done else None


def last():
    return _current


def start(batches=None, max_mb=None, path=None, loader=None, default_folder=None, options=None):
    """Record the next batches of every DataLoader in this process (or of `loader` only).

    Returns the Recorder. A recording already running is stopped first. Raises RecordOptionError
    for bad settings and RecordError when pyarrow or torch is missing or the file cannot be created.
    """
    global _current
    if options is None:
        spec = {
            k: v
            for k, v in (("batches", batches), ("max_mb", max_mb), ("path", path), ("loader", loader))
            if v is not None
        }
        options = parse(spec, default_folder)
    try:
        import pyarrow as pa
        import pyarrow.ipc  # noqa: F401
    except ImportError:
        raise RecordError(
            "recording batches needs pyarrow in the training interpreter: python -m pip install pyarrow"
        ) from None
    try:
        from . import iterator_patch

        iterator_patch.install()
    except ImportError:
        raise RecordError("recording batches needs torch (torch.utils.data.DataLoader)") from None
    from .writer import Recorder

    with _lock:
        old = _current
        if old is not None and not old.done:
            old.stop("stopped")
        try:
            r = Recorder(pa, options, _sinks)
        except (OSError, pa.ArrowException) as e:
            raise RecordError("cannot create the recording %s: %s" % (options.path, e)) from None
        _current = r
        iterator_patch.set_recorder(r)
        threading.Thread(target=_unhook_when_done, args=(r,), name="batchscope-recorder-end", daemon=True).start()
    return r


def _unhook_when_done(r):
    from . import iterator_patch

    r._done.wait()
    with _lock:
        if iterator_patch._recorder is r:
            iterator_patch.set_recorder(None)


def stop(reason="stopped", wait=60.0):
    """Stop the running recording (what is queued is written; waits up to `wait` s for the writer thread
    to end). Returns its last progress, or None."""
    r = _current
    if r is None:
        return None
    r.stop(reason, wait=wait)
    return r.progress()


def start_from_env(default_folder=None):
    """BATCHSCOPE_RECORD (JSON: a count, true, or {batches, max_mb|maxMB, path, loader}) starts a
    recording once per process; returns the Recorder or None. Bad values raise RecordOptionError."""
    text = os.environ.get("BATCHSCOPE_RECORD")
    if not text or _current is not None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise RecordOptionError("BATCHSCOPE_RECORD is not JSON: %r" % text[:200]) from None
    opts = parse(value, default_folder)
    return start(options=opts) if opts is not None else None


@atexit.register
def _finish_at_exit():
    r = _current
    if r is not None and r.pid == os.getpid() and (not r.done or r.writer_alive):
        r.stop("stopped", wait=60.0)
