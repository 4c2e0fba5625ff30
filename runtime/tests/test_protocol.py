"""The shared protocol: the schema is valid JSON Schema and sorts the shared vectors correctly.
(test/runtime/protocol.test.ts checks the TypeScript validator against the same vectors.)"""

import json

import jsonschema
import pytest

from conftest import REPO

SCHEMA = json.loads((REPO / "protocol" / "train-events.schema.json").read_text())
VECTORS = REPO / "protocol" / "vectors"


def lines(name):
    return [json.loads(l) for l in (VECTORS / name).read_text().splitlines() if l.strip()]


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("event", lines("valid.jsonl"), ids=lambda e: e["type"])
def test_valid_vectors_pass(event):
    jsonschema.Draft202012Validator(SCHEMA).validate(event)


@pytest.mark.parametrize("case", lines("invalid.jsonl"), ids=lambda c: c["why"])
def test_invalid_vectors_fail(case):
    assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(case["event"])


def test_every_event_type_has_a_valid_vector():
    types = {e["type"] for e in lines("valid.jsonl")}
    assert types == {s["$ref"].rsplit("/", 1)[1] for s in SCHEMA["oneOf"]}


@pytest.mark.parametrize("case", lines("requests.jsonl"), ids=lambda c: json.dumps(c["request"]))
def test_requests(case):
    v = jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": "#/$defs/request"})
    assert v.is_valid(case["request"]) == case["valid"]


def test_the_runtime_writes_nan_as_null_so_lines_stay_json(tmp_path):
    from batchscope_runtime.train.events import EventWriter

    with open(tmp_path / "ev.jsonl", "w") as f:
        EventWriter(f).emit("eval", step=1, epoch=0.5, eval_loss=float("nan"), eval_samples=3)
    event = json.loads((tmp_path / "ev.jsonl").read_text())
    assert event["eval_loss"] is None
    jsonschema.Draft202012Validator(SCHEMA).validate(event)
