"""Terminal picture figures (issue 12): the real editor and ``livecut play`` in a pty, measured on
the bytes a terminal (or an SSH link) receives.

Why through a pty: the costs that matter (escape-sequence volume, the UI thread stalling, the
time from a key to the new picture) only exist once real bytes are written; Textual's headless
driver writes none. The scripted terminal (``tests/e2e/pty_term.py``) answers the capability
queries like kitty, a sixel xterm or a plain terminal, and timestamps every read.

Figures, per output (half blocks, kitty, sixel), on the demo project with a cold cache and
``--workers 2`` (the editor's engine encodes while it plays):

* editor at 160×45: the longest gap between two screen updates while playing (a UI stall shows
  as silence: during playback the timecode changes every frame), key → picture p50/p95 (→ one
  frame, paused: from writing the key to the arrival of the last byte of the next picture), and
  pictures per second and bytes per second while playing;
* editor at 200×50 with half blocks: pictures per second;
* ``livecut play`` in a 64×19-cell terminal of 10×20-px cells (a 640×360 picture area): pictures
  per second and bytes per second.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import figure
from core.synthetic.demo import generate_demo
from tests.e2e.pty_term import TERMINALS, PtyTerminal
from tui.terminal.blockwriter import FRAME_BEGIN, FRAME_END

ROOT = Path(__file__).resolve().parent.parent
PLAY_SECONDS = 12.0
KEYS = 20
REPLIES = {"halfblock": "plain", "kitty": "kitty", "sixel": "xterm-sixel"}
_UPPER = "▀".encode()
_BLOCKS_BEGIN = FRAME_BEGIN.encode()
_PICTURE_END = {
    "kitty": re.compile(rb"\x1b_Ga=p,[^\x1b]*\x1b\\"),
    "sixel": re.compile(rb"\x1bP[^\x1b]*q\"[^\x1b]*\x1b\\"),
    "halfblock": re.compile(re.escape(FRAME_END.encode())),
}
"""The end of a picture. Half blocks: the end of a picture the pane wrote itself
(``tui.terminal.blockwriter``); before the pane wrote them itself, the first ``▀`` of a Textual
repaint (``_LEGACY_HALFBLOCK``)."""
_LEGACY_HALFBLOCK = re.compile(_UPPER)


def run() -> dict[str, Any]:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="livecut-bench-graphics-") as tmp:
        folder = Path(tmp)
        generate_demo(folder / "demo-media")
        project = folder / "demo.toml"
        shutil.copy(ROOT / "projects" / "demo.toml", project)
        editor = {mode: _editor(project, folder, mode, 160, 45) for mode in ("halfblock", "kitty", "sixel")}
        wide = _editor(project, folder, "halfblock", 200, 50, keys=False)
        play = {mode: _play(project, folder, mode) for mode in ("halfblock", "kitty", "sixel")}
    return {
        "editor_160x45": editor,
        "editor_200x50_halfblock_fps": wide["pictures_per_second"],
        "play_640x360": play,
        "conditions": "demo project, cold cache, --workers 2 encoding while playing; bytes as read from the pty",
        "total_s": round(time.perf_counter() - started, 1),
    }


def _env(folder: Path, name: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LIVECUT_CACHE_DIR": str(folder / f"cache-{name}"),
        "LIVECUT_LOG_DIR": str(folder / "log"),
        "LIVECUT_CONFIG_DIR": str(folder / "cfg"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",  # as kitty, WezTerm, foot, iTerm2 set it (without: Rich downgrades every colour)
        "PYTHONPATH": str(ROOT),
    }
    for var in ("TMUX", "DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        env.pop(var, None)
    return env


def _arrival(term: PtyTerminal, offset: int) -> float | None:
    """When the byte at ``offset`` was read."""
    for at, length in term.chunks:
        if length > offset:
            return at
    return None


def _wait_picture(term: PtyTerminal, mode: str, start: int, timeout: float) -> float | None:
    """Arrival time of the end of the first picture written after byte ``start``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = term.snapshot()
        pattern = _PICTURE_END[mode]
        if mode == "halfblock" and _BLOCKS_BEGIN not in data:
            pattern = _LEGACY_HALFBLOCK
        m = pattern.search(data, start)
        if m:
            return _arrival(term, m.end() - 1)
        time.sleep(0.005)
    return None


