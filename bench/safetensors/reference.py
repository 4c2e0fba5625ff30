"""Reference timings for bench/safetensors.ts: the `safetensors` library and torch on the same files.

usage: reference.py DIR  → writes one JSON object of timings (seconds) to stdout.
Makes DIR/a.safetensors and DIR/b.safetensors first when they are missing (b = a with one tensor changed).
"""
import json
import sys
import time
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

d = Path(sys.argv[1])
d.mkdir(parents=True, exist_ok=True)
a_path, b_path = d / "a.safetensors", d / "b.safetensors"
if not a_path.exists() or not b_path.exists():
    g = torch.Generator().manual_seed(0)
    tensors = {
        "embed.weight": torch.randn(8192, 4096, generator=g).to(torch.bfloat16),  # 64 MiB
        "layers.0.mlp.weight": torch.randn(4096, 4096, generator=g),  # 64 MiB F32
        "layers.0.attn.weight": (torch.randn(4096, 2048, generator=g) * 0.02).to(torch.float16),  # 16 MiB
    }
    tensors.update({f"layers.{i}.norm.weight": torch.ones(4096) for i in range(200)})
    save_file(tensors, str(a_path))
    tensors["layers.0.mlp.weight"] = tensors["layers.0.mlp.weight"] + 1e-3
    save_file(tensors, str(b_path))

out = {}
t0 = time.perf_counter()
for _ in range(20):
    with safe_open(str(a_path), "pt") as f:
        keys = list(f.keys())
out["header"] = (time.perf_counter() - t0) / 20

names = ["embed.weight", "layers.0.mlp.weight", "layers.0.attn.weight"]
t0 = time.perf_counter()
with safe_open(str(a_path), "pt") as f:
    for n in names:
        x = f.get_tensor(n).to(torch.float64).flatten()
        fin = x[torch.isfinite(x)]
        _ = (int(torch.isnan(x).sum()), int(torch.isinf(x).sum()), float(fin.min()), float(fin.max()),
             float(fin.mean()), float(fin.std(correction=0)))
out["stats"] = time.perf_counter() - t0

t0 = time.perf_counter()
with safe_open(str(a_path), "pt") as fa, safe_open(str(b_path), "pt") as fb:
    for n in fa.keys():
        xa = fa.get_tensor(n).to(torch.float64)
        xb = fb.get_tensor(n).to(torch.float64)
        _ = float(torch.linalg.vector_norm(xa - xb) / torch.linalg.vector_norm(xa))
out["compare"] = time.perf_counter() - t0
out["torch_threads"] = torch.get_num_threads()
print(json.dumps(out))
