"""Copies the chosen e2e screenshots (test-output/e2e/, from `npm run test:e2e`) into the committed
places: media/screenshots/ (README) and media/walkthrough/ (the Getting Started walkthrough, which
ships in the VSIX). Each is scaled to 1000 px wide and palette-quantized so it stays under 150 KB.

    .venv/bin/python test/e2e/publish-screenshots.py
"""
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test-output"
SRC = OUT / "e2e"  # a name with a folder (container/…) is relative to test-output/ instead
LIMIT = 150 * 1024

# e2e screenshot → committed file(s)
CHOSEN = {
    "dataset-arrow-tokens.png": ["media/screenshots/dataset-tokens.png", "media/walkthrough/dataset.png"],
    "dataset-arrow-stats.png": ["media/screenshots/dataset-stats.png"],
    "jsonl-errors-errors.png": ["media/screenshots/jsonl-errors.png"],
    "chat-template-preview.png": ["media/screenshots/chat-template.png", "media/walkthrough/template.png"],
    "chat-template-syntax-error.png": ["media/screenshots/chat-template-error.png"],
    "training-dashboard.png": ["media/screenshots/training.png", "media/walkthrough/training.png"],
    "debug-variables.png": ["media/screenshots/debug-variables.png", "media/walkthrough/debug.png"],
    "walkthrough-doctor.png": ["media/walkthrough/doctor.png"],
    "walkthrough-steps.png": ["media/screenshots/walkthrough.png"],
    "dataset-sort-filter-light-sorted.png": ["media/screenshots/dataset-sort-filter.png"],
    "record-batches-grid.png": ["media/screenshots/record-batches.png"],
    "container/debug-variables.png": ["media/screenshots/container-debug.png"],
}


def source(name: str) -> Path:
    return OUT / name if "/" in name else SRC / name


def shrink(src: Path, dst: Path, width: int = 1000) -> int:
    im = Image.open(src).convert("RGB")
    if im.width > width:
        im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    for colors in (256, 128, 64):
        q = im.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        dst.parent.mkdir(parents=True, exist_ok=True)
        q.save(dst, optimize=True)
        if dst.stat().st_size < LIMIT:
            break
    return dst.stat().st_size


def main() -> int:
    missing = [n for n in CHOSEN if not source(n).exists()]
    if missing:
        print(f"missing in {OUT}: {', '.join(missing)} (run the e2e and container lanes first)", file=sys.stderr)
    status = 0
    for name, targets in CHOSEN.items():
        if name in missing:
            status = 1
            continue
        for t in targets:
            size = shrink(source(name), REPO / t)
            print(f"{t}: {size // 1024} KB")
            if size >= LIMIT:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
