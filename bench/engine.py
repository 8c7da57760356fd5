"""Engine figures: first frame of a new clip, cached reopen → playable, memory of a big plan."""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import figure
from core.cells.plan import PlanSettings, plan
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.media.info import AudioInfo, MediaInfo, VideoInfo
from core.model import project as proj
from core.model.timeline import Clip, MediaRef, Timeline
from core.preview.still import first_frame
from core.stream.assembler import Assembler
from core.stream.bytestream import GrowingStream
from core.synthetic.testpattern import make_source


def _first_frame(src: Path, runs: int) -> list[float]:
    info = proj.media_ref("a", str(src), src.parent).info
    assert info is not None
    out = []
    for i in range(runs):
        t0 = time.perf_counter()
        first_frame(info, 37 + 53 * i, (640, 360), Fraction(30))
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _reopen(d: Path, runs: int) -> list[float]:
    """Load the project, start the engine on the warm cache, and have the first fragment out."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = proj.load(d / "p.toml")
        with Engine(p, workers=2, store=CellStore(d / "cache")) as eng:
            asm = Assembler(eng.store, p.fps)
            sink = GrowingStream()
            session = asm.session(eng.timeline, eng.segments, 0, sink, eng.resolve).start_thread()
            sink.wait_for(1, 30)
            while not session.state.fragments and time.perf_counter() - t0 < 30:
                time.sleep(0.0005)
            out.append((time.perf_counter() - t0) * 1000)
            encoded = eng.scheduler.stats["cells_encoded"]
            session.cancel()
            session.join(10)
            asm.close()
        assert encoded == 0
    return out


def _big_plan() -> tuple[float, int, float]:
    """(MB allocated at peak, segments, seconds) for a 1-hour, 500-clip timeline's plan."""
    fps = Fraction(30000, 1001)
    refs = []
    for i in range(20):
        v = VideoInfo("h264", 1920, 1080, "yuv420p", fps, 108000, 0, Fraction(0))
        info = MediaInfo(
            Path(f"/media/{i}.mp4"), 10**9, "mov", Fraction(3600), v, AudioInfo("aac", 48000, 2, Fraction(0))
        )
        refs.append(MediaRef(f"m{i}", f"{i}.mp4", info.path, info))
    tracemalloc.start()
    t0 = time.perf_counter()
    tl = Timeline(fps, tuple(refs))
    clips = []
    for i in range(500):
        start = (i * 7919) % 100000
        clips.append(Clip(f"m{i % 20}", start, start + 215))  # 500 × 7.2 s ≈ 1 hour
    tl = replace(tl, clips=tuple(clips))
    segments = plan(tl, PlanSettings(60, "h264:640x360"), fingerprint_of=lambda ref: ref.id)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, len(segments), seconds


def run(runs: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-") as tmp:
        d = Path(tmp)
        src = make_source(d / "a.mp4", frames=450, width=1920, height=1080, fps=30, gop=60)
        ff = _first_frame(src, runs)
        p = replace(proj.new_from_media(d / "p.toml", [str(src)]), preview_height=360)
        proj.save(p, d / "p.toml")
        with Engine(p, workers=2, store=CellStore(d / "cache")) as eng:
            eng.wait_ready(300)
        reopen = _reopen(d, 5)
    mb, segments, seconds = _big_plan()
    return {
        "first_frame_of_new_clip_ms": figure(
            statistics.median(ff), "ms", runs, "target 80 ms (1080p H.264, 2 s GOP → 640x360)", max=round(max(ff), 1)
        ),
        "cached_reopen_to_playable_ms": figure(
            statistics.median(reopen), "ms", 5, "load project + engine + first fragment, warm cache, 0 encodes"
        ),
        "plan_1h_500_clips": figure(
            mb, "MB (Python allocations, peak)", 1, segments=segments, plan_seconds=round(seconds, 3)
        ),
    }
