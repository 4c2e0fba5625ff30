"""Arrow arrays straight from numpy buffers, for the writer thread's hot path.

Why not `pa.array`: its first call imports pandas (~0.5 s of CPU inside the training process, once),
and each later call on a tensor-backed numpy array probes it for pandas and array protocols
(5–25 µs, ~250 µs when the type is left to infer), ten calls a batch. `Array.from_buffers` over the
numpy memory is ~2 µs, copies nothing and never imports pandas. The numpy array (and through it
the cloned tensor) stays alive as long as the Arrow buffer that wraps it.

Anything these helpers do not cover (object or string numpy arrays, Python lists) goes through
`pa.array` as before.
"""

import numpy as np

_NUMERIC_KINDS = "iuf"


def numeric(pa, arr):
    """A 1-D numpy array → an Arrow array of the same values (zero-copy for native numbers)."""
    arr = np.ascontiguousarray(arr)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    kind = arr.dtype.kind
    if kind in _NUMERIC_KINDS and not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))  # Arrow has no byte-swapped arrays
    if kind == "b":
        bits = np.packbits(arr, bitorder="little")  # Arrow booleans are bit-packed
        return pa.Array.from_buffers(pa.bool_(), len(arr), [None, pa.py_buffer(bits)])
    if kind in _NUMERIC_KINDS:
        return pa.Array.from_buffers(pa.from_numpy_dtype(arr.dtype), len(arr), [None, pa.py_buffer(arr)])
    return pa.array(arr, from_pandas=False)


def with_nulls(pa, typ, values, valid):
    """Numbers with a validity mask (numpy bool, True = present) → an Arrow array with nulls."""
    n = len(values)
    present = int(np.count_nonzero(valid))
    if present == n:
        return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(np.ascontiguousarray(values))])
    if present == 0:
        return pa.nulls(n, typ)
    bitmap = np.packbits(np.asarray(valid, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(
        typ, n, [pa.py_buffer(bitmap), pa.py_buffer(np.ascontiguousarray(values))], null_count=n - present
    )


def ints(pa, typ, dtype, values):
    """A list of ints and Nones → an Arrow integer array (None → null)."""
    n = len(values)
    if n and None not in values:
        return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(np.asarray(values, dtype=dtype))])
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=n)
    vals = np.fromiter((0 if v is None else v for v in values), dtype=dtype, count=n)
    return with_nulls(pa, typ, vals, valid)


def repeated(pa, typ, dtype, value, n):
    """`value` on each of n rows (None → n nulls)."""
    if value is None:
        return pa.nulls(n, typ)
    return pa.Array.from_buffers(typ, n, [None, pa.py_buffer(np.full(n, value, dtype=dtype))])


def strings(pa, texts, counts):
    """texts[i] repeated counts[i] times, as one Arrow string array (None → nulls)."""
    if any(not isinstance(t, str) for t in texts):
        return pa.array([t for t, c in zip(texts, counts) for _ in range(c)], type=pa.string(), from_pandas=False)
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.repeat(np.asarray([len(e) for e in encoded], dtype=np.int64), counts)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        return pa.array([t for t, c in zip(texts, counts) for _ in range(c)], type=pa.string(), from_pandas=False)
    data = b"".join(e * c for e, c in zip(encoded, counts))
    return pa.Array.from_buffers(
        pa.string(), len(lengths), [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
    )


def list_of(pa, offsets, values):
    """Rows of a list column: offsets (numpy int, rows + 1, below 2**31) into an Arrow array of values."""
    return pa.ListArray.from_arrays(numeric(pa, offsets.astype(np.int32)), values)
