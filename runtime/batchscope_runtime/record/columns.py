"""One collated batch → one Arrow record batch with a row per sample.

The main thread only snapshots the batch (`snapshot`: each tensor cloned to CPU, so a model that
edits its inputs in place cannot change what was recorded); the writer thread turns the snapshot
into columns (`to_record_batch`). Layout, one row per sample of the batch:

    batch, epoch, row, worker, loader, sample_index   where the row came from
    <field> ...                                        each per-row field of the batch as the model got it

A tensor field whose first dimension is the batch size becomes a per-row column (1-D: a scalar per
row; 2-D: a list per row, padding included; N-D: nested lists). Dict batches (BatchEncoding too)
keep their keys, nested dicts join keys with "."; tuple/list batches name fields "0", "1", …; a
bare tensor is "tensor". A 0-d tensor or a plain number/string is repeated on every row. Anything
else (a tensor not shaped per row, an object) is left out and named in `skipped`.
"""

import numpy as np

from . import arrow_arrays as aa

META_COLUMNS = ("batch", "epoch", "row", "worker", "loader", "sample_index")


def _is_tensor(x):
    return type(x).__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "shape")


def _flatten(batch, prefix, out):
    if isinstance(batch, dict) or (hasattr(batch, "keys") and hasattr(batch, "__getitem__") and hasattr(batch, "data")):
        # dict, or transformers.BatchEncoding (a UserDict whose items are the fields)
        items = batch.items()
        for k, v in items:
            _flatten(v, "%s%s" % (prefix, k) if not prefix else "%s.%s" % (prefix, k), out)
        return
    if isinstance(batch, (tuple, list)) and batch and not isinstance(batch[0], (int, float, str, bool)):
        names = getattr(batch, "_fields", None)  # namedtuple: its field names
        for i, v in enumerate(batch):
            key = names[i] if names else str(i)
            _flatten(v, key if not prefix else "%s.%s" % (prefix, key), out)
        return
    out.append((prefix or "tensor", batch))


def snapshot(batch):
    """[(name, value)] with every tensor detached, on the CPU and cloned. Cheap: one copy per tensor."""
    fields = []
    _flatten(batch, "", fields)
    snap = []
    for name, v in fields:
        if _is_tensor(v):
            t = v.detach()
            t = t.to("cpu", copy=True) if t.device.type != "cpu" else t.clone()
            snap.append((name, t))
        elif isinstance(v, (int, float, str, bool, np.ndarray)) or v is None:
            snap.append((name, v.copy() if isinstance(v, np.ndarray) else v))
        elif isinstance(v, (list, tuple)):
            snap.append((name, list(v)))
        else:
            snap.append((name, v))
    return snap


def _numpy(t):
    import torch

    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()  # Arrow readers (ours too) handle float32 everywhere; bf16 has no numpy type
    return t.numpy()


def batch_size_of(snap):
    """Rows in the batch: the first dim of input_ids, else of the first tensor with one."""
    sizes = [(n, v.shape[0]) for n, v in snap if hasattr(v, "shape") and len(v.shape) >= 1]
    for n, s in sizes:
        if n == "input_ids" or n.endswith(".input_ids"):
            return int(s)
    if sizes:
        return int(sizes[0][1])
    lists = [len(v) for _n, v in snap if isinstance(v, list)]
    return lists[0] if lists else 1


def _nested(pa, arr):
    """A numpy array [B, d1, …] → an Arrow array of B rows (lists of lists for ndim > 2)."""
    if arr.ndim == 1:
        return aa.numeric(pa, arr)
    inner = _nested(pa, arr.reshape((arr.shape[0] * arr.shape[1],) + arr.shape[2:]))
    step = arr.shape[1]
    return aa.list_of(pa, np.arange(0, arr.shape[0] * step + 1, step), inner)


def field_arrays(pa, snap, rows):
    """[(name, arrow array of `rows` rows)] and the names left out (see the module docstring)."""
    out, skipped = [], []
    for name, v in snap:
        if name in META_COLUMNS:
            name = "field." + name  # never shadow the provenance columns
        try:
            if _is_tensor(v):
                if v.dim() == 0:
                    out.append((name, aa.numeric(pa, np.repeat(_numpy(v).reshape(1), rows))))
                elif v.shape[0] == rows:
                    out.append((name, _nested(pa, np.ascontiguousarray(_numpy(v)))))
                else:
                    skipped.append(name)
            elif isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == rows:
                out.append((name, _nested(pa, np.ascontiguousarray(v))))
            elif isinstance(v, list) and len(v) == rows:
                out.append((name, pa.array([x.tolist() if hasattr(x, "tolist") else x for x in v], from_pandas=False)))
            elif isinstance(v, (int, float, str, bool)):
                out.append((name, pa.array([v] * rows, from_pandas=False)))
            else:
                skipped.append(name)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            skipped.append(name)
    return out, skipped


