"""pyarrow side of the Parquet table in bench/data.ts: first page with iter_batches, a random jump
with read_row_group + slice (what a viewer built on pyarrow does), peak RSS. One JSON line.
Usage: parquet_ref.py FILE first|jump"""
import json
import random
import resource
import sys
import time

import pyarrow.parquet as pq

path, op = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
f = pq.ParquetFile(path)
if op == "first":
    batch = next(f.iter_batches(batch_size=50))
    batch.to_pylist()
else:
    random.seed(1)
    r = random.randrange(f.metadata.num_rows)
    rg, start = 0, 0
    while start + f.metadata.row_group(rg).num_rows <= r:
        start += f.metadata.row_group(rg).num_rows
        rg += 1
    f.read_row_group(rg).slice(r - start, 50).to_pylist()
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"ms": ms, "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
