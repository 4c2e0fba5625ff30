"""The transformers engine's data: the config's datasets read (data.py), encoded with the tokenizer's
chat template (encode.py), truncated like LLaMA-Factory, split off `val_size`. Also what
Preview Training Data shows, so the preview is what the engine feeds."""

import random
from pathlib import Path

from .collate import EncodedDataset
from .data import load_conversations
from .encode import encode_all
from .errors import DataError


def load_tokenizer(cfg):
    from transformers import AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    tok = AutoTokenizer.from_pretrained(str(cfg.model_name_or_path), trust_remote_code=cfg.trust_remote_code)
    if tok.pad_token_id is None:
        if tok.eos_token_id is None:
            raise cfg.error("model_name_or_path", "the tokenizer has neither a pad nor an eos token")
        tok.pad_token = tok.eos_token
    template = cfg.template
    if template:  # engines.choose sent template names to LLaMA-Factory: this is a .jinja file
        path = Path(template) if Path(template).is_absolute() else Path.cwd() / template
        if not path.is_file():
            raise cfg.error("template", "'%s' is not a file (resolved to %s)" % (template, path))
        tok.chat_template = path.read_text(encoding="utf-8")
    return tok


def split(encoded, val_size, seed):
    if not val_size:
        return encoded, []
    n_val = int(val_size) if val_size >= 1 else max(int(round(len(encoded) * val_size)), 1)
    if n_val >= len(encoded):
        raise ValueError("val_size leaves no training samples (%d samples, %d for evaluation)" % (len(encoded), n_val))
    order = list(range(len(encoded)))
    random.Random(seed).shuffle(order)
    val = set(order[:n_val])
    return [e for i, e in enumerate(encoded) if i not in val], [encoded[i] for i in sorted(val)]


def build(cfg, tokenizer, seed=42):
    """Returns (samples, encoded, counts, train EncodedDataset, eval EncodedDataset)."""
    samples = load_conversations(cfg.dataset, cfg.dataset_dir, cfg.max_samples)
    try:
        encoded, counts = encode_all(
            samples, tokenizer, cfg.model_name_or_path, cfg.cutoff_len, cfg.preprocessing_num_workers
        )
    except ValueError as e:  # the template cannot render/mask
        raise DataError(str(e), file=samples[0]["file"], line=samples[0]["line"], col=1) from None
    if not encoded:
        raise cfg.error("dataset", "no sample has an assistant turn to train on")
    try:
        train, val = split(encoded, cfg.val_size, seed)
    except ValueError as e:
        raise cfg.error("val_size", str(e)) from None
    return samples, encoded, counts, EncodedDataset(train), EncodedDataset(val)
