import os
import sys
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[1]
REPO = RUNTIME.parent
sys.path.insert(0, str(RUNTIME))
FIXTURES = Path(os.environ.get("BATCHSCOPE_FIXTURES", REPO / "test" / ".fixtures"))
