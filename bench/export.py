"""Export of a multi-clip 720p project vs the ffmpeg CLI doing the same export (issue 6's figure).

Both sides cut the same clips from the same sources and write libx264 (same preset, CRF and
2 s closed GOP) + AAC 48 kHz stereo into a faststart MP4. The CLI peer is the equivalent of a
concat list done right: one ``-ss IN -t DUR -i SRC`` input per clip (accurate input seeking, so
it decodes only what it needs) joined by the ``concat`` filter. livecut runs cold (empty export
cache), then again after trimming one clip (only that clip's changed segment is encoded), then
fully cached (join only).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import ensure_ffmpeg, figure, timed
from core.cells.store import CellStore
from core.export.render import ExportOptions, ExportResult, export
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.synthetic.testpattern import make_source

FPS = 30
SIZE = (1280, 720)
CLIPS = (("a", 30, 390), ("b", 60, 300), ("c", 0, 450), ("a", 450, 570), ("b", 330, 420))
"""(media, in, out) in frames: 12 s + 8 s + 15 s + 4 s + 3 s = 42 s of film."""
PRESET, CRF, GOP = "veryfast", 20, 2 * FPS


def _project(d: Path) -> proj.Project:
    sources = [
        make_source(
            d / f"{m}.mp4",
            frames=20 * FPS,
            width=SIZE[0],
            height=SIZE[1],
            fps=FPS,
            gop=GOP,
            label=m,
            tone_hz=300 + 100 * i,
        )
        for i, m in enumerate("abc")
    ]
    p = proj.new_from_media(d / "p.toml", [str(s) for s in sources])
    clips = tuple(Clip(m, a, b) for m, a, b in CLIPS)
    return replace(p, timeline=Timeline(p.fps, p.timeline.media, clips), width=SIZE[0], height=SIZE[1])


def _ffmpeg_cmd(ffmpeg: str, project: proj.Project, out: Path) -> list[str]:
    cmd = [ffmpeg, "-v", "error", "-y"]
    for clip in project.timeline.clips:
        src = project.timeline.media_by_id(clip.media).resolved
        start, length = Fraction(clip.in_, FPS), Fraction(clip.length, FPS)
        cmd += ["-ss", f"{float(start):.6f}", "-t", f"{float(length):.6f}", "-i", str(src)]
    n = len(project.timeline.clips)
    pads = "".join(f"[{i}:v][{i}:a]" for i in range(n))
    return [
        *cmd,
        "-filter_complex",
        f"{pads}concat=n={n}:v=1:a=1[v][a]",
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        PRESET,
        "-crf",
        str(CRF),
        "-g",
        str(GOP),
        "-keyint_min",
        str(GOP),
        "-sc_threshold",
        "0",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ar",
        "48000",
        "-ac",
        "2",
        "-movflags",
        "+faststart",
        str(out),
    ]


def _interleaved(funcs: dict[str, Callable[[], Any]], runs: int) -> dict[str, tuple[float, list[float], Any]]:
    """Like ``timed`` for several functions, run in turns, so a busy machine slows each alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    last: dict[str, Any] = {}
    for _ in range(runs):
        for name, func in funcs.items():
            t0 = time.perf_counter()
            last[name] = func()
            times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(ts), ts, last[name]) for name, ts in times.items()}


def _runs(values: list[float]) -> list[float]:
    return [round(t, 3) for t in values]


def run(runs: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-") as tmp:
        d = Path(tmp)
        project = _project(d)
        opts = ExportOptions(crf=CRF, preset=PRESET, gop_frames=GOP, force=True)
        workers = os.cpu_count() or 1
        ffmpeg = ensure_ffmpeg()

        def cold() -> ExportResult:
            store = CellStore(d / "cold")
            store.clear()
            return export(project, d / "cold.mp4", opts, store=store)

        contenders: dict[str, Callable[[], Any]] = {"livecut": cold}
        if ffmpeg:
            cmd = _ffmpeg_cmd(ffmpeg, project, d / "peer.mp4")
            contenders["ffmpeg"] = lambda: subprocess.run(cmd, check=True)
        measured = _interleaved(contenders, runs)
        cold_s, cold_runs, result = measured["livecut"]

        warm = CellStore(d / "warm")
        export(project, d / "warm.mp4", opts, store=warm)
        trims = iter(range(15, 15 + runs))  # a new in point each run: always one segment to encode

        def after_trim() -> ExportResult:
            edited = project.timeline.trim_in(2, next(trims))
            return export(replace(project, timeline=edited), d / "warm.mp4", opts, store=warm)

        trim_s, trim_runs, trimmed = timed(after_trim, runs)
        cached_s, cached_runs, _ = timed(lambda: export(project, d / "warm.mp4", opts, store=warm), runs)
        out: dict[str, Any] = {
            "source": f"{len(CLIPS)} clips from 3 sources, {result.duration_s:.0f} s of 1280x720@30 film; libx264 "
            f"{PRESET} crf {CRF}, GOP {GOP}, AAC 128k; {workers} workers "
            "(1 encoder thread each while segments outnumber them)",
            "export_cold_s": figure(
                cold_s, "s", runs, runs_s=_runs(cold_runs), segments=result.segments, bytes=result.bytes
            ),
            "reexport_after_trim_s": figure(
                trim_s,
                "s",
                runs,
                runs_s=_runs(trim_runs),
                segments_encoded=trimmed.segments_encoded,
                segments_reused=trimmed.segments_reused,
            ),
            "reexport_after_trim_vs_cold": figure(trim_s / cold_s, "x", runs, "livecut cold export"),
            "reexport_cached_s": figure(cached_s, "s", runs, runs_s=_runs(cached_runs)),
        }
        if "ffmpeg" not in measured:
            out["ffmpeg_cli_s"] = "ffmpeg CLI not available: peer not measured"
            return out
        peer_s, peer_runs, _ = measured["ffmpeg"]
        out["ffmpeg_cli_s"] = figure(peer_s, "s", runs, runs_s=_runs(peer_runs), bytes=(d / "peer.mp4").stat().st_size)
        out["export_cold_vs_ffmpeg_cli"] = figure(
            cold_s / peer_s,
            "x",
            runs,
            "ffmpeg CLI: same clips as -ss/-t inputs + concat filter, same x264 "
            "settings, AAC, faststart (all cores); runs interleaved with livecut's",
        )
        out["reexport_after_trim_vs_ffmpeg_cli"] = figure(trim_s / peer_s, "x", runs, "ffmpeg CLI, full export")
        return out
