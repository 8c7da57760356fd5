"""The editor's figures (issue 5): keypress → screen updated while two workers encode, and the
terminal preview's frame rate at 80×24 and 200×50.

Why through the real app: the promise is about what a user sees, so every figure comes from
``tui.app.LivecutApp`` running headless (``run_test``) with the real engine (two workers, a cold
``LIVECUT_CACHE_DIR``) and libmpv in ``frames`` mode (``--preview terminal``: its software render
drawn with half blocks), not from the widgets alone.

How "the screen is updated" is observed: headless Textual computes every compositor update and
hands it to ``App._display``, which a real terminal driver turns into escape sequences and writes
out; the headless driver skips that. ``_Terminal`` wraps ``_display`` and does the driver's work
(``render_segments``), so the measured time includes producing the bytes a terminal would get.
A key counts as shown at the first update whose text carries the status line's new
``playhead / duration`` (every key in ``KEYS`` changes it). Keys are posted to the app as the
driver posts them (``post_message(Key)``) rather than with ``Pilot.press``: the pilot then waits
for the *process* to go idle, which with encoder threads busy takes its full one-second cap.

The same keys are also timed with ``--preview none`` (engine only, no libmpv) on a fresh cold
cache, to show how much of the time the player's work on the UI thread takes.

Headless, the preview pane draws its half blocks as Textual strips (the headless driver writes
no bytes); on a real terminal it writes only the changed cells itself (``tui.terminal.blockwriter``),
so the bytes counted here are Textual's strips, not what a terminal gets: ``bench/graphics.py``
measures that through a pty.

Preview frame rate: a cached timeline plays in the app at each terminal size; a frame counts as
drawn when a compositor update goes out after the pane received a new frame (so frames the pane
skips under its ``max_fps`` cap, 30 locally and 12 over SSH, do not count). The pure cost of
``tui.widgets.halfblock.render`` is then timed on the last frames libmpv delivered, at the pane's size.

Why 24 files: the brief's 3 clips of 10 s 1280×720 are all encoded in about 1 s by two workers,
far less than 50 keypresses take. Each generated clip is remuxed into 8 files that differ only
in a metadata tag: the same pictures, but distinct bytes, so the content-addressed cache cannot
share their cells and the engine has minutes of material to encode.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from rich.style import Style
from textual import events
from textual.message import Message
from textual.screen import Screen

from bench.common import figure
from core.engine.engine import Engine
from core.model import project as proj
from core.model.project import Project
from core.modes import PreviewChoice
from core.synthetic.testpattern import make_source
from core.timebase import frames_to_timecode
from tui.app import LivecutApp
from tui.bridge.bridge import Bridge
from tui.bridge.messages import PreviewFrame
from tui.editor.document import Document
from tui.screens.editor import EditorScreen
from tui.settings.config import Config
from tui.widgets import halfblock
from tui.widgets.preview_pane import PreviewPane

KEYS_SIZE = (120, 36)
KEYS = ("down", "shift+right", "right", "left", "right", "i", "ctrl+z", "ctrl+y", "ctrl+z")
"""One cycle: next clip, into it, trim its start there, undo, redo, undo; each changes the status line."""
PRESSES = 54
GAP_S = 0.1
"""Pause after each key is shown: about ten keys a second, a fast typist or key repeat."""
GOAL_MS = 50.0
COPIES = 8
FPS_SIZES = ((80, 24), (200, 50))
PLAY_S = 3.0
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_].*?\x1b\\", re.S)


def run() -> dict[str, Any]:
    load_before = os.getloadavg()
    started = time.perf_counter()
    tally = _LogTally()
    with tempfile.TemporaryDirectory(prefix="livecut-bench-tui-") as tmp, _isolated(Path(tmp)), tally:
        d = Path(tmp)
        tally.phase = "setup"
        clips = [
            make_source(
                d / f"clip{i}.mp4", frames=300, width=1280, height=720, fps=30, gop=60, audio=False, label=f"clip {i}"
            )
            for i in range(3)
        ]
        files = [
            c if k == 0 else _remux_copy(c, d / f"clip{i}-{k}.mp4", f"copy {k}")
            for i, c in enumerate(clips)
            for k in range(COPIES)
        ]
        setup_s = time.perf_counter() - started
        project = proj.new_from_media(d / "keys.toml", [str(f) for f in files])
        keys: dict[str, dict[str, Any]] = {}
        for preview in ("terminal", "none"):  # "none": the same without libmpv, to show its share
            tally.phase = f"keys/{preview}"
            os.environ["LIVECUT_CACHE_DIR"] = str(d / f"cache-keys-{preview}")  # cold for each
            keys[preview] = asyncio.run(_keypresses(project, d, preview))
        os.environ["LIVECUT_CACHE_DIR"] = str(d / "cache")
        played = proj.new_from_media(d / "play.toml", [str(c) for c in clips])
        with Engine(played, workers=2) as engine:  # the cache the app's engine then finds warm
            engine.wait_ready(120)
        tally.phase = "playback"
        playback = {f"{w}x{h}": asyncio.run(_playback(played, (w, h), d)) for w, h in FPS_SIZES}
    return {
        "setup": f"{len(files)} files ({len(clips)} generated 10 s 1280x720@30 clips, each remuxed into {COPIES} "
        f"distinct files) in {setup_s:.1f} s; preview cells {played.preview_height}p, {played.cell_size} frames",
        "keypress_to_screen": keys["terminal"],
        "keypress_to_screen_preview_none": keys["none"],
        "terminal_preview": playback,
        "problems_logged": tally.summary(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "total_s": round(time.perf_counter() - started, 1),
    }


# -- set-up ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _isolated(folder: Path) -> Iterator[None]:
    """A cold cache, no user config or themes, and a truecolor terminal (as most are today)."""
    wanted = {
        "LIVECUT_CACHE_DIR": str(folder / "cache"),
        "LIVECUT_CONFIG_DIR": str(folder / "config"),
        "LIVECUT_LOG_DIR": str(folder / "log"),
        "COLORTERM": "truecolor",
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _LogTally(logging.Handler):
    """Counts the warnings and errors the app logs during the bench (the CLI sends them to a log
    file; here they would go to stderr), so a run that looked fast but failed says so."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.phase = ""
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{self.phase}: {record.levelname} {record.name}: {record.getMessage().splitlines()[0][:90]}"
        self.counts[key] = self.counts.get(key, 0) + 1

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.counts.items(), key=lambda item: -item[1])[:10])

    def __enter__(self) -> _LogTally:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)


