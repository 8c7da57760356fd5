"""The editing figures (issue 15): keypress → screen for a roll trim on a 500-clip timeline, and
the waveform of a one-hour source (first computation ÷ decoding its audio alone; cached reopen).

Measured as ``bench.tui`` measures keys (its helpers): the real app headless, the real engine with
two workers encoding a cold cache, each key posted as the terminal driver posts it, and counted as
shown at the first compositor update, rendered to terminal bytes, whose status line carries the new
playhead. A roll in roll mode moves the edit point and the playhead to the frame that changed, so
every ``.`` and ``,`` changes the status line. ``--preview none``: the engine without libmpv, so the
figure is the editor's own work (the edit, the re-plan of 500 clips, the redraw).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import figure
from bench.tui import _app, _isolated, _key, _ms_stats, _position, _Terminal, _until
from core.media import waveform
from core.media.audio import RATE, iter_source_audio
from core.media.info import probe
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.synthetic.testpattern import make_source
from tui.bridge.bridge import Bridge

CLIPS = 500
PRESSES = 60
GAP_S = 0.1
GOAL_MS = 50.0
SIZE = (120, 36)


def _timeline(folder: Path) -> proj.Project:
    """500 clips of 12 frames cut from three 60 s sources, alternating (every cut is a real edit)."""
    files = [
        make_source(folder / f"s{i}.mp4", frames=1800, width=320, height=180, fps=30, gop=60, audio=False)
        for i in range(3)
    ]
    p = proj.new_from_media(folder / "roll.toml", [str(f) for f in files], fps="30")
    ids = [m.id for m in p.timeline.media]
    clips = tuple(Clip(ids[i % 3], (i * 37) % 1700, (i * 37) % 1700 + 12) for i in range(CLIPS))
    return proj.Project(p.name, Timeline(p.timeline.fps, p.timeline.media, clips), 640, 360, 180, None, p.path)


async def _rolls(project: proj.Project, folder: Path) -> dict[str, Any]:
    app = _app(project, folder, Bridge(preview="none", workers=2))
    async with app.run_test(size=SIZE) as pilot:
        term = _Terminal(app)
        editor = app.editor
        bridge = editor.bridge
        await _until(lambda: bridge.engine_running, 20)
        middle = project.timeline.starts()[CLIPS // 2] + 5
        await pilot.press("g", *str(middle), "enter", "right_square_bracket", "t")
        await pilot.pause()
        if editor.state.trim_mode != "roll" or editor.cursor.edge != "out":
            return {"error": "could not enter roll mode on an edge"}
        latencies: list[float] = []
        missed = 0
        encoding: list[int] = []
        for i in range(PRESSES):
            key = "full_stop" if i % 2 == 0 else "comma"
            encoding.append(bridge.snapshot().encoding)
            term.expect_change(_position(editor), lambda: _position(editor))
            t0 = time.perf_counter()
            _key(app, key)
            try:
                await asyncio.wait_for(term.shown.wait(), 3.0)
                latencies.append(term.shown_at - t0)
            except TimeoutError:
                missed += 1
            await asyncio.sleep(GAP_S)
        labels = app.document.history.undo_label
    if not latencies:
        return {"error": "no roll reached the screen"}
    p50, p95, worst = _ms_stats(latencies)
    return {
        "p50_ms": figure(p50, "ms", len(latencies)),
        "p95_ms": figure(p95, "ms", len(latencies), goal_ms=GOAL_MS, met=p95 <= GOAL_MS),
        "max_ms": figure(worst, "ms", len(latencies)),
        "missed": missed,
        "last_edit": labels,
        "cells_encoding_at_press": {"min": min(encoding), "median": statistics.median(encoding), "max": max(encoding)},
        "method": f"{CLIPS} clips, roll mode on the out edge of clip {CLIPS // 2 + 1}, alternating . and , "
        f"({PRESSES} presses, {GAP_S:g} s apart), --preview none, two workers encoding a cold cache",
    }


def _waveform(folder: Path, seconds: int = 3600) -> dict[str, Any]:
    """An hour of generated stereo AAC: decode-only time, first waveform time, cached reopen time."""
    t0 = time.perf_counter()
    path = make_source(folder / "hour.m4a", frames=seconds * 30, fps=30, video=False)
    made = time.perf_counter() - t0
    info = probe(path)
    t0 = time.perf_counter()
    samples = sum(b.shape[1] for b in iter_source_audio(info, Fraction(0), seconds * RATE, RATE))
    decode = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, decoded = waveform.load_or_compute(info, "bench-hour", folder / "cache")
    compute = time.perf_counter() - t0
    reopen = []
    for _ in range(5):
        t0 = time.perf_counter()
        again, decoded_again = waveform.load_or_compute(info, "bench-hour", folder / "cache")
        reopen.append(time.perf_counter() - t0)
    ratio = compute / decode
    return {
        "source": f"{seconds} s stereo AAC 48 kHz, generated in {made:.1f} s; {samples} samples decoded",
        "decode_only_s": figure(decode, "s", 1),
        "first_waveform_s": figure(compute, "s", 1, decoded=decoded),
        "first_over_decode_only": figure(ratio, "x", 1, goal=1.2, met=ratio <= 1.2),
        "cached_reopen_ms": figure(
            statistics.median(reopen) * 1000, "ms", len(reopen), goal_ms=50, met=statistics.median(reopen) < 0.05
        ),
        "cached_reopen_decoded": decoded_again,
        "peaks": len(again.peaks),
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-edits-") as tmp, _isolated(Path(tmp)):
        d = Path(tmp)
        t0 = time.perf_counter()
        project = _timeline(d)
        setup = time.perf_counter() - t0
        os.environ["LIVECUT_CACHE_DIR"] = str(d / "cache")
        rolls = asyncio.run(_rolls(project, d))
        waves = _waveform(d)
    return {"setup_s": round(setup, 1), "roll_keypress_to_screen_500_clips": rolls, "waveform_1h": waves}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
