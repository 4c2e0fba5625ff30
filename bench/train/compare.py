"""bench/train.sh: steps/s of each engine under Batchscope vs the same engine run bare, alternately in one
invocation: the transformers engine vs a plain transformers.Trainer script (plain_trainer.py), and, when
.venv-llamafactory exists, `batchscope_runtime train` vs `llamafactory-cli train` on one LoRA config.
Steps/s is the Trainer's own train_steps_per_second (train_results.json) in every case. Prints a table.

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


def steps_per_s(out):
    return json.loads((Path(out) / "train_results.json").read_text())["train_steps_per_second"]


def run_runtime(model, data, a):
    cfg = DATA / "bench.yaml"
    out = DATA / "out-batchscope"
    cfg.write_text("\n".join([
        "model_name_or_path: %s" % model, "dataset: %s" % data.stem, "dataset_dir: %s" % DATA,
        "finetuning_type: %s" % a.finetuning, "lora_target: all", "lora_rank: 8",
        "cutoff_len: %d" % a.cutoff, "per_device_train_batch_size: %d" % a.batch, "learning_rate: 1.0e-4",
        "max_steps: %d" % a.steps, "logging_steps: 1", "save_strategy: 'no'",
        "output_dir: %s" % out, "bf16: %s" % ("true" if a.gpu else "false"), "seed: 42",
        "dataloader_num_workers: %d" % a.workers, ""]))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "runtime"), os.environ.get("PYTHONPATH")])))
    r = subprocess.run([PY, "-m", "batchscope_runtime", "train", str(cfg)], env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit("runtime failed:\n" + r.stderr[-3000:])
    steps = [e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "step"]
    peak = max((e["gpu_mem_allocated"] or 0) for e in steps)
    return {"steps_per_s": steps_per_s(out), "data_wait_ms": statistics.mean(e["data_wait_ms"] for e in steps),
            "data_wait_share": statistics.mean(e["data_wait_ms"] / e["step_ms"] for e in steps[1:] or steps),
            "tokens_per_s": statistics.median(e["tokens_per_s"] for e in steps[1:] or steps), "peak_mem": peak}


def run_plain(model, data, a):
    out = DATA / "out-plain"
    cmd = [PY, str(Path(__file__).parent / "plain_trainer.py"), "--model", str(model), "--data", str(data),
           "--out", str(out), "--cutoff", str(a.cutoff), "--batch", str(a.batch), "--steps", str(a.steps),
           "--workers", str(a.workers)] + (["--bf16"] if a.gpu else []) + (["--lora"] if a.finetuning == "lora" else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit("plain Trainer failed:\n" + r.stderr[-3000:])
    return {"steps_per_s": steps_per_s(out), "data_wait_ms": None}


def run_llamafactory(model, data, a, through_batchscope):
    """LLaMA-Factory's LoRA example settings on the same data, bare (llamafactory-cli) or under Batchscope."""
    lf = REPO / ".venv-llamafactory" / "bin"
    out = DATA / ("out-lf-" + ("batchscope" if through_batchscope else "cli"))
    cfg = DATA / ("lf-%s.yaml" % ("batchscope" if through_batchscope else "cli"))
    cfg.write_text("\n".join([
        "model_name_or_path: %s" % model, "stage: sft", "do_train: true", "finetuning_type: lora", "lora_target: all",
        "dataset: %s" % data.stem, "dataset_dir: %s" % DATA, "template: qwen", "cutoff_len: %d" % a.cutoff,
        "per_device_train_batch_size: %d" % a.batch, "learning_rate: 1.0e-4", "max_steps: %d" % a.steps,
        "logging_steps: 1", "save_strategy: 'no'", "output_dir: %s" % out, "overwrite_output_dir: true",
        "bf16: %s" % ("true" if a.gpu else "false"), "report_to: none", "seed: 42", ""]))
    env = dict(os.environ, PYTHONPATH=str(REPO / "runtime"), HF_HUB_OFFLINE="1", DISABLE_VERSION_CHECK="1")
    cmd = ([str(lf / "python"), "-m", "batchscope_runtime", "train", str(cfg)] if through_batchscope
           else [str(lf / "llamafactory-cli"), "train", str(cfg)])
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit("llamafactory run failed:\n" + r.stderr[-3000:])
    return {"steps_per_s": steps_per_s(out), "data_wait_ms": None}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--gpu", action="store_true")
    p.add_argument("--model-size", default=None, choices=["tiny", "small", "0.5b"])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--no-llamafactory", action="store_true", help="skip the llamafactory pair")
    p.add_argument("--finetuning", default="full", choices=["full", "lora"], help="the transformers pair's finetuning_type")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--cutoff", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    a = p.parse_args()
    size = a.model_size or ("0.5b" if a.gpu else "tiny")
    a.steps = a.steps or (60 if a.gpu else 60)
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
    lf_venv = REPO / ".venv-llamafactory"
    lf = (lf_venv / "bin" / "llamafactory-cli").exists() and (lf_venv / ".batchscope-stamp").exists()
    if not lf and not a.no_llamafactory:
        print("llamafactory pair skipped: no complete .venv-llamafactory (bash scripts/setup-llamafactory.sh)")
    lf = lf and not a.no_llamafactory
    ours, plain, lf_ours, lf_cli = [], [], [], []
    for _ in range(a.repeats):  # alternate so drift in machine load hits both
        plain.append(run_plain(model, data, a))
        ours.append(run_runtime(model, data, a))
        if lf:
            lf_cli.append(run_llamafactory(model, data, a, False))
            lf_ours.append(run_llamafactory(model, data, a, True))
    med = lambda rs: statistics.median(r["steps_per_s"] for r in rs)  # noqa: E731
    device = "GPU" if a.gpu else "CPU"
    if a.gpu:
        import torch

        device = torch.cuda.get_device_name(0)
    print("\nbench/train: %s, model %s, batch %d, cutoff_len %d, %d steps x %d repeats (median), OMP_NUM_THREADS=%s\n"
          % (device, size, a.batch, a.cutoff, a.steps, a.repeats, os.environ.get("OMP_NUM_THREADS", "unset")))
    print("| engine | under Batchscope (steps/s) | bare (steps/s) | ratio | overhead |")
    print("|---|---|---|---|---|")
    pairs = [("transformers (%s) vs plain Trainer" % a.finetuning, ours, plain)]
    if lf:
        pairs.append(("llamafactory (LoRA) vs llamafactory-cli", lf_ours, lf_cli))
    for label, o, b in pairs:
        print("| %s | %.3f | %.3f | %.3f | %.1f%% |" % (label, med(o), med(b), med(o) / med(b), (1 - med(o) / med(b)) * 100))
    print("\ndata wait under Batchscope: %.2f ms/step (median), %.2f%% of step time; tokens/s %.0f; peak GPU memory %.2f GiB"
          % (statistics.median(r["data_wait_ms"] for r in ours), 100 * statistics.median(r["data_wait_share"] for r in ours),
             statistics.median(r["tokens_per_s"] for r in ours), max(r["peak_mem"] for r in ours) / 2 ** 30))
    print("all runs steps/s: batchscope %s, plain %s" % ([round(r["steps_per_s"], 3) for r in ours],
                                                          [round(r["steps_per_s"], 3) for r in plain]))


if __name__ == "__main__":
    main()