def _remux_copy(src: Path, dst: Path, tag: str) -> Path:
    """``src``'s packets in a new file with a different title: same pictures, different bytes."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        out.metadata["title"] = tag
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return dst


def _app(project: Project, folder: Path, bridge: Bridge) -> LivecutApp:
    """The app as ``livecut`` builds it, with ``bridge`` (its preview choice and workers) and no user files."""
    return LivecutApp(
        Document(project),
        config=Config(path=folder / "config.toml"),
        bridge=bridge,
        autosave_seconds=3600,
        check_autosave=False,
    )


def _key(app: LivecutApp, key: str) -> None:
    """Deliver ``key`` the way the terminal driver's input thread does."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app.post_message(event)


async def _until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _position(editor: EditorScreen) -> str:
    """The status line's ``playhead / duration`` text (as ``EditorScreen`` formats it)."""
    tl = editor.document.timeline
    return f"{frames_to_timecode(editor.cursor.playhead, tl.fps)} / {frames_to_timecode(tl.duration, tl.fps)}"


@dataclass
class _Terminal:
    """Plays the terminal: renders each compositor update as the driver would, counts its bytes,
    and notes when an expected change first reaches the screen."""

    app: LivecutApp
    updates: int = 0
    bytes: int = 0
    on_update: Callable[[], None] | None = None
    shown: asyncio.Event = field(default_factory=asyncio.Event)
    shown_at: float = 0.0
    _before: str | None = None
    _probe: Callable[[], str] | None = None

    def __post_init__(self) -> None:
        self._display = self.app._display
        self.app._display = self._write  # type: ignore[method-assign]

    def expect_change(self, before: str, probe: Callable[[], str]) -> None:
        """Wait for the first update showing ``probe()`` once it differs from ``before``."""
        self._before, self._probe = before, probe
        self.shown.clear()

    def _write(self, screen: Screen[Any], renderable: Any) -> None:
        self._display(screen, renderable)
        if renderable is None or not hasattr(renderable, "render_segments"):
            return
        out = renderable.render_segments(self.app.console)
        self.updates += 1
        self.bytes += len(out.encode())
        if self.on_update is not None:
            self.on_update()
        if self._probe is not None:
            now = self._probe()
            if now != self._before and now in _ANSI.sub("", out):
                self.shown_at = time.perf_counter()
                self._probe = None
                self.shown.set()


