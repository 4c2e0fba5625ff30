"""Data: LLaMA-Factory dataset_info formats, chat-template masks checked against transformers,
the padding collate and the resumable sampler."""

import json
import pickle

import pytest
import torch
from transformers import AutoTokenizer

from batchscope_runtime.train.collate import EncodedDataset, PadCollate
from batchscope_runtime.train.data import load_conversations
from batchscope_runtime.train.encode import Encoder
from batchscope_runtime.train.errors import DataError

from conftest import FIXTURES

TOKENIZER = FIXTURES / "tokenizer"


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_alpaca_and_sharegpt_rows_become_messages(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"q": "Add", "i": "1 2", "r": "3", "sys": "Be brief.", "h": [["hi", "hello"]]}])
    write_jsonl(
        tmp_path / "s.jsonl", [{"conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}]}]
    )
    write_jsonl(tmp_path / "o.jsonl", [{"chat": [{"speaker": "u", "text": "p"}, {"speaker": "b", "text": "q"}]}])
    (tmp_path / "dataset_info.json").write_text(
        json.dumps(
            {
                "a": {
                    "file_name": "a.jsonl",
                    "columns": {"prompt": "q", "query": "i", "response": "r", "system": "sys", "history": "h"},
                },
                "s": {"file_name": "s.jsonl", "formatting": "sharegpt"},
                "o": {
                    "file_name": "o.jsonl",
                    "formatting": "sharegpt",
                    "columns": {"messages": "chat"},
                    "tags": {"role_tag": "speaker", "content_tag": "text", "user_tag": "u", "assistant_tag": "b"},
                },
            }
        )
    )
    a, s, o = load_conversations(["a", "s", "o"], tmp_path)
    assert a["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "Add\n1 2"},
        {"role": "assistant", "content": "3"},
    ]
    assert s["messages"] == [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    assert o["messages"] == [{"role": "user", "content": "p"}, {"role": "assistant", "content": "q"}]
    assert s["line"] == 1 and s["file"].endswith("s.jsonl")


def test_bad_rows_name_file_and_line(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"conversations": []}\n{"conversations": [{"from": "robot", "value": "x"}]}\n')
    (tmp_path / "dataset_info.json").write_text(
        json.dumps({"bad": {"file_name": "bad.jsonl", "formatting": "sharegpt"}})
    )
    with pytest.raises(DataError) as e:
        load_conversations(["bad"], tmp_path)
    assert e.value.line == 1 and str(e.value.file).endswith("bad.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"conversations": [{"from": "human", "value": "x"}]}\n{"broken\n')
    with pytest.raises(DataError) as e:
        load_conversations(["bad"], tmp_path)
    assert e.value.line == 2 and "invalid JSON" in e.value.message
    with pytest.raises(DataError, match="neither in dataset_info.json"):
        load_conversations(["nope"], tmp_path)


def test_max_samples_caps_each_dataset():
    rows = load_conversations(["alpaca_demo", "sharegpt_demo"], FIXTURES / "train", max_samples=3)
    assert len(rows) == 6


CONVERSATIONS = [
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}],
    [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "and 3+3?"},
        {"role": "assistant", "content": "6, of course"},
    ],
]


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_labels_follow_the_templates_generation_mask(messages):
    tok = AutoTokenizer.from_pretrained(str(TOKENIZER))
    ids, labels, _ = Encoder(tok, 4096).encode(messages)
    truth = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    assert ids == list(truth["input_ids"])
    assert [l != -100 for l in labels] == [bool(m) for m in truth["assistant_masks"]]
    assert all(l == t for l, t in zip(labels, ids) if l != -100)


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_prefix_rendering_finds_the_same_spans_without_a_generation_tag(messages):
    tok = AutoTokenizer.from_pretrained(str(TOKENIZER))
    truth = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    tok.chat_template = tok.chat_template.replace("{% generation %}", "").replace("{% endgeneration %}", "")
    enc = Encoder(tok, 4096)
    assert not enc.uses_generation_tag
    ids, labels, _ = enc.encode(messages)
    assert ids == list(truth["input_ids"])
    assert [l != -100 for l in labels] == [bool(m) for m in truth["assistant_masks"]]


def test_truncation_keeps_every_turn_a_share_like_llamafactory():
    from batchscope_runtime.train.encode import infer_seqlen

    tok = AutoTokenizer.from_pretrained(str(TOKENIZER))
    full_ids, full_labels, truncated = Encoder(tok, 4096).encode(CONVERSATIONS[1])
    assert not truncated
    ids, labels, truncated = Encoder(tok, 40).encode(CONVERSATIONS[1])
    assert truncated and len(ids) <= 40 and len(labels) == len(ids)
    assert any(l != -100 for l in labels)  # kept (LLaMA-Factory truncates, never drops)
    first_target = next(i for i, l in enumerate(full_labels) if l != -100)
    n_target = next(i for i in range(first_target, len(full_labels)) if full_labels[i] == -100) - first_target
    s_len, t_len = infer_seqlen(first_target, n_target, 40)
    assert (
        ids[:s_len] == full_ids[:s_len]
        and labels[s_len : s_len + t_len] == full_labels[first_target : first_target + t_len]
    )
    assert Encoder(tok, 5).encode(CONVERSATIONS[0]) is not None  # even a tiny budget keeps the sample
    assert infer_seqlen(10, 10, 100) == (10, 10) and infer_seqlen(100, 100, 50) == (25, 25)


def test_pad_collate_pads_right_and_pickles():
    collate = pickle.loads(pickle.dumps(PadCollate(pad_id=0)))
    ds = EncodedDataset([([5, 6, 7], [-100, 6, 7]), ([8], [8])])
    batch = collate([ds[0], ds[1]])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [8, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["input_ids"].dtype == torch.long


def test_preprocessing_workers_give_the_same_encoding():
    from batchscope_runtime.train.encode import encode_all

    tok = AutoTokenizer.from_pretrained(str(FIXTURES / "model"))
    samples = load_conversations(["alpaca_demo", "sharegpt_demo"], FIXTURES / "train") * 4
    assert len(samples) >= 256  # below that, encode_all stays in-process
    assert encode_all(samples, tok, FIXTURES / "model", 128, 2) == encode_all(
        samples, tok, FIXTURES / "model", 128, None
    )


def test_preview_shows_the_samples_as_the_engine_feeds_them(tmp_path, monkeypatch):
    from batchscope_runtime.train import preview

    monkeypatch.chdir(FIXTURES / "train")
    out = tmp_path / "preview.jsonl"
    assert preview.main(["train.yaml", "--n", "3", "--out", str(out), "--set", "cutoff_len=40"]) == 0
    summary, *rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary["engine"] == "transformers" and summary["samples"] == 80 and summary["dropped"] == 0
    assert summary["truncated"] > 0 and "cutoff_len=40" in summary["why"]["truncated"]
    assert [r["index"] for r in rows] == [0, 1, 2]
    tok = AutoTokenizer.from_pretrained(str(FIXTURES / "model"))
    first = load_conversations(["alpaca_demo"], FIXTURES / "train", 1)[0]
    ids, labels, truncated = Encoder(tok, 40).encode(first["messages"])
    assert rows[0]["input_ids"] == ids and rows[0]["labels"] == labels and rows[0]["truncated"] == truncated
    assert len(rows[0]["tokens"]) == len(ids) and rows[0]["trained_tokens"] == sum(1 for x in labels if x != -100)
