"""Config loading: LLaMA-Factory keys, errors naming the key and its YAML line (unknown keys included,
with a did-you-mean), relative paths against the working directory, and the engine choice."""

import json
import subprocess
import sys

import pytest

from batchscope_runtime.train import engines
from batchscope_runtime.train.config import load_config, resolve_paths
from batchscope_runtime.train.errors import ConfigError

from conftest import FIXTURES, RUNTIME


def write(tmp_path, text, name="train.yaml"):
    (tmp_path / "model").mkdir(exist_ok=True)
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = "model_name_or_path: model\ndataset: a\noutput_dir: out\n"


def test_llamafactory_keys_are_read_with_their_types(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = resolve_paths(
        load_config(
            write(
                tmp_path,
                BASE + "learning_rate: 1e-4\ncutoff_len: 512\nbf16: true\n"
                "num_train_epochs: 2.0\ndataset_dir: .\nresume_from_checkpoint: false\n",
            )
        )
    )
    assert cfg.learning_rate == 1e-4  # PyYAML reads 1e-4 as a string; it is a number here
    assert cfg.cutoff_len == 512 and cfg.bf16 is True and cfg.num_train_epochs == 2.0
    assert cfg.dataset == ["a"] and cfg.model_name_or_path == tmp_path / "model"
    assert cfg.output_dir == tmp_path / "out" and cfg.resume_from_checkpoint is False
    assert cfg.per_device_train_batch_size is None  # not set: the Trainer's default applies
    assert cfg.finetuning_type == "lora" and cfg.lora_target == ["all"]  # LLaMA-Factory's defaults
    assert cfg.warnings == []


@pytest.mark.parametrize(
    "line, key, col, words",
    [
        ("learning_rate: fast", "learning_rate", 16, "expected a number"),
        ("per_device_train_batch_size: 0", "per_device_train_batch_size", 30, "at least 1"),
        ("cutoff_len: 12.5", "cutoff_len", 13, "expected an integer"),
        ("lr_scheduler_type: warm", "lr_scheduler_type", 20, "expected one of linear, cosine"),
        ("bf16: maybe", "bf16", 7, "expected true or false"),
        ("finetuning_type: qlora", "finetuning_type", 18, "expected one of full, lora, freeze"),
        ("quantization_bit: 3", "quantization_bit", 19, "expected one of 4, 8"),
        ("dataset: [1, 2]", "dataset", 10, "comma-separated"),
    ],
)
def test_a_bad_value_names_the_key_and_its_line(tmp_path, line, key, col, words):
    p = write(tmp_path, BASE + "seed: 1\n" + line + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    err = e.value
    assert err.key == key and err.line == 5 and err.col == col and words in err.message
    assert err.message.startswith(key + ":")
    assert err.file == str(p)


def test_an_unknown_key_is_an_error_with_its_line_and_a_did_you_mean(tmp_path):
    p = write(tmp_path, BASE + "learning_rat: 1.0e-3\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert e.value.line == 4 and e.value.col == 1 and e.value.key == "learning_rat"
    assert "did you mean 'learning_rate'" in e.value.message
    # TrainingArguments fields not in our table pass through; LLaMA-Factory keys are known
    cfg = load_config(
        write(tmp_path, BASE + "torch_empty_cache_steps: 4\nlogging_nan_inf_filter: false\nplot_loss: true\n")
    )
    assert cfg.passthrough == {"torch_empty_cache_steps": 4, "logging_nan_inf_filter": False}


def test_the_engine_is_chosen_with_a_reason(tmp_path, monkeypatch):
    cfg = load_config(write(tmp_path, BASE))
    assert engines.choose(cfg) == ("transformers", "every key is one the transformers engine honours (the default)")
    lf = write(tmp_path, BASE + "template: qwen\npacking: true\n")
    monkeypatch.setattr(engines, "llamafactory_installed", lambda: False)
    with pytest.raises(ConfigError) as e:
        engines.choose(load_config(lf))
    assert e.value.key == "packing" and e.value.line == 5
    assert "template: qwen (line 4)" in e.value.message and "pip install llamafactory" in e.value.message
    monkeypatch.setattr(engines, "llamafactory_installed", lambda: True)
    engine, reason = engines.choose(load_config(lf))
    assert engine == "llamafactory" and "packing" in reason and "template: qwen" in reason
    with pytest.raises(ConfigError, match="transformers engine cannot honour"):
        engines.choose(load_config(write(tmp_path, BASE + "engine: transformers\nstage: dpo\n")))


def test_relative_paths_resolve_against_the_working_directory(tmp_path, monkeypatch):
    p = write(tmp_path, BASE)
    monkeypatch.chdir(tmp_path)
    assert resolve_paths(load_config(p)).model_name_or_path == tmp_path / "model"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ConfigError) as e:
        resolve_paths(load_config(p))
    assert e.value.key == "model_name_or_path" and "working directory" in e.value.hint


def test_missing_model_folder_and_required_keys(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_paths(load_config(write(tmp_path, "model_name_or_path: nowhere\ndataset: a\noutput_dir: o\n")))
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
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "train", str(p)],
        cwd=RUNTIME,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "batchscope: error: %s:4:15: warmup_ratio: must be between 0 and 1, got 2.0" % p in r.stderr.splitlines()
    (event,) = [json.loads(l) for l in r.stdout.splitlines()]  # no launch event: the config never ran
    assert event["type"] == "error" and event["error_type"] == "ConfigError"
    assert event["location"] == {"file": str(p), "line": 4, "col": 15, "key": "warmup_ratio"}


def test_the_fixture_config_loads_clean(monkeypatch):
    monkeypatch.chdir(FIXTURES / "train")
    cfg = resolve_paths(load_config(FIXTURES / "train" / "train.yaml"))
    assert cfg.warnings == [] and cfg.dataset == ["alpaca_demo", "sharegpt_demo"]
