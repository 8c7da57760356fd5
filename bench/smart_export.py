"""Smart export (#28) against the ordinary export of the same timeline, in one process.

A generated long-GOP H.264 source (2 s closed GOPs, 2 B-frames, tagged BT.709, like a camera's)
and a timeline of two trims cutting mid-GOP, where ~97 % of the frames lie in whole source GOPs.
The ordinary export runs cold (empty export cache) and so does the smart one; they alternate, so
a busy machine slows both alike. Printed: both times, their ratio, and the share of the smart
file's video packets and bytes that are the source's own.

``python -m bench.smart_export [HEIGHT]`` (default 1080; 720 on a slow machine).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import figure
from bench.export import _interleaved, _runs
from core.cells.store import CellStore
from core.export.render import ExportOptions, ExportResult, export
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.synthetic.testpattern import make_source

FPS = 30
GOP = 2 * FPS
SOURCE_FRAMES = 20 * FPS
CLIPS = (("a", 55, 305), ("a", 358, 600))
"""Two trims: [60, 300) and [360, 600) are whole GOPs, 480 of the 492 frames."""


def _project(d: Path, height: int) -> proj.Project:
    width = height * 16 // 9
    src = make_source(
        d / "a.mp4", frames=SOURCE_FRAMES, width=width, height=height, fps=FPS, gop=GOP, bframes=2, bt709=True
    )
    p = proj.new_from_media(d / "p.toml", [str(src)])
    clips = tuple(Clip(m, a, b) for m, a, b in CLIPS)
    return replace(p, timeline=Timeline(p.fps, p.timeline.media, clips), width=width, height=height)


def run(runs: int = 1, height: int = 1080) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-") as tmp:
        d = Path(tmp)
        project = _project(d, height)

        def ordinary() -> ExportResult:
            store = CellStore(d / "cache")
            store.clear()
            return export(project, d / "ordinary.mp4", ExportOptions(force=True), store=store)

        def smart() -> ExportResult:
            store = CellStore(d / "cache")
            store.clear()
            return export(project, d / "smart.mp4", ExportOptions(force=True, smart=True), store=store)

        measured = _interleaved({"ordinary": ordinary, "smart": smart}, runs)
        ord_s, ord_runs, _ = measured["ordinary"]
        smart_s, smart_runs, result = measured["smart"]
        s = result.smart
        assert s is not None
        frames = s.frames_copied + s.frames_encoded
        return {
            "source": f"{SOURCE_FRAMES / FPS:.0f} s of {project.width}x{project.height}@{FPS} H.264, GOP {GOP} closed, "
            f"2 B-frames; two trims, {frames} frames of film, {s.frames_copied} in whole source GOPs",
            "ordinary_export_s": figure(ord_s, "s", runs, runs_s=_runs(ord_runs)),
            "smart_export_s": figure(smart_s, "s", runs, runs_s=_runs(smart_runs)),
            "smart_vs_ordinary": figure(smart_s / ord_s, "x", runs, "ordinary export, cold cache, same process"),
            "frames_copied": s.frames_copied,
            "frames_encoded": s.frames_encoded,
            "video_packets_copied_share": round(s.packets_copied / s.video_packets, 4),
            "video_bytes_copied_share": round(s.bytes_copied / s.video_bytes, 4),
        }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(height=int(sys.argv[1]) if len(sys.argv) > 1 else 1080), indent=2) + "\n")
