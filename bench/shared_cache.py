"""Two ``livecut encode`` processes on one project and one cache (issue 10): they split the work.

Figures: the wall time of one encode alone on a fresh cache, of two started together on a fresh
cache (each process's time and the cells each encoded), so "together they encode each cell once"
is visible as cells_encoded adding up to the cells of the timeline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import figure
from core.model import project as proj
from core.synthetic.testpattern import make_source

ROOT = Path(__file__).resolve().parents[1]
SECONDS = 60


def _encode(project: Path, cache: Path, n: int) -> tuple[float, list[dict[str, Any]]]:
    env = {**os.environ, "LIVECUT_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "tui.cli", "encode", str(project), "--json"]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    docs = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    return time.perf_counter() - t0, docs


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-share-") as tmp:
        d = Path(tmp)
        src = make_source(d / "a.mp4", frames=30 * SECONDS, width=1280, height=720, fps=30, audio=False)
        proj.save(proj.new_from_media(d / "p.toml", [str(src)]))
        alone, (one,) = _encode(d / "p.toml", d / "cache-alone", 1)
        together, docs = _encode(d / "p.toml", d / "cache-shared", 2)
    return {
        "source": f"{SECONDS} s 1280x720@30 H.264; preview cells at the project's preview height",
        "alone_s": figure(alone, "s", 1, cells_encoded=one["cells_encoded"]),
        "two_together_wall_s": figure(
            together,
            "s",
            1,
            cells_encoded_each=[doc["cells_encoded"] for doc in docs],
            cells_total=docs[0]["cells_total"],
            seconds_each=[doc["seconds"] for doc in docs],
        ),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
