"""The preview's memory is bounded by its window, not by how long it plays.

A long generated timeline plays at the player's top shuttle speed with a small window; once the
window has filled, what the session's stream holds and what libmpv's demuxer cache holds stop
growing, libmpv drops the start of the stream, and a seek back there is a new session that plays.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.player.player import MAX_SPEED
from core.preview.preview import Preview
from core.preview.seam import Position, PreviewEvent
from core.stream import window as window_module
from core.stream.window import MIB, PREVIEW_WINDOW_MB, preview_window_bytes, stream_window
from core.synthetic.testpattern import make_source

WINDOW = 1 * MIB


@pytest.fixture(scope="module")
def long_project(tmp_path_factory: pytest.TempPathFactory) -> proj.Project:
    """Ten minutes of timeline: 200 three-second clips cut from two 4 s sources."""
    d = tmp_path_factory.mktemp("mem")
    sources = [make_source(d / f"{n}.mp4", frames=120, width=160, height=120, fps=30, label=n) for n in "ab"]
    base = proj.new_from_media(d / "p.toml", [str(s) for s in sources])
    timeline = Timeline(base.timeline.fps, base.timeline.media)
    ids = [m.id for m in base.timeline.media]
    for k in range(200):
        start = (k * 7) % 30
        timeline = timeline.append(Clip(ids[k % 2], start, start + 90))
    return replace(base, timeline=timeline, width=320, height=240, preview_height=120, cell_frames=30)


def _cache_bytes(pv: Preview) -> int:
    state = pv.player._mpv.demuxer_cache_state  # libmpv's own figure of what it holds
    return int(state.get("total-bytes", 0)) if isinstance(state, dict) else 0


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_long_playback_holds_a_bounded_window(long_project: proj.Project, tmp_path: Path) -> None:
    frames: list[int] = []
    moved = threading.Event()

    def on_event(event: PreviewEvent) -> None:
        if isinstance(event, Position):
            frames.append(event.frame)
            moved.set()

    with (
        Engine(long_project, workers=2, store=CellStore(tmp_path)) as eng,
        Preview(eng, on_event=on_event, audio=False, window_bytes=WINDOW) as pv,
    ):
        assert eng.wait_ready(60)
        pv.set_timeline(long_project.timeline, 0)
        pv.set_speed(MAX_SPEED)
        session = pv._session
        assert session is not None
        sink = session.sink
        window = stream_window(WINDOW)
        assert sink.window == window

        # Fill the window several times over, sampling what is held on the way.
        held: list[tuple[int, int, int]] = []  # (bytes appended, stream holds, libmpv holds)
        deadline = time.monotonic() + 90
        while sink.size < 6 * WINDOW and time.monotonic() < deadline:
            time.sleep(0.05)
            held.append((sink.size, sink.retained, _cache_bytes(pv)))
        assert sink.size >= 6 * WINDOW, f"played only {sink.size} bytes"
        assert pv._session is session, "plain playback must stay in one session"

        fragment = max(f.size for f in session.state.fragments)
        after_fill = [h for h in held if h[0] >= 3 * WINDOW]
        assert after_fill
        assert max(h[1] for h in held) <= window.behind + window.ahead + 2 * fragment
        # libmpv: at most the window behind plus the window ahead (and a fragment of slack each).
        assert max(h[2] for h in after_fill) <= 2 * (WINDOW + fragment)
        assert sink.dropped > sink.size - window.ahead - 2 * fragment, "played bytes must be dropped"

        first, _last = pv.player.seekable_range() or (0.0, 0.0)
        assert first > 1.0, "libmpv must have let go of the start"

        # A seek behind what libmpv holds is a new session that plays from there.
        moved.clear()
        pv.pause()
        pv.seek(15)
        assert pv._session is not session
        assert moved.wait(10)
        deadline = time.monotonic() + 15
        while abs((pv.player.position_frame(pv.fps) or -99) - 15) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert abs((pv.player.position_frame(pv.fps) or -99) - 15) <= 1
        assert sink.aborted, "the dropped session's stream is aborted (its producer released)"


def test_window_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(window_module.WINDOW_ENV, raising=False)
    assert preview_window_bytes() == PREVIEW_WINDOW_MB * MIB
    monkeypatch.setenv(window_module.WINDOW_ENV, "96")
    assert preview_window_bytes() == 96 * MIB
    monkeypatch.setenv(window_module.WINDOW_ENV, "1")
    assert preview_window_bytes() == window_module.MIN_WINDOW_MB * MIB
    monkeypatch.setenv(window_module.WINDOW_ENV, "lots")
    assert preview_window_bytes() == PREVIEW_WINDOW_MB * MIB


def test_stream_window_keeps_nothing_behind_and_a_slice_ahead() -> None:
    assert stream_window(48 * MIB).behind == 0
    assert stream_window(48 * MIB).ahead == 6 * MIB
    assert stream_window(2 * MIB).ahead == MIB


@pytest.mark.slow
def test_assembler_keeps_a_bounded_reuse_prefix_and_packet_cache(
    long_project: proj.Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session over a long timeline keeps only a prefix of its fragments for reuse and a
    byte-bounded cell packet cache, and the next session still reuses that prefix."""
    from core.stream import assembler as asm_module
    from core.stream.assembler import Assembler
    from core.stream.bytestream import GrowingStream

    monkeypatch.setattr(asm_module, "REUSE_BYTES", 64 * 1024)
    timeline = replace(long_project.timeline, clips=long_project.timeline.clips[:30])  # 90 s
    project = replace(long_project, timeline=timeline)
    with Engine(project, workers=2, store=CellStore(tmp_path)) as eng:
        assert eng.wait_ready(60)
        asm = Assembler(eng.store, project.fps)
        asm.packets.capacity_bytes = 256 * 1024
        first = asm.session(timeline, eng.segments, 0, GrowingStream(), eng.resolve)
        first.run()
        assert first.state.done
        fragment = max(f.size for f in first.state.fragments)
        kept = asm._history[1]
        assert 0 < len(kept) < len(first.state.fragments)
        assert sum(len(b.data) for b in kept) <= 64 * 1024 + fragment
        assert asm.packets._bytes <= 256 * 1024 + max(sum(map(len, p)) for p in asm.packets._cache.values())
        second = asm.session(timeline, eng.segments, 0, GrowingStream(), eng.resolve)
        second.run()
        assert second.reused == len(kept)
        asm.close()
