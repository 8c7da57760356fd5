"""The engine bridge with stand-in engine and preview modules: events from worker threads become
messages, the UI follows them, transport keys drive the player, and everything is closed."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from core.plan import SegmentState
from core.timeline import Timeline
from tests.tui.conftest import make_app, synthetic_snapshot, three_clips
from tui import engine_bridge
from tui.engine_bridge import UNAVAILABLE, Bridge
from tui.widgets.preview_pane import PreviewPane
from tui.widgets.segment_bar import SegmentBar

SIZE = (100, 30)


@dataclass(frozen=True)
class Position:
    frame: int


@dataclass(frozen=True)
class Paused:
    paused: bool


@dataclass(frozen=True)
class Ended:
    pass


class FakeEngine:
    instances: ClassVar[list[FakeEngine]] = []

    def __init__(self, project: Any, *, workers: int | None = None, on_event: Any = None) -> None:
        self.on_event = on_event
        self.timeline: Timeline = project.timeline
        self.playheads: list[int] = []
        self.ready = 0
        self.closed = False
        FakeEngine.instances.append(self)

    def set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline

    def set_playhead(self, frame: int) -> None:
        self.playheads.append(frame)

    def snapshot(self) -> Any:
        return synthetic_snapshot(self.timeline, states={i: SegmentState.PENDING for i in range(self.ready, 99)})

    def close(self) -> None:
        self.closed = True


class FakePreview:
    instances: ClassVar[list[FakePreview]] = []

    def __init__(self, engine: FakeEngine, mode: str, frame_size: tuple[int, int], on_frame: Any, on_event: Any) -> None:
        self.engine, self.mode, self.frame_size = engine, mode, frame_size
        self.on_frame, self.on_event = on_frame, on_event
        self.calls: list[tuple[str, Any]] = []
        FakePreview.instances.append(self)

    def play(self) -> None:
        self.calls.append(("play", None))

    def pause(self) -> None:
        self.calls.append(("pause", None))

    def seek(self, frame: int) -> None:
        self.calls.append(("seek", frame))

    def set_speed(self, x: float) -> None:
        self.calls.append(("speed", x))

    def close(self) -> None:
        assert not self.engine.closed, "the player must close before the engine"
        self.calls.append(("close", None))


def _still(info: Any, source: int, size: tuple[int, int], fps: Any = None) -> np.ndarray:
    return np.full((size[1], size[0], 3), source % 256, dtype=np.uint8)


@pytest.fixture
def fake_core(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeEngine.instances.clear()
    FakePreview.instances.clear()
    modules = {"core.engine": SimpleNamespace(Engine=FakeEngine),
               "core.preview": SimpleNamespace(Preview=FakePreview, first_frame=_still)}
    monkeypatch.setattr(engine_bridge, "_import", lambda name: modules.get(name))


async def test_engine_events_and_player_drive_the_ui(fake_core: None) -> None:
    app = make_app(three_clips(), bridge=Bridge(preview="terminal"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        engine, player = FakeEngine.instances[0], FakePreview.instances[0]
        assert app.editor.bridge.status == "" and player.mode == "frames"
        bar = app.editor.query_one(SegmentBar)
        assert bar.snapshot.ready == 0

        def worker() -> None:  # an encoder thread reporting progress
            for i in range(200):
                engine.ready = i // 50
                engine.on_event(object())

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        await pilot.pause()
        assert bar.snapshot.ready == 3  # the latest state, however many events were coalesced

        await pilot.press("l", "l")
        assert app.editor.bridge.wait_idle()  # preview commands run on their own thread
        assert player.calls[-2:] == [("speed", 1.0), ("speed", 2.0)]  # set_speed also unpauses
        await pilot.press("j")
        assert app.editor.bridge.wait_idle()
        assert player.calls[-1] == ("speed", -1.0)
        player.on_event(Paused(True))  # reverse shuttle pauses libmpv: still playing backwards
        await pilot.pause()
        assert app.editor.transport.speed == -1
        await pilot.press("l")
        player.on_event(Position(42))
        rgb = np.zeros((36, 64, 3), dtype=np.uint8)
        player.on_frame(rgb)
        await pilot.pause()
        assert app.editor.cursor.playhead == 42
        assert app.editor.query_one(PreviewPane).frame is rgb
        player.on_event(Ended())
        await pilot.pause()
        assert not app.editor.transport.playing

        engine.ready = 0
        engine.on_event(object())
        await pilot.pause()
        await pilot.press("right")  # paused over a segment that is not ready: a still is decoded
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)  # the pane draws at most max_fps frames a second
        frame = app.editor.query_one(PreviewPane).frame
        assert frame is not None and frame[0, 0, 0] == 43
        assert app.editor.bridge.wait_idle()
        assert ("seek", 43) in player.calls and engine.playheads[-1] == 43

        await pilot.press("s")  # an edit re-plans at once
        assert engine.timeline == app.document.timeline and len(engine.timeline.clips) == 4
    assert engine.closed and ("close", None) in player.calls


async def test_missing_engine_degrades_to_the_timeline_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_bridge, "_import", lambda name: None)
    app = make_app(three_clips(), bridge=Bridge(preview="terminal"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.editor.bridge.status == UNAVAILABLE
        snap = app.editor.snapshot
        assert len(snap.segments) == 5 and set(snap.states) == {SegmentState.PENDING}
        await pilot.press("down", "s")
        assert len(app.editor.snapshot.segments) == 5


async def test_engine_that_fails_to_start_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("no encoder found")

    monkeypatch.setattr(engine_bridge, "_import", lambda name: SimpleNamespace(Engine=broken))
    app = make_app(three_clips(), bridge=Bridge(preview="terminal"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no encoder found" in app.editor.bridge.status
        await pilot.press("x")
        assert len(app.document.timeline.clips) == 2
