"""bench/train.sh: the runtime's training throughput vs a plain torch loop (plain_loop.py), same
model, data and settings, run alternately in the same invocation. Prints a table.

CPU mode (default): the tiny fixture-sized model. GPU mode (--gpu --model-size 0.5b): a ~0.5B
random Llama-style model at bf16 autocast, longer sequences, tokens/s and data wait for both."""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "bench" / ".data" / "train"
PY = sys.executable


def make_model(size):
    out = DATA / ("model-" + size)
    if not (out / "config.json").exists():
        subprocess.run([PY, str(REPO / "media" / "demo" / "make_model.py"), "--out", str(out), "--size", size], check=True)
    return out


def make_data(n, words):
    """Synthetic chats (OpenAI-style messages) long enough to fill `words` words per reply."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / ("chats-%d-%d.jsonl" % (n, words))
    if not path.exists():
        rng = random.Random(0)
        vocab = "the a red blue cat dog runs sleeps over under quickly slowly and then one two three four".split()
        with open(path, "w") as f:
            for _ in range(n):
                q = " ".join(rng.choice(vocab) for _ in range(max(words // 8, 4)))
                r = " ".join(rng.choice(vocab) for _ in range(words))
                f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": r}]}) + "\n")
    (DATA / "dataset_info.json").write_text(json.dumps({
        path.stem: {"file_name": path.name, "formatting": "sharegpt", "columns": {"messages": "messages"},
                    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}}}))
    return path


def run_runtime(model, data, a):
    cfg = DATA / "bench.yaml"
    out = DATA / "out"
    cfg.write_text("\n".join([
        "model_name_or_path: %s" % model, "dataset: %s" % data.stem, "dataset_dir: %s" % DATA,
        "cutoff_len: %d" % a.cutoff, "per_device_train_batch_size: %d" % a.batch, "learning_rate: 1.0e-4",
        "lr_scheduler_type: linear", "max_steps: %d" % a.steps, "logging_steps: 1", "save_steps: 0",
        "output_dir: %s" % out, "bf16: %s" % ("true" if a.gpu else "false"), "seed: 42",
        "dataloader_num_workers: %d" % a.workers, ""]))
    env = dict(os.environ, PYTHONPATH=str(REPO / "runtime"))
    r = subprocess.run([PY, "-m", "batchscope_runtime", "train", str(cfg)], env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit("runtime failed:\n" + r.stderr[-3000:])
    steps = [e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "step"]
    measured = [e for e in steps if e["step"] > a.warmup]
    # Wall clock from the event of step `warmup` to the event of the last step (logging_steps: 1,
    # so the cost of writing events is inside the window), like the plain loop's window.
    start = next(e for e in steps if e["step"] == a.warmup)
    wall = steps[-1]["time"] - start["time"]
    tokens = sum(e["tokens_per_s"] * e["step_ms"] / 1000.0 for e in measured)
    return {"steps_per_s": len(measured) / wall, "tokens_per_s": tokens / wall,
            "data_wait_ms": statistics.mean(e["data_wait_ms"] for e in measured), "final_loss": steps[-1]["loss"]}


def run_plain(model, data, a):
    cmd = [PY, str(Path(__file__).parent / "plain_loop.py"), "--model", str(model), "--data", str(data),
           "--cutoff", str(a.cutoff), "--batch", str(a.batch), "--steps", str(a.steps), "--warmup", str(a.warmup),
           "--workers", str(a.workers)] + (["--bf16"] if a.gpu else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("plain loop failed:\n" + r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--gpu", action="store_true")
    p.add_argument("--model-size", default=None, choices=["tiny", "small", "0.5b"])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--cutoff", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    a = p.parse_args()
    size = a.model_size or ("0.5b" if a.gpu else "tiny")
    a.steps = a.steps or (60 if a.gpu else 110)
    a.batch = a.batch or (8 if a.gpu else 4)
    a.cutoff = a.cutoff or (1024 if a.gpu else 128)
    a.workers = a.workers if a.workers is not None else (2 if a.gpu else 0)
    if a.gpu:
        import torch

        if not torch.cuda.is_available():
            sys.exit("--gpu: CUDA is not available")
    if not a.gpu:  # one thread each: oversubscribed OpenMP spinning would swamp the comparison
        os.environ.setdefault("OMP_NUM_THREADS", "1")
    model = make_model(size)
    data = make_data(512, 700 if a.gpu else 40)
    ours, plain = [], []
    for _ in range(a.repeats):  # alternate so drift in machine load hits both
        plain.append(run_plain(model, data, a))
        ours.append(run_runtime(model, data, a))
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    device = "GPU" if a.gpu else "CPU"
    if a.gpu:
        import torch

        device = torch.cuda.get_device_name(0)
    print("\nbench/train: %s, model %s, batch %d, cutoff_len %d, %d measured steps x %d repeats (median), "
          "OMP_NUM_THREADS=%s\n" % (device, size, a.batch, a.cutoff, a.steps - a.warmup, a.repeats,
                                   os.environ.get("OMP_NUM_THREADS", "unset")))
    rows = [("steps/s", "steps_per_s", "%.2f"), ("tokens/s", "tokens_per_s", "%.0f"), ("data wait ms/step", "data_wait_ms", "%.2f")]
    print("| metric | batchscope runtime | plain torch loop | ratio (runtime/plain) |")
    print("|---|---|---|---|")
    for label, key, fmt in rows:
        o, pl = med(ours, key), med(plain, key)
        print("| %s | %s | %s | %s |" % (label, fmt % o, fmt % pl, ("%.3f" % (o / pl)) if pl else "n/a"))
    overhead = (1 - med(ours, "steps_per_s") / med(plain, "steps_per_s")) * 100
    print("\noverhead (steps/s): %.1f%% (target <= 2%%)" % overhead)
    print("all runs steps/s: runtime %s, plain %s" % ([round(r["steps_per_s"], 2) for r in ours],
                                                       [round(r["steps_per_s"], 2) for r in plain]))


if __name__ == "__main__":
    main()