def _ms_stats(seconds: list[float]) -> tuple[float, float, float]:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return statistics.median(ms), p95, ms[-1]


# -- keypress → screen ---------------------------------------------------------------------------------
async def _keypresses(project: Project, folder: Path, preview: PreviewChoice) -> dict[str, Any]:
    app = _app(project, folder, Bridge(preview=preview, workers=2))
    async with app.run_test(size=KEYS_SIZE):
        term = _Terminal(app)
        editor = app.editor
        bridge = editor.bridge
        if not await _until(lambda: bridge.engine_running and bridge.snapshot().encoding >= 2, 20):
            return {"error": f"the engine did not start encoding: {bridge.status or 'no encodes seen'}"}
        if preview == "terminal" and not bridge.terminal_mode:
            return {"error": f"the terminal preview did not start: {bridge.status}"}
        latencies: list[float] = []
        by_key: dict[str, list[float]] = {}
        encoding: list[int] = []
        missed: list[str] = []
        first = bridge.snapshot()
        for i in range(PRESSES):
            key = KEYS[i % len(KEYS)]
            encoding.append(bridge.snapshot().encoding)
            term.expect_change(_position(editor), lambda: _position(editor))
            t0 = time.perf_counter()
            _key(app, key)
            try:
                await asyncio.wait_for(term.shown.wait(), 3.0)
                latencies.append(term.shown_at - t0)
                by_key.setdefault(key, []).append(term.shown_at - t0)
            except TimeoutError:
                missed.append(key)
            await asyncio.sleep(GAP_S)
        last = bridge.snapshot()
    if not latencies:
        return {"error": "no keypress reached the screen", "missed": missed}
    p50, p95, worst = _ms_stats(latencies)
    busy = sum(1 for n in encoding if n >= 2)
    return {
        "p50_ms": figure(p50, "ms", len(latencies)),
        "p95_ms": figure(p95, "ms", len(latencies), goal_ms=GOAL_MS, met=p95 <= GOAL_MS),
        "max_ms": figure(worst, "ms", len(latencies)),
        "keys": list(KEYS),
        "p50_ms_by_key": {k: round(statistics.median(v) * 1000, 1) for k, v in by_key.items()},
        "max_ms_by_key": {k: round(max(v) * 1000, 1) for k, v in by_key.items()},
        "terminal": f"{KEYS_SIZE[0]}x{KEYS_SIZE[1]}, {app.console.color_system} colour",
        "preview": f"--preview {preview} (player mode {bridge.mode!r})",
        "presses_with_2_cells_encoding": f"{busy}/{len(encoding)}",
        "cells_encoding_at_press": {"min": min(encoding), "median": statistics.median(encoding), "max": max(encoding)},
        "cells_ready": f"{first.ready}/{len(first.segments)} before the first key, "
        f"{last.ready}/{len(last.segments)} after the last",
        "missed_keys": missed,
        "method": "key posted like the driver does; time until the first compositor update, rendered to terminal "
        "bytes, whose text shows the status line's new 'playhead / duration'",
    }


