"""The reference side of bench/data.ts: the same operations the way `datasets` reads a cache file
(pa.ipc.open_stream over pa.memory_map, read_all: zero-copy), printed as one JSON line."""
import json
import random
import resource
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc

path = sys.argv[1]
res = {}
t0 = time.perf_counter()
table = pa.ipc.open_stream(pa.memory_map(path)).read_all()
table.slice(0, 50).to_pylist()
res["firstPageMs"] = (time.perf_counter() - t0) * 1000
random.seed(1)
rows = [random.randrange(table.num_rows) for _ in range(50)]
times = []
for r in rows:
    t = time.perf_counter()
    table.slice(r, 1).to_pylist()
    times.append((time.perf_counter() - t) * 1000)
res["jumpMedianMs"] = sorted(times)[len(times) // 2]
t0 = time.perf_counter()
lengths = pc.list_value_length(table["input_ids"])
hist = pc.value_counts(pc.divide(lengths, 100))
labels = pc.list_flatten(table["labels"])
trained = pc.sum(pc.not_equal(labels, -100)).as_py()
mask = pc.list_flatten(table["attention_mask"])
padding = pc.sum(pc.equal(mask, 0)).as_py()
over = pc.sum(pc.greater_equal(lengths, 2048)).as_py()
res["scanS"] = time.perf_counter() - t0
res["peakRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
res["rows"] = table.num_rows
print(json.dumps(res))
