"""Config loading: LLaMA-Factory keys, errors naming the key and its YAML line, warnings for unknown keys."""
import json
import subprocess
import sys

import pytest

from batchscope_runtime.train.config import load_config
from batchscope_runtime.train.errors import ConfigError
from conftest import FIXTURES, RUNTIME


def write(tmp_path, text, name="train.yaml"):
    (tmp_path / "model").mkdir(exist_ok=True)
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = "model_name_or_path: model\ndataset: a\noutput_dir: out\n"


def test_llamafactory_keys_are_read_with_their_types(tmp_path):
    cfg = load_config(write(tmp_path, BASE + "learning_rate: 1e-4\ncutoff_len: 512\nbf16: true\n"
                                             "num_train_epochs: 2.0\ndataset_dir: .\nresume_from_checkpoint: false\n"))
    assert cfg.learning_rate == 1e-4  # PyYAML reads 1e-4 as a string; it is a number here
    assert cfg.cutoff_len == 512 and cfg.bf16 is True and cfg.num_train_epochs == 2.0
    assert cfg.dataset == ["a"] and cfg.model_name_or_path == tmp_path / "model"
    assert cfg.output_dir == tmp_path / "out" and cfg.resume_from_checkpoint is False
    assert cfg.per_device_train_batch_size == 8 and cfg.lr_scheduler_type == "linear"
    assert cfg.warnings == []


@pytest.mark.parametrize("line, key, col, words", [
    ("learning_rate: fast", "learning_rate", 16, "expected a number"),
    ("per_device_train_batch_size: 0", "per_device_train_batch_size", 30, "at least 1"),
    ("cutoff_len: 12.5", "cutoff_len", 13, "expected an integer"),
    ("lr_scheduler_type: warm", "lr_scheduler_type", 20, "expected one of linear, cosine"),
    ("bf16: maybe", "bf16", 7, "expected true or false"),
    ("finetuning_type: lora", "finetuning_type", 18, "expected one of full"),
    ("dataset: [1, 2]", "dataset", 10, "comma-separated"),
])
def test_a_bad_value_names_the_key_and_its_line(tmp_path, line, key, col, words):
    p = write(tmp_path, BASE + "seed: 1\n" + line + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    err = e.value
    assert err.key == key and err.line == 5 and err.col == col and words in err.message
    assert err.message.startswith(key + ":")
    assert err.file == str(p)


def test_unknown_keys_are_warnings_with_their_line(tmp_path):
    cfg = load_config(write(tmp_path, BASE + "lora_rank: 8\nplot_loss: true\n"))
    assert [(w[0], w[1], w[2]["line"], w[2]["key"]) for w in cfg.warnings] == [
        ("unknown key 'lora_rank' is ignored", "unknown_key", 4, "lora_rank")]


def test_missing_model_folder_and_required_keys(tmp_path):
    with pytest.raises(ConfigError, match="is not a local folder"):
        load_config(write(tmp_path, "model_name_or_path: nowhere\ndataset: a\noutput_dir: o\n"))
    with pytest.raises(ConfigError, match="missing required key 'dataset'"):
        load_config(write(tmp_path, "model_name_or_path: model\noutput_dir: o\n"))


def test_yaml_syntax_errors_point_at_the_line(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, BASE + "cutoff_len: [1, 2\nseed: 3\n"))
    assert e.value.line >= 4 and "invalid YAML" in e.value.message


def test_overrides_win_and_are_checked(tmp_path):
    p = write(tmp_path, BASE + "max_steps: 10\n")
    cfg = load_config(p, ["max_steps=3", "learning_rate=2.0e-3", "resume_from_checkpoint=true"])
    assert cfg.max_steps == 3 and cfg.learning_rate == 2e-3 and cfg.resume_from_checkpoint is True
    with pytest.raises(ConfigError) as e:
        load_config(p, ["max_steps=-5"])
    assert e.value.key == "max_steps" and e.value.line == 4


def test_bf16_and_fp16_together_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="choose one"):
        load_config(write(tmp_path, BASE + "bf16: true\nfp16: true\n"))


def test_the_cli_prints_a_problem_matcher_line_and_an_error_event(tmp_path):
    p = write(tmp_path, BASE + "warmup_ratio: 2\nlora_target: all\n")
    r = subprocess.run([sys.executable, "-m", "batchscope_runtime", "train", str(p)], cwd=RUNTIME,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "batchscope: error: %s:4:15: warmup_ratio: must be between 0 and 1, got 2.0" % p in r.stderr.splitlines()
    (event,) = [json.loads(l) for l in r.stdout.splitlines()]
    assert event["type"] == "error" and event["error_type"] == "ConfigError"
    assert event["location"] == {"file": str(p), "line": 4, "col": 15, "key": "warmup_ratio"}


def test_the_fixture_config_loads_clean():
    cfg = load_config(FIXTURES / "train" / "train.yaml")
    assert cfg.warnings == [] and cfg.dataset == ["alpaca_demo", "sharegpt_demo"]
