"""`python -m batchscope_runtime doctor` against this interpreter's real packages."""

import json
import subprocess
import sys
from importlib.metadata import version

import torch

from batchscope_runtime import doctor

from conftest import RUNTIME


def test_doctor_reports_this_interpreter_as_json():
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "doctor"], cwd=RUNTIME, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] is True
    assert report["python"]["version"] == "%d.%d.%d" % sys.version_info[:3]
    assert report["packages"]["torch"]["version"] == version("torch")
    assert report["packages"]["transformers"]["version"] == version("transformers")
    assert report["packages"]["datasets"]["version"] == version("datasets")
    assert report["cuda"]["available"] == torch.cuda.is_available()
    assert len(report["cuda"]["devices"]) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert report["missing"] == []
    assert report["engines"]["transformers"] == {"ok": True, "missing": [], "install": None}
    assert report["packages"]["peft"]["version"] == version("peft")
    assert report["optional"]["tensorboard"]["version"] == version("tensorboard")


def test_a_missing_engine_package_names_its_install_command(monkeypatch):
    real = doctor._installed_version
    monkeypatch.setattr(
        doctor, "_installed_version", lambda d, i: None if d in ("peft", "llamafactory") else real(d, i)
    )
    report = doctor.collect()
    assert report["engines"]["transformers"]["missing"] == ["peft"]
    assert report["engines"]["transformers"]["install"].endswith("pip install --upgrade peft")
    assert report["engines"]["llamafactory"] == {
        "ok": False,
        "install": "%s -m pip install --upgrade llamafactory" % sys.executable,
    }


def test_missing_and_old_packages_come_with_the_install_command(monkeypatch):
    real = doctor._installed_version
    fake = {"datasets": None, "torch": "1.12.1"}
    monkeypatch.setattr(doctor, "_installed_version", lambda d, i: fake[d] if d in fake else real(d, i))
    report = doctor.collect()
    missing = {m["package"]: m for m in report["missing"]}
    assert missing["datasets"]["required"] is False and missing["datasets"]["reason"] == "not installed"
    assert missing["datasets"]["install"] == "%s -m pip install --upgrade datasets" % sys.executable
    assert missing["torch"]["reason"] == "version 1.12.1 is older than 1.13"
    assert missing["torch"]["install"].endswith("pip install --upgrade 'torch>=1.13'")
    assert report["ok"] is False  # torch is required


def test_version_comparison_handles_local_and_dev_suffixes():
    assert doctor._version_tuple("2.1.0+cu121") == (2, 1, 0)
    assert doctor._version_tuple("1.13.1") >= doctor._version_tuple("1.13")
    assert doctor._version_tuple("4.40.0.dev0") > doctor._version_tuple("4.34")