def _window(term: PtyTerminal, t0: float, t1: float) -> tuple[bytes, list[float]]:
    """Bytes read between ``t0`` and ``t1``, and the read times."""
    chunks = list(term.chunks)
    inside = [i for i, (t, _) in enumerate(chunks) if t0 <= t <= t1]
    if not inside:
        return b"", []
    start = chunks[inside[0] - 1][1] if inside[0] > 0 else 0
    return term.snapshot()[start : chunks[inside[-1]][1]], [chunks[i][0] for i in inside]


def _count_pictures(data: bytes, mode: str, pane_row: int) -> int:
    if mode == "kitty":
        return data.count(b"\x1b_Ga=p,")
    if mode == "sixel":
        return data.count(b"\x1bPq")
    if _BLOCKS_BEGIN in data:  # pictures the pane wrote itself: one synchronised block each
        return data.count(_BLOCKS_BEGIN)
    # a repaint of the pane writes each of its rows once, starting at the border (column 1) or,
    # when only its content is dirty, at column 2; count one row's writes that carry half blocks
    marker = re.compile(rb"\x1b\[%d;[12]H" % pane_row)
    count = 0
    for m in marker.finditer(data):
        if _UPPER in data[m.end() : m.end() + 400]:
            count += 1
    return count


def _editor(project: Path, folder: Path, mode: str, cols: int, rows: int, *, keys: bool = True) -> dict[str, Any]:
    argv = [sys.executable, "-m", "tui.cli", str(project), "--preview", "terminal", "--graphics", mode]
    argv += ["--workers", "2"]
    env = _env(folder, f"editor-{mode}-{cols}")
    term = PtyTerminal(argv, cols=cols, rows=rows, replies=TERMINALS[REPLIES[mode]], env=env, cwd=folder)
    out: dict[str, Any] = {}
    try:
        term.wait_for(b"picture:", 60)
        _wait_picture(term, mode, 0, 60)
        time.sleep(1.0)
        if keys:
            latencies = []
            for _ in range(KEYS):
                mark = len(term.snapshot())
                sent = time.monotonic()
                term.send(b"\x1b[C")
                got = _wait_picture(term, mode, mark, 5)
                if got is not None:
                    latencies.append(got - sent)
                time.sleep(0.1)
            if latencies:
                ms = sorted(x * 1000 for x in latencies)
                p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
                out["key_to_picture_ms"] = figure(
                    p95, "ms (p95)", len(ms), p50=round(statistics.median(ms), 1), max=round(ms[-1], 1)
                )
            out["keys_without_a_new_picture"] = KEYS - len(latencies)
        term.send(b" ")  # play
        t0 = time.monotonic()
        time.sleep(PLAY_SECONDS)
        t1 = time.monotonic()
        term.send(b" ")
        data, times = _window(term, t0 + 1.0, t1)  # the first second starts the player
        span = t1 - t0 - 1.0
        gaps = [b - a for a, b in itertools.pairwise(times)]
        out["longest_stall_ms"] = figure(max(gaps, default=span) * 1000, "ms", len(gaps) + 1)
        out["gaps_over_100ms"] = sum(g > 0.1 for g in gaps)  # at 24 fps a gap of 42 ms is no stall
        out["pictures_per_second"] = figure(_count_pictures(data, mode, rows // 4) / span, "fps", 1)
        out["bytes_per_second"] = figure(len(data) / span, "B/s", 1)
        term.send(b"\x11")
        term.wait_exit(30)
    finally:
        term.close()
    return out


def _play(project: Path, folder: Path, mode: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "tui.cli", "play", str(project), "--preview", "terminal", "--no-audio"]
    argv += ["--graphics", mode, "--workers", "2"]
    env = _env(folder, f"play-{mode}")
    term = PtyTerminal(argv, cols=64, rows=19, replies=TERMINALS[REPLIES[mode]], env=env, cwd=folder)
    try:
        _wait_picture(term, mode, 0, 60)
        t0 = time.monotonic()
        time.sleep(PLAY_SECONDS)
        t1 = time.monotonic()
        data, _ = _window(term, t0, t1)
        term.send(b"q")
        term.wait_exit(30)
    finally:
        term.close()
    span = t1 - t0
    frames = data.count(b"\x1b[19;1H") if mode == "halfblock" else _count_pictures(data, mode, 0)
    return {
        "pictures_per_second": figure(frames / span, "fps", 1),
        "bytes_per_second": figure(len(data) / span, "B/s", 1),
    }


if __name__ == "__main__":
    import json

    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
