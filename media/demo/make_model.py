"""Builds a tiny, randomly initialised Llama-style model locally (nothing is downloaded).

    python make_model.py                # ./model: a byte-level BPE tokenizer trained here + the model
    python make_model.py --size 0.5b    # a ~0.5B-parameter model (for GPU benchmarks)

The training configs in this folder point at ./model. Test fixtures and bench/train.sh import
`build_model` from this file with their own tokenizer folder.
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

SIZES = {
    # hidden, layers, heads, kv heads, intermediate
    "tiny": (64, 2, 4, 2, 128),
    "small": (256, 4, 8, 4, 688),
    "0.5b": (1536, 18, 12, 4, 4096),
}

CHATML = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}"
    "{{ message['content'] + '<|im_end|>' + '\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def train_tokenizer(out, corpus_files=()):
    """A byte-level BPE tokenizer trained on the demo data, with a ChatML chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    text = [p.read_text(encoding="utf-8") for p in map(Path, corpus_files)] or ["hello world"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, min_frequency=1, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(text, trainer=trainer)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.save(str(out / "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": None, "eos_token": "<|im_end|>",
              "pad_token": "<|endoftext|>", "model_max_length": 4096, "chat_template": CHATML}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return out


def build_model(tokenizer_dir, out, size="tiny", seed=0):
    """Saves a random Llama-style causal LM + the tokenizer into `out` (vocab = len(tokenizer))."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    hidden, layers, heads, kv_heads, inter = SIZES[size]
    config = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=4096,
                         tie_word_embeddings=size == "tiny", bos_token_id=tok.bos_token_id,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(str(out))
    for f in Path(tokenizer_dir).iterdir():
        if f.is_file() and (f.name.startswith("tokenizer") or f.name in ("special_tokens_map.json", "chat_template.jinja")):
            shutil.copy(f, out / f.name)
    return out, sum(p.numel() for p in model.parameters())


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(Path(__file__).parent / "model"))
    p.add_argument("--size", choices=sorted(SIZES), default="tiny")
    p.add_argument("--tokenizer", default=None, help="use this tokenizer folder instead of training one")
    args = p.parse_args(argv)
    tok_dir = args.tokenizer
    if tok_dir is None:
        data = sorted((Path(__file__).parent / "data").glob("*.jsonl"))
        tok_dir = train_tokenizer(Path(args.out) / ".tokenizer", data)
    out, n = build_model(tok_dir, args.out, args.size)
    if args.tokenizer is None:
        shutil.rmtree(Path(args.out) / ".tokenizer", ignore_errors=True)
    print("model: %s (%s, %.1fM parameters)" % (out, args.size, n / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
