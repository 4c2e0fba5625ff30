"""Writes a tokenized Parquet file like the Hub's (pyarrow defaults: data page v1, snappy) for the Parquet
table of bench/data.ts: input_ids list<int32>, labels list<int64>, 5,000-row row groups.
Usage: make_big_parquet.py OUT GB [--page-index]"""
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

out, gb = sys.argv[1], float(sys.argv[2])
page_index = "--page-index" in sys.argv
rng = np.random.default_rng(0)
schema = pa.schema([("input_ids", pa.list_(pa.int32())), ("labels", pa.list_(pa.int64()))])
target = int(gb * 1e9)
rows_per_group = 5000
with pq.ParquetWriter(out, schema, compression="snappy", write_page_index=page_index) as w:
    written = 0
    while written < target:
        lens = rng.integers(100, 2000, rows_per_group)
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
        total = int(offsets[-1])
        ids = rng.integers(3, 150000, total, dtype=np.int32)
        labels = ids.astype(np.int64)
        labels[: total // 3] = -100
        t = pa.table([
            pa.ListArray.from_arrays(pa.array(offsets), pa.array(ids)),
            pa.ListArray.from_arrays(pa.array(offsets), pa.array(labels)),
        ], schema=schema)
        w.write_table(t, row_group_size=rows_per_group)
        written += total * 12
