"""libmpv figures: time to first frame, resume after an append, software render cost."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import mpv

from bench.common import figure
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.player.player import Player, PlayerTime, Waiting
from core.player.software import SoftwareRenderer
from core.stream.assembler import Assembler
from core.stream.bytestream import GrowingStream
from core.synthetic.testpattern import make_source


def _stream(d: Path) -> tuple[bytes, list[tuple[int, int]]]:
    """A 4 s assembled preview stream and (byte offset, timeline frame) where each fragment ends."""
    src = make_source(d / "a.mp4", frames=120, width=640, height=360, fps=30)
    p = replace(proj.new_from_media(d / "p.toml", [str(src)]), preview_height=360, cell_frames=30)
    store = CellStore(d / "cache")
    with Engine(p, workers=2, store=store) as eng:
        eng.wait_ready(120)
        asm = Assembler(store, p.fps)
        sink = GrowingStream()
        session = asm.session(p.timeline, eng.segments, 0, sink, eng.resolve)
        session.run()
        asm.close()
    return sink.getvalue(), [(f.offset + f.size, f.end) for f in session.state.fragments]


def _first_frame(data: bytes) -> float:
    got = threading.Event()
    with Player(vo="terminal", audio=False, frame_size=(320, 180), on_frame=lambda _f: got.set()) as player:
        stream = GrowingStream()
        stream.append(data)
        stream.finish()
        t0 = time.perf_counter()
        player.load(stream)
        player.play()
        got.wait(10)
        return (time.perf_counter() - t0) * 1000


def _resume(data: bytes, cut: int, cut_seconds: float) -> float:
    """Play the first fragments, wait until libmpv starves, append the rest, time the restart."""
    state = {"pos": 0.0}
    starving = threading.Event()
    moved = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, Waiting) and event.waiting and state["pos"] >= cut_seconds - 0.2:
            starving.set()
        if isinstance(event, PlayerTime):
            if starving.is_set() and event.seconds > cut_seconds + 0.01:
                moved.set()
            state["pos"] = max(state["pos"], event.seconds)

    with Player(vo="none", audio=False, on_event=on_event) as player:
        stream = GrowingStream()
        stream.append(data[:cut])
        player.load(stream)
        player.play()
        deadline = time.monotonic() + 15
        while not starving.is_set() and time.monotonic() < deadline:
            if player.waiting and state["pos"] >= cut_seconds - 0.2:
                starving.set()
            time.sleep(0.01)
        if not starving.is_set():
            return float("nan")
        time.sleep(0.2)
        t0 = time.perf_counter()
        stream.append(data[cut:])
        stream.finish()
        moved.wait(10)
        return (time.perf_counter() - t0) * 1000


def _render_cost(data: bytes, size: tuple[int, int], frames: int = 40) -> float:
    path = None
    with tempfile.NamedTemporaryFile(suffix=".mp4", delete=False) as fh:
        fh.write(data)
        path = fh.name
    import locale

    locale.setlocale(locale.LC_NUMERIC, "C")
    handle = mpv.MPV(vo="libmpv", ao="null", pause=True, keep_open="yes")
    times = []
    try:
        with SoftwareRenderer(handle) as renderer:
            handle.play(path)
            handle.wait_for_property("video-params", lambda v: bool(v), timeout=10)
            time.sleep(0.2)
            for _ in range(frames):
                t0 = time.perf_counter()
                renderer.render(*size)
                times.append((time.perf_counter() - t0) * 1000)
    finally:
        handle.terminate()
        Path(path).unlink(missing_ok=True)
    return statistics.median(times)


def run(runs: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-") as tmp:
        data, ends = _stream(Path(tmp))
        first = [_first_frame(data) for _ in range(runs)]
        cut, frame = next((b, f) for b, f in ends if f >= 60)  # the first fragment ending ≥ 2 s
        resume = [_resume(data, cut, frame / 30) for _ in range(3)]
        return {
            "stream": "4 s 640x360 assembled preview (4 fragments)",
            "time_to_first_frame_ms": figure(
                statistics.median(first), "ms", runs, "load() to the first rendered frame"
            ),
            "resume_after_append_ms": figure(
                statistics.median(resume), "ms", 3, "append after libmpv starved → playhead moves again"
            ),
            "sw_render_320x180_ms": figure(_render_cost(data, (320, 180)), "ms/frame", 40),
            "sw_render_640x360_ms": figure(_render_cost(data, (640, 360)), "ms/frame", 40),
        }
