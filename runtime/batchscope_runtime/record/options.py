"""What to record, from launch.json / the `recordBatches` request (camelCase), the training YAML
(`record:` key, snake_case) or BATCHSCOPE_RECORD (JSON, either spelling).

    record: 20                                  # the next 20 batches
    record: {batches: 20, max_mb: 64, path: batches.arrow, loader: train}

A recording always has a bound: `batches` (default 100) and a size cap (`max_mb`, default 256 MB),
whichever comes first.
"""

import os
import time

DEFAULT_BATCHES = 100
DEFAULT_MAX_MB = 256.0
_ALIASES = {
    "maxMB": "max_mb",
    "maxMb": "max_mb",
    "max_mb": "max_mb",
    "batches": "batches",
    "path": "path",
    "loader": "loader",
}


class RecordOptionError(ValueError):
    """A bad `record` setting; `field` names the offending sub-key (None: the value as a whole)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class RecordOptions:
    __slots__ = ("batches", "max_bytes", "path", "loader")

    def __init__(self, batches, max_bytes, path, loader):
        self.batches = batches
        self.max_bytes = max_bytes
        self.path = path
        self.loader = loader

    def as_dict(self):
        return {"batches": self.batches, "max_bytes": self.max_bytes, "path": self.path, "loader": self.loader}


def default_path(folder):
    return os.path.join(folder or os.getcwd(), "batchscope-batches-%s.arrow" % time.strftime("%Y%m%d-%H%M%S"))


def parse(value, default_folder=None):
    """RecordOptions from a setting; None when the setting turns recording off (false / 0 / null)."""
    if value is None or value is False or (type(value) is int and value == 0):
        return None
    if value is True:
        value = {}
    elif isinstance(value, int) and not isinstance(value, bool):
        value = {"batches": value}
    if not isinstance(value, dict):
        raise RecordOptionError(
            "expected a number of batches or a mapping like {batches: 20, max_mb: 64, path: batches.arrow}, got %r"
            % (value,)
        )
    opts = {}
    for k, v in value.items():
        name = _ALIASES.get(k)
        if name is None:
            raise RecordOptionError("unknown setting %r (expected batches, max_mb, path, loader)" % (k,), field=k)
        opts[name] = v
    batches = opts.get("batches", DEFAULT_BATCHES)
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
        raise RecordOptionError("'batches' must be a whole number >= 1, got %r" % (batches,), field="batches")
    max_mb = opts.get("max_mb", DEFAULT_MAX_MB)
    if isinstance(max_mb, bool) or not isinstance(max_mb, (int, float)) or not max_mb > 0:
        raise RecordOptionError("'max_mb' must be a positive number of megabytes, got %r" % (max_mb,), field="max_mb")
    path = opts.get("path")
    if path is not None and (not isinstance(path, str) or not path.strip()):
        raise RecordOptionError("'path' must be a file path (.arrow), got %r" % (path,), field="path")
    if path is None:
        path = default_path(default_folder)
    else:
        path = os.path.abspath(os.path.expanduser(path))  # relative to the working directory, like every path key
    if os.path.isdir(path):
        raise RecordOptionError("'path' is a folder: %s (give a file name ending in .arrow)" % path, field="path")
    loader = opts.get("loader")
    if loader is not None and not isinstance(loader, str):
        raise RecordOptionError("'loader' must be a loader name, got %r" % (loader,), field="loader")
    return RecordOptions(batches, int(float(max_mb) * 1024 * 1024), path, loader)
