"""Writes a >= 2 GB Hugging Face-style Arrow IPC stream (what `.map(tokenize)` leaves in cache-*.arrow):
input_ids list<int32>, attention_mask list<int8>, labels list<int64> (prompt masked with -100),
1000 rows per record batch, the `huggingface` features metadata. Usage: make_big.py OUT [GB]"""
import json
import sys

import numpy as np
import pyarrow as pa

out, gb = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.1
rng = np.random.default_rng(0)
features = {
    "input_ids": {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "List"},
    "attention_mask": {"feature": {"dtype": "int8", "_type": "Value"}, "_type": "List"},
    "labels": {"feature": {"dtype": "int64", "_type": "Value"}, "_type": "List"},
}
schema = pa.schema(
    [("input_ids", pa.list_(pa.int32())), ("attention_mask", pa.list_(pa.int8())), ("labels", pa.list_(pa.int64()))],
    metadata={"huggingface": json.dumps({"info": {"features": features}, "fingerprint": "bench"})},
)
target = int(gb * 1e9)
written = 0
with pa.OSFile(out, "wb") as sink, pa.ipc.new_stream(sink, schema) as w:
    while written < target:
        lens = rng.integers(100, 2000, 1000)
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
        total = int(offsets[-1])
        ids = rng.integers(3, 150000, total, dtype=np.int32)
        ids[offsets[1:] - 1] = 2  # every row ends with EOS
        labels = ids.astype(np.int64)
        prompt = (lens * rng.uniform(0.2, 0.8, 1000)).astype(np.int64)
        for s, p in zip(offsets[:-1], prompt):
            labels[s : s + p] = -100
        batch = pa.record_batch(
            [
                pa.ListArray.from_arrays(pa.array(offsets), pa.array(ids)),
                pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.ones(total, dtype=np.int8))),
                pa.ListArray.from_arrays(pa.array(offsets), pa.array(labels)),
            ],
            schema=schema,
        )
        w.write_batch(batch)
        written += batch.nbytes
print(out)
