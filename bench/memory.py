"""Memory of a long preview (issue 19): RSS after 1, 5 and 10 minutes of playback, and its slope.

What is measured: a 1-hour timeline of 500 clips (7.2 s each, cut at varying in-points from four
20 s 640×360 test-pattern sources, so every clip boundary is a real cut) is fully encoded, then
played by the same ``core.preview.Preview`` the editor uses in ``--preview terminal`` mode: libmpv
renders 160×90 RGB frames (a 160×45 pane of half blocks) and a drawing thread turns the latest one
into half-block strips with ``tui.widgets.halfblock.render`` at up to 30 fps, as the editor's pane
does. The Textual app itself is left out (its memory does not depend on playback time).

Why at 4×: ten minutes of real playback is too long for a bench run, so the timeline plays at the
player's top shuttle speed (``MAX_SPEED``), which moves four times as many bytes per second through
the stream, libmpv's cache and the renderer; the minutes are minutes of *timeline*, reached after
a quarter of that in wall time. RSS is the whole process's (``/proc/self/status`` VmRSS).

The slope is a least-squares fit of RSS against timeline minutes over the samples after the
first minute, and again after the fifth: the test pattern compresses to far fewer bytes per
second than camera footage, so libmpv's back window (``PREVIEW_WINDOW_MB``) takes minutes of this
timeline to fill, and only once it is full is the slope expected to be ~0.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import figure
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.player.player import MAX_SPEED
from core.preview.preview import Preview
from core.synthetic.testpattern import make_source
from tui.widgets import halfblock

CLIPS = 500
CLIP_SECONDS = 7.2
SOURCE_SECONDS = 20
FPS = 30
PANE = (160, 45)
MARKS_MINUTES = (1, 5, 10)
WALL_LIMIT = 180.0
"""Seconds of playback at most, whatever position was reached."""


def rss_mb() -> float:
    """Resident set size of this process in MB (MiB), from ``/proc``."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _project(d: Path) -> proj.Project:
    frames = SOURCE_SECONDS * FPS
    sources = [
        str(make_source(d / f"s{i}.mp4", frames=frames, width=640, height=360, fps=FPS, label=str(i))) for i in range(4)
    ]
    base = proj.new_from_media(d / "long.toml", sources)
    timeline = Timeline(base.timeline.fps, base.timeline.media)
    ids = [m.id for m in base.timeline.media]
    length = round(CLIP_SECONDS * FPS)
    for k in range(CLIPS):
        start = (k * 37) % (frames - length)
        timeline = timeline.append(Clip(ids[k % len(ids)], start, start + length))
    return replace(base, timeline=timeline, preview_height=360)


def _slope(samples: list[tuple[float, float]], after_minutes: float) -> float | None:
    """MB per timeline minute, least squares over the samples past ``after_minutes``."""
    points = [(m, r) for m, r in samples if m >= after_minutes]
    if len(points) < 3 or points[-1][0] - points[0][0] < 0.5:
        return None
    return statistics.linear_regression([m for m, _ in points], [r for _, r in points]).slope


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-mem-") as tmp:
        d = Path(tmp)
        project = _project(d)
        with Engine(project, workers=2, store=CellStore(d / "cache")) as engine:
            engine.wait_ready(600)
            return _play(project, engine)


def _play(project: proj.Project, engine: Engine) -> dict[str, Any]:
    latest: list[np.ndarray] = []
    new_frame = threading.Event()
    stop = threading.Event()
    drawn = [0]

    def on_frame(rgb: np.ndarray) -> None:
        latest[:] = [rgb]
        new_frame.set()

    def draw() -> None:
        while not stop.is_set():
            if new_frame.wait(0.1):
                new_frame.clear()
                if latest:
                    halfblock.render(latest[-1], *PANE)
                    drawn[0] += 1
            time.sleep(1 / 30)

    rss_idle = rss_mb()
    fps = float(project.fps)
    samples: list[tuple[float, float]] = []  # (timeline minutes, RSS MB)
    held: list[int] = []
    cache_total: list[int] = []
    with Preview(engine, "terminal", (PANE[0], PANE[1] * 2), on_frame, None, audio=False) as preview:
        drawer = threading.Thread(target=draw, name="bench-draw", daemon=True)
        drawer.start()
        preview.set_timeline(project.timeline, 0)
        preview.set_speed(MAX_SPEED)
        started = time.monotonic()
        while time.monotonic() - started < WALL_LIMIT:
            time.sleep(0.5)
            minutes = preview.frame / fps / 60
            samples.append((minutes, rss_mb()))
            session = preview._session
            if session is not None:
                held.append(session.sink.retained)
            state = preview.player._mpv.demuxer_cache_state
            if isinstance(state, dict):
                cache_total.append(int(state.get("total-bytes", 0)))
            if minutes >= MARKS_MINUTES[-1]:
                break
        wall = time.monotonic() - started
        stop.set()
        drawer.join(2)
        window_mb = preview.window_bytes / (1024 * 1024)
        bitrate = session.sink.size / max(1e-9, (preview.frame - session.start_frame) / fps) if session else 0.0

    out: dict[str, Any] = {
        "description": (
            f"{CLIPS}-clip 1-hour timeline (cached) in the editor's terminal preview ({PANE[0]}x{PANE[1]} "
            f"half blocks), played at the {MAX_SPEED:g}x shuttle speed: minutes are timeline minutes"
        ),
        "rss_before_preview_mb": figure(rss_idle, "MB", 1),
        "played_minutes": figure(samples[-1][0] if samples else 0.0, "min", 1, wall_seconds=round(wall, 1)),
        "peak_rss_mb": figure(max((r for _, r in samples), default=0.0), "MB", 1),
        "window_mb": figure(window_mb, "MiB", 1),
        "stream_bitrate_mb_per_s": figure(bitrate / 1e6, "MB/s", 1),
        "stream_held_max_mb": figure(max(held, default=0) / 1e6, "MB", 1),
        "libmpv_cache_max_mb": figure(max(cache_total, default=0) / 1e6, "MB", 1),
        "frames_drawn": figure(drawn[0], "frames", 1),
    }
    for mark in MARKS_MINUTES:
        reached = next((r for m, r in samples if m >= mark), None)
        if reached is not None:
            out[f"rss_after_{mark}_min_mb"] = figure(reached, "MB", 1)
    for after in (1, 5):
        slope = _slope(samples, after)
        if slope is not None:
            out[f"rss_slope_after_{after}_min_mb_per_min"] = figure(slope, "MB/min", 1)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
