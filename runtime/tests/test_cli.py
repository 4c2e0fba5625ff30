import subprocess
import sys

from conftest import RUNTIME


def test_module_runs_and_lists_commands():
    r = subprocess.run(
        [sys.executable, "-m", "batchscope_runtime", "--help"], cwd=RUNTIME, capture_output=True, text=True
    )
    assert r.returncode == 0
    assert "doctor" in r.stderr and "train" in r.stderr
