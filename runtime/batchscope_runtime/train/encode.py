"""Conversation -> (input_ids, labels) with the tokenizer's own chat template.

Labels are -100 outside assistant turns. When the template marks assistant text with
`{% generation %}`, transformers' assistant mask is used as is; otherwise the assistant spans are
found by rendering prefixes (messages[:i] with the generation prompt vs messages[:i+1]) and mapped
to tokens through the fast tokenizer's offsets. Sequences are cut to `cutoff_len`.
"""
import json
import re

IGNORE_INDEX = -100
GENERATION_TAG = re.compile(r"{%-?\s*generation\s*-?%}")


def template_text(tokenizer):
    t = getattr(tokenizer, "chat_template", None)
    if isinstance(t, dict):
        t = t.get("default") or next(iter(t.values()), None)
    return t


class Encoder:
    def __init__(self, tokenizer, cutoff_len):
        self.tokenizer = tokenizer
        self.cutoff_len = cutoff_len
        template = template_text(tokenizer)
        if not template:
            raise ValueError("the tokenizer has no chat_template; add one to tokenizer_config.json (or chat_template.jinja)")
        self.uses_generation_tag = bool(GENERATION_TAG.search(template))

    def encode(self, messages, tools=None):
        """Returns (input_ids, labels) as lists, or None when no assistant token survives the cut."""
        if isinstance(tools, str):
            tools = json.loads(tools) if tools.strip() else None
        if self.uses_generation_tag:
            ids, mask = self._with_generation_mask(messages, tools)
        else:
            ids, mask = self._with_prefix_spans(messages, tools)
        ids, mask = ids[: self.cutoff_len], mask[: self.cutoff_len]
        if not any(mask):
            return None
        labels = [t if m else IGNORE_INDEX for t, m in zip(ids, mask)]
        return ids, labels

    def _render(self, messages, tools, add_generation_prompt=False):
        return self.tokenizer.apply_chat_template(messages, tools=tools, tokenize=False,
                                                  add_generation_prompt=add_generation_prompt)

    def _with_generation_mask(self, messages, tools):
        out = self.tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, return_dict=True,
                                                 return_assistant_tokens_mask=True)
        ids = list(out["input_ids"])
        mask = list(out["assistant_masks"])
        return ids, mask

    def _with_prefix_spans(self, messages, tools):
        full = self._render(messages, tools)
        spans = []
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            prefix = self._render(messages[:i], tools, add_generation_prompt=True) if i else \
                self._render([], tools, add_generation_prompt=True)
            upto = self._render(messages[: i + 1], tools)
            if not (full.startswith(upto) and upto.startswith(prefix)):
                raise ValueError("the chat template does not render conversations prefix by prefix; "
                                 "add {% generation %} around assistant text so turns can be masked")
            end = len(upto)
            while end > len(prefix) and upto[end - 1].isspace():  # the newline after an end-of-turn token
                end -= 1
            spans.append((len(prefix), end))
        enc = self.tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        mask = [any(s <= start < e for s, e in spans) and end > start for start, end in enc["offset_mapping"]]
        return ids, [1 if x else 0 for x in mask]


def _encode_chunk(args):
    """Worker for preprocessing_num_workers > 1 (module-level so multiprocessing can pickle it)."""
    tokenizer_dir, chat_template, cutoff_len, chunk = args
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer.chat_template = chat_template  # the `template` key may have replaced it
    enc = Encoder(tokenizer, cutoff_len)
    return [enc.encode(s["messages"], s.get("tools")) for s in chunk]


def encode_all(samples, tokenizer, tokenizer_dir, cutoff_len, num_workers=None):
    """Encodes every sample; returns (list of (ids, labels)), number dropped)."""
    if num_workers and num_workers > 1 and len(samples) >= 256:
        import multiprocessing as mp

        size = (len(samples) + num_workers - 1) // num_workers
        chunks = [(str(tokenizer_dir), tokenizer.chat_template, cutoff_len, samples[i:i + size])
                  for i in range(0, len(samples), size)]
        with mp.get_context("spawn").Pool(num_workers) as pool:
            results = [r for part in pool.map(_encode_chunk, chunks) for r in part]
    else:
        enc = Encoder(tokenizer, cutoff_len)
        results = [enc.encode(s["messages"], s.get("tools")) for s in samples]
    kept = [r for r in results if r is not None]
    return kept, len(results) - len(kept)