# -- terminal preview frame rate ------------------------------------------------------------------------
async def _playback(project: Project, size: tuple[int, int], folder: Path) -> dict[str, Any]:
    bridge = Bridge(preview="terminal", workers=2)
    delivered: list[np.ndarray] = []

    def hook(message: Message) -> None:
        if isinstance(message, PreviewFrame) and message.still_of is None:
            delivered.append(message.rgb)

    app = _app(project, folder, bridge)
    async with app.run_test(size=size, message_hook=hook):
        term = _Terminal(app)
        editor = app.editor
        pane = editor.query_one(PreviewPane)
        if not await _until(lambda: bridge.terminal_mode and pane.frame is not None, 15):
            return {"error": f"no preview frame: mode {bridge.mode!r}, {bridge.status or 'no frame arrived'}"}
        drawn: list[float] = []
        shown: list[np.ndarray | None] = [pane.frame]

        def count_drawn() -> None:
            if pane.frame is not shown[0]:
                shown[0] = pane.frame
                drawn.append(time.perf_counter())

        term.on_update = count_drawn
        _key(app, "space")
        if not await _until(lambda: len(drawn) >= 2, 10):
            return {"error": "playback drew no frames"}
        t0, frame0, bytes0, got0, drawn0 = (
            time.perf_counter(),
            editor.cursor.playhead,
            term.bytes,
            len(delivered),
            len(drawn),
        )
        await asyncio.sleep(PLAY_S)
        elapsed = time.perf_counter() - t0
        frames_drawn = len(drawn) - drawn0
        advanced = editor.cursor.playhead - frame0
        out_bytes = term.bytes - bytes0
        got = len(delivered) - got0
        gaps = [b - a for a, b in itertools.pairwise(drawn[drawn0 - 1 :])] or [elapsed]
        cols, rows = pane.size
        pixels = pane.pixel_size
        cap = pane.max_fps
        pad = Style(bgcolor=pane.rich_style.bgcolor)
    samples = delivered[-60:]
    render_s = []
    for rgb in samples:
        t = time.perf_counter()
        halfblock.render(rgb, cols, rows, pad)
        render_s.append(time.perf_counter() - t)
    r50, r95, _ = _ms_stats(render_s)
    return {
        "frames_drawn_per_s": figure(frames_drawn / elapsed, "fps", 1, seconds=round(elapsed, 2), frames=frames_drawn),
        "drawn_interval_ms_p50": figure(statistics.median(gaps) * 1000, "ms", len(gaps)),
        "drawn_interval_ms_max": figure(max(gaps) * 1000, "ms", len(gaps), note="longest freeze of the picture"),
        "frames_from_libmpv_per_s": figure(
            got / elapsed, "fps", 1, note="PreviewFrame messages the UI handled (libmpv renders, after coalescing)"
        ),
        "playhead_frames_per_s": figure(advanced / elapsed, "fps", 1, note="source is 30 fps"),
        "terminal_bytes_per_s": figure(
            out_bytes / elapsed,
            "B/s",
            1,
            per_frame=round(out_bytes / max(1, frames_drawn)),
            note="as Textual strips (headless); a real terminal gets the pane's own codes: bench/graphics.py",
        ),
        "pane": f"{cols}x{rows} cells = {pixels[0]}x{pixels[1]} px; draw cap {cap:g} fps",
        "halfblock_render_ms_p50": figure(
            r50, "ms", len(render_s), compared_with="one frame period at 30 fps: 33.3 ms"
        ),
        "halfblock_render_ms_p95": figure(r95, "ms", len(render_s)),
    }
