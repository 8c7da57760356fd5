"""Decode amplification on real camera and encoder files (``../shared/media``), issue 10.

Synthetic sources have short, regular GOPs and no B-frame reordering; real files have long GOPs,
open GOPs, edit lists and B-frame pyramids, which is where extra decodes come from. For each
file a one-clip project is encoded cold (2 workers, like the editor) and the source frames
decoded are divided by the frames the project shows.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from bench.common import figure
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.errors import LivecutError
from core.model import project as proj

log = logging.getLogger(__name__)

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
"""The shared folder of real files beside the checkout (absent on other machines: skipped)."""


def _amplification(src: Path, tmp: Path) -> tuple[int, int]:
    """(frames decoded, frames shown) for a cold encode of the whole file as one clip."""
    p = proj.new_from_media(tmp / f"{src.stem}.toml", [str(src)])
    store = CellStore(tmp / f"cache-{src.stem}")
    store.clear()
    eng = Engine(p, workers=2, store=store)
    try:
        eng.wait_ready(300)
    finally:
        eng.close()
    return eng.decode_stats.frames_decoded, eng.decode_stats.frames_shown


def run() -> dict[str, Any]:
    if not MEDIA.is_dir():
        return {"skipped": f"{MEDIA} is absent"}
    per_file: dict[str, Any] = {}
    decoded_all = shown_all = 0
    with tempfile.TemporaryDirectory(prefix="livecut-bench-real-") as tmp:
        for src in sorted(MEDIA.iterdir()):
            if src.suffix in (".md", ".m4a"):
                continue
            try:
                decoded, shown = _amplification(src, Path(tmp))
            except LivecutError as exc:
                per_file[src.name] = f"not measured: {exc}"
                continue
            decoded_all += decoded
            shown_all += shown
            per_file[src.name] = figure(decoded / max(1, shown), "decoded / shown", 1, decoded=decoded, shown=shown)
    return {
        "source": f"every video file in {MEDIA}, one clip each, cold encode with 2 workers",
        "decode_amplification": figure(decoded_all / max(1, shown_all), "decoded / shown", 1),
        "per_file": per_file,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