def plain_indices(raw):
    """The sampler's item for this batch as plain ints: a list for a batch, [i] for one sample
    (batch_size=None), None when unknown (an IterableDataset). Never iterates a list subclass through
    its own __iter__ (the debugger's tagged index lists begin a batch when iterated)."""
    if type(raw) is tuple and len(raw) == 3 and getattr(raw[0], "_bs_pass_tag", False):
        raw = raw[2]  # the debugger's num_workers=0 item: (pass tag, batch number, the index list)
    if isinstance(raw, (list, tuple, range)):
        try:
            items = list.__iter__(raw) if isinstance(raw, list) else iter(raw)
            return [int(i) for i in items], False
        except (TypeError, ValueError):
            return None, False
    if isinstance(raw, int) and not isinstance(raw, bool):
        return [int(raw)], True
    return None, False


def _as_one_row(snap):
    """batch_size=None: the batch is one sample, so every value becomes that single row."""
    out = []
    for name, v in snap:
        if _is_tensor(v):
            out.append((name, v.unsqueeze(0)))
        elif isinstance(v, np.ndarray):
            out.append((name, v[None]))
        elif isinstance(v, list):
            out.append((name, [v]))
        else:
            out.append((name, v))
    return out


def to_record_batch(pa, item):
    """item: (snap, meta) with meta = (batch, epoch, worker, loader, raw indices). Returns (record batch, skipped)."""
    snap, (batch, epoch, worker, loader, raw) = item
    indices, single = plain_indices(raw)
    if single:
        snap = _as_one_row(snap)
    rows = batch_size_of(snap)
    if indices is not None and len(indices) != rows:
        indices = None  # a sampler whose items do not map to rows (a packed or custom sampler)
    meta = [
        ("batch", aa.repeated(pa, pa.int64(), np.int64, batch, rows)),
        ("epoch", aa.repeated(pa, pa.int64(), np.int64, epoch, rows)),
        ("row", aa.numeric(pa, np.arange(rows, dtype=np.int32))),
        ("worker", aa.repeated(pa, pa.int32(), np.int32, worker, rows)),
        ("loader", aa.strings(pa, [loader], [rows])),
        ("sample_index", aa.ints(pa, pa.int64(), np.int64, indices if indices is not None else [None] * rows)),
    ]
    fields, skipped = field_arrays(pa, snap, rows)
    cols = meta + fields
    return pa.RecordBatch.from_arrays([c for _n, c in cols], names=[n for n, _c in cols]), skipped


def group_record_batch(pa, items):
    """Several queued batches as one record batch, or None when they do not share one simple layout.

    The writer thread takes what has queued up in one go: per-call costs of pyarrow are paid once per
    group instead of once per batch, which is what keeps the recording cheap when it falls behind.
    Fast path only: the same field names in every batch, every field a 1-D or 2-D tensor per row with
    one dtype (padded widths may differ between batches).
    """
    names = [n for n, _v in items[0][0]]
    fields = {n: [] for n in names}
    rows_list, batch_ids, epochs, workers, loaders, index_rows = [], [], [], [], [], []
    for snap, (batch, epoch, worker, loader, raw) in items:
        if [n for n, _v in snap] != names:
            return None
        indices, single = plain_indices(raw)
        if single:
            return None
        rows = batch_size_of(snap)
        for n, v in snap:
            if not _is_tensor(v) or v.dim() not in (1, 2) or v.shape[0] != rows:
                return None
            fields[n].append(_numpy(v))
        rows_list.append(rows)
        batch_ids.append(batch)
        epochs.append(epoch)
        workers.append(worker)
        loaders.append(loader)
        index_rows.extend(indices if indices is not None and len(indices) == rows else [None] * rows)
    counts = np.asarray(rows_list)
    total = int(counts.sum())
    worker_valid = np.repeat(np.asarray([w is not None for w in workers]), counts)
    worker_vals = np.repeat(np.asarray([-1 if w is None else w for w in workers], dtype=np.int32), counts)
    cols = [
        ("batch", aa.numeric(pa, np.repeat(np.asarray(batch_ids, dtype=np.int64), counts))),
        ("epoch", aa.numeric(pa, np.repeat(np.asarray(epochs, dtype=np.int64), counts))),
        ("row", aa.numeric(pa, np.concatenate([np.arange(r, dtype=np.int32) for r in rows_list]))),
        ("worker", aa.with_nulls(pa, pa.int32(), worker_vals, worker_valid)),
        ("loader", aa.strings(pa, loaders, rows_list)),
        ("sample_index", aa.ints(pa, pa.int64(), np.int64, index_rows)),
    ]
    for n in names:
        arrs = fields[n]
        if len({(a.ndim, a.dtype) for a in arrs}) != 1:
            return None
        name = "field." + n if n in META_COLUMNS else n
        if arrs[0].ndim == 1:
            cols.append((name, aa.numeric(pa, np.concatenate(arrs))))
            continue
        widths = np.repeat(np.asarray([a.shape[1] for a in arrs], dtype=np.int64), counts)
        offsets = np.zeros(total + 1, dtype=np.int64)
        np.cumsum(widths, out=offsets[1:])
        if offsets[-1] >= 2**31:
            return None
        values = aa.numeric(pa, np.concatenate([a.reshape(-1) for a in arrs]))
        cols.append((name, aa.list_of(pa, offsets, values)))
    return pa.RecordBatch.from_arrays([c for _n, c in cols], names=[n for n, _c in cols])
