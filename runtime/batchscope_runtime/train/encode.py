"""Conversation -> (input_ids, labels) with the tokenizer's own chat template.

Labels are -100 outside assistant turns. When the template marks assistant text with
`{% generation %}`, transformers' assistant mask is used as is; otherwise the assistant spans are
found by rendering prefixes (messages[:i] with the generation prompt vs messages[:i+1]) and mapped
to tokens through the fast tokenizer's offsets. Over-long samples are truncated as LLaMA-Factory
truncates them (each prompt/response pair shares what is left of `cutoff_len`), never dropped.
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
            raise ValueError(
                "the tokenizer has no chat_template; add one to tokenizer_config.json (or chat_template.jinja)"
            )
        self.uses_generation_tag = bool(GENERATION_TAG.search(template))

    def encode(self, messages, tools=None):
        """Returns (input_ids, labels, truncated) or None when the sample has no assistant token."""
        if isinstance(tools, str):
            tools = json.loads(tools) if tools.strip() else None
        if self.uses_generation_tag:
            ids, mask = self._with_generation_mask(messages, tools)
        else:
            ids, mask = self._with_prefix_spans(messages, tools)
        truncated = len(ids) > self.cutoff_len
        if truncated:
            ids, mask = truncate_pairs(ids, mask, self.cutoff_len)
        if not any(mask):
            return None
        labels = [t if m else IGNORE_INDEX for t, m in zip(ids, mask)]
        return ids, labels, truncated

    def _render(self, messages, tools, add_generation_prompt=False):
        return self.tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def _with_generation_mask(self, messages, tools):
        out = self.tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids = list(out["input_ids"])
        mask = list(out["assistant_masks"])
        return ids, mask

    def _with_prefix_spans(self, messages, tools):
        full = self._render(messages, tools)
        spans = []
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            prefix = (
                self._render(messages[:i], tools, add_generation_prompt=True)
                if i
                else self._render([], tools, add_generation_prompt=True)
            )
            upto = self._render(messages[: i + 1], tools)
            if not (full.startswith(upto) and upto.startswith(prefix)):
                raise ValueError(
                    "the chat template does not render conversations prefix by prefix; "
                    "add {% generation %} around assistant text so turns can be masked"
                )
            end = len(upto)
            while end > len(prefix) and upto[end - 1].isspace():  # the newline after an end-of-turn token
                end -= 1
            spans.append((len(prefix), end))
        enc = self.tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        mask = [any(s <= start < e for s, e in spans) and end > start for start, end in enc["offset_mapping"]]
        return ids, [1 if x else 0 for x in mask]


def infer_seqlen(source_len, target_len, cutoff_len):
    """LLaMA-Factory's budget split between a prompt (source) and its response (target)."""
    if target_len * 2 < cutoff_len:
        max_target = cutoff_len
    elif source_len * 2 < cutoff_len:
        max_target = cutoff_len - source_len
    else:
        max_target = int(cutoff_len * (target_len / (source_len + target_len)))
    new_target = min(max_target, target_len)
    new_source = min(max(cutoff_len - new_target, 0), source_len)
    return new_source, new_target


def truncate_pairs(ids, mask, cutoff_len):
    """Splits the sequence into (untrained run, trained run) pairs and cuts each pair from its end with
    the budget left, turn by turn, as LLaMA-Factory does; later turns get what remains."""
    pairs, i, n = [], 0, len(ids)
    while i < n:
        j = i
        while j < n and not mask[j]:
            j += 1
        k = j
        while k < n and mask[k]:
            k += 1
        pairs.append((i, j, k))
        i = k
    out_ids, out_mask, total = [], [], 0
    for start, mid, end in pairs:
        if total >= cutoff_len:
            break
        s_len, t_len = infer_seqlen(mid - start, end - mid, cutoff_len - total)
        out_ids += ids[start : start + s_len] + ids[mid : mid + t_len]
        out_mask += [0] * s_len + [1] * t_len
        total += s_len + t_len
    return out_ids, out_mask


def _encode_chunk(args):
    """Worker for preprocessing_num_workers > 1 (module-level so multiprocessing can pickle it)."""
    tokenizer_dir, chat_template, cutoff_len, chunk = args
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    tokenizer.chat_template = chat_template  # the `template` key may have replaced it
    enc = Encoder(tokenizer, cutoff_len)
    return [enc.encode(s["messages"], s.get("tools")) for s in chunk]


def encode_all(samples, tokenizer, tokenizer_dir, cutoff_len, num_workers=None):
    """Encodes every sample; returns (list of (ids, labels), counts) with counts
    {"truncated": n, "dropped": n} (dropped: no assistant token at all)."""
    if num_workers and num_workers > 1 and len(samples) >= 256:
        import multiprocessing as mp

        size = (len(samples) + num_workers - 1) // num_workers
        chunks = [
            (str(tokenizer_dir), tokenizer.chat_template, cutoff_len, samples[i : i + size])
            for i in range(0, len(samples), size)
        ]
        with mp.get_context("spawn").Pool(num_workers) as pool:
            results = [r for part in pool.map(_encode_chunk, chunks) for r in part]
    else:
        enc = Encoder(tokenizer, cutoff_len)
        results = [enc.encode(s["messages"], s.get("tools")) for s in samples]
    kept = [(r[0], r[1]) for r in results if r is not None]
    counts = {"truncated": sum(1 for r in results if r is not None and r[2]), "dropped": len(results) - len(kept)}
    return kept, counts
