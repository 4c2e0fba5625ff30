"""`python -m batchscope_runtime doctor`: one JSON report on stdout about this interpreter.

Python version; torch (and whether CUDA works, with each device's name and memory);
transformers, datasets and the other packages the runtime uses; and for whatever is missing or
too old, the exact command that installs it for *this* interpreter. Exit code 0 when everything
required is there, 1 otherwise (the report is printed either way).
"""

import json
import platform
import shlex
import sys

from . import __version__

# name: (import name, minimum version or None, required, purpose)
PACKAGES = {
    "torch": ("torch", "1.13", True, "training and the DataLoader debugger"),
    "transformers": ("transformers", "4.34", True, "models, tokenizers and chat templates (apply_chat_template)"),
    "pyyaml": ("yaml", "5.1", True, "reading training configs"),
    "safetensors": ("safetensors", "0.3", True, "writing checkpoints"),
    "numpy": ("numpy", None, True, "RNG state in checkpoints"),
    "accelerate": ("accelerate", "0.26", True, "transformers.Trainer (the transformers engine)"),
    "peft": ("peft", "0.10", True, "finetuning_type: lora/freeze in the transformers engine"),
    "datasets": ("datasets", None, False, "reading .arrow files and save_to_disk folders"),
    "pyarrow": ("pyarrow", None, False, "reading .parquet files"),
}


def _version_tuple(v):
    out = []
    for part in str(v).split("+")[0].split(".")[:3]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        out.append(int(digits or 0))
    return tuple(out)


def _installed_version(dist_name, import_name):
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    for name in (dist_name, import_name, "PyYAML" if dist_name == "pyyaml" else dist_name):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return None


def _install_command(package, minimum):
    spec = "%s>=%s" % (package, minimum) if minimum else package
    return "%s -m pip install --upgrade %s" % (shlex.quote(sys.executable), shlex.quote(spec))


def _cuda_report():
    report = {"available": False, "version": None, "devices": [], "error": None}
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - a broken torch install is a finding, not a crash
        report["error"] = "import torch failed: %s" % e
        return report, None
    try:
        report["version"] = torch.version.cuda
        report["available"] = bool(torch.cuda.is_available())
        if report["available"]:
            for i in range(torch.cuda.device_count()):
                p = torch.cuda.get_device_properties(i)
                report["devices"].append(
                    {
                        "index": i,
                        "name": p.name,
                        "total_memory": int(p.total_memory),
                        "capability": "%d.%d" % (p.major, p.minor),
                        "bf16": p.major >= 8,
                    }
                )
    except Exception as e:  # noqa: BLE001
        report["error"] = str(e)
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    return report, {"available": bool(mps and mps.is_available())}


# Engines and the optional packages behind some config keys: reported, never required.
OPTIONAL = {
    "tensorboard": ("tensorboard", "report_to: tensorboard"),
    "bitsandbytes": ("bitsandbytes", "QLoRA (quantization_bit) on CUDA"),
    "deepspeed": ("deepspeed", "deepspeed: <config.json>"),
    "llamafactory": ("llamafactory", "the llamafactory engine (template names, stage: dpo/kto/pt, packing, ...)"),
}
# The oldest release the engine is tested on (the torch 1.13 lane, scripts/test-torch113.sh): it needs
# Trainer.get_batch_samples and processing_class (4.46+); tuning.dtype_kwarg() covers the pre-4.56 `torch_dtype`.
TRANSFORMERS_ENGINE_MIN = "4.47"


def _engines(packages):
    extras = {}
    for name, (import_name, purpose) in OPTIONAL.items():
        v = _installed_version(name, import_name)
        extras[name] = {"version": v, "purpose": purpose, "install": None if v else _install_command(name, None)}
    tv = packages["transformers"]["version"]
    needs = [n for n in ("transformers", "accelerate", "peft") if not packages[n]["ok"]]
    if tv and _version_tuple(tv) < _version_tuple(TRANSFORMERS_ENGINE_MIN):
        needs.append("transformers>=%s" % TRANSFORMERS_ENGINE_MIN)
    engines = {
        "transformers": {
            "ok": not needs,
            "missing": needs,
            "install": (
                "%s -m pip install --upgrade %s"
                % (shlex.quote(sys.executable), " ".join(shlex.quote(n) for n in needs))
                if needs
                else None
            ),
        },
        "llamafactory": {
            "ok": extras["llamafactory"]["version"] is not None,
            "install": extras["llamafactory"]["install"],
        },
    }
    return engines, extras


def collect():
    packages, missing = {}, []
    for name, (import_name, minimum, required, purpose) in PACKAGES.items():
        v = _installed_version(name, import_name)
        problem = None
        if v is None:
            problem = "not installed"
        elif minimum and _version_tuple(v) < _version_tuple(minimum):
            problem = "version %s is older than %s" % (v, minimum)
        packages[name] = {
            "version": v,
            "ok": problem is None,
            "required": required,
            "minimum": minimum,
            "purpose": purpose,
            "problem": problem,
        }
        if problem:
            missing.append(
                {"package": name, "required": required, "reason": problem, "install": _install_command(name, minimum)}
            )
    cuda, mps = (
        _cuda_report()
        if packages["torch"]["version"]
        else ({"available": False, "version": None, "devices": [], "error": None}, None)
    )
    report = {
        "ok": not any(m["required"] for m in missing),
        "runtime_version": __version__,
        "python": {
            "version": platform.python_version(),
            "executable": sys.executable,
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
        },
        "packages": packages,
        "cuda": cuda,
        "missing": missing,
    }
    report["engines"], report["optional"] = _engines(packages)
    if mps is not None:
        report["mps"] = mps
    return report


def main(argv):
    report = collect()
    json.dump(report, sys.stdout, indent=None if "--compact" in argv else 2)
    sys.stdout.write("\n")
    return 0 if report["ok"] else 1
