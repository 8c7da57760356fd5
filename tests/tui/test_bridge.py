"""The engine bridge with a fake backend (checked against ``core.preview.seam.Backend`` by the
type checker): events from worker threads become messages, the UI follows them, transport keys
drive the player, and everything is closed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction
from typing import ClassVar

import numpy as np
import pytest

from core.cells.plan import SegmentState
from core.media.info import MediaInfo
from core.model.project import Project
from core.model.timeline import Timeline
from core.modes import PreviewChoice, VideoOutput
from core.preview.seam import (
    Backend,
    Ended,
    EngineChanged,
    EngineHandle,
    FrameSink,
    Paused,
    Position,
    PreviewEvent,
    PreviewHandle,
    SnapshotView,
    StreamSource,
)
from tests.tui.conftest import make_app, synthetic_snapshot, three_clips
from tui.bridge.bridge import UNAVAILABLE, Bridge
from tui.widgets.preview_pane import PreviewPane
from tui.widgets.segment_bar import SegmentBar
from tui.widgets.status_line import StatusLine

SIZE = (100, 30)


class FakeEngine:
    """An ``EngineHandle`` whose readiness the test sets; it records the quality asked for and
    has no cells a browser could stream."""

    instances: ClassVar[list[FakeEngine]] = []
    implements_quality = True
    implements_stream = False

    def __init__(self, project: Project, on_event: Callable[[EngineChanged], None]) -> None:
        self.on_event = on_event
        self.timeline: Timeline = project.timeline
        self.playheads: list[int] = []
        self.ready = 0
        self.closed = False
        self.qualities: list[str] = []
        FakeEngine.instances.append(self)

    def set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline

    def set_playhead(self, frame: int) -> None:
        self.playheads.append(frame)

    def snapshot(self) -> SnapshotView:
        return synthetic_snapshot(self.timeline, states={i: SegmentState.PENDING for i in range(self.ready, 99)})

    def close(self) -> None:
        self.closed = True

    def set_quality(self, quality: str) -> None:
        self.qualities.append(quality)

    def stream_source(self) -> StreamSource:
        raise NotImplementedError("a fake engine has no cells to stream")


class FakePreview:
    """A ``PreviewHandle`` that records its calls."""

    instances: ClassVar[list[FakePreview]] = []

    def __init__(
        self,
        engine: FakeEngine,
        mode: VideoOutput,
        frame_size: tuple[int, int],
        on_frame: FrameSink | None,
        on_event: Callable[[PreviewEvent], None],
    ) -> None:
        self.engine, self.mode, self.frame_size = engine, mode, frame_size
        self.frame_sink, self.on_event = on_frame, on_event
        self.calls: list[tuple[str, object]] = []
        self.playing_rung = 0
        FakePreview.instances.append(self)

    @property
    def rung(self) -> int:
        return self.playing_rung

    def on_frame(self, rgb: np.ndarray) -> None:
        assert self.frame_sink is not None, "terminal mode hands frames to the bridge"
        self.frame_sink(rgb)

    def set_timeline(self, timeline: Timeline, frame: int | None = None) -> None:
        self.engine.set_timeline(timeline)  # as the real preview does: re-plan, then restart there
        self.calls.append(("timeline", frame))

    def pause(self) -> None:
        self.calls.append(("pause", None))

    def seek(self, frame: int) -> None:
        self.calls.append(("seek", frame))

    def set_loop(self, start: int | None, end: int | None) -> None:
        self.calls.append(("loop", None if start is None or end is None else (start, end)))

    def set_speed(self, x: float) -> None:
        self.calls.append(("speed", x))

    def set_frame_size(self, width: int, height: int) -> None:
        self.calls.append(("size", (width, height)))

    def close(self) -> None:
        assert not self.engine.closed, "the player must close before the engine"
        self.calls.append(("close", None))


def _ignore(_event: PreviewEvent) -> None:
    """An ``on_event`` for a preview nobody watches."""


class FakeBackend:
    """A ``Backend`` of fakes; ``engine_error`` makes the engine fail to start."""

    def __init__(self, engine_error: Exception | None = None) -> None:
        self.engine_error = engine_error

    def detect_display(self) -> bool:
        return False

    def display_problem(self) -> str:
        return ""

    def start_engine(
        self, project: Project, workers: int | None, on_event: Callable[[EngineChanged], None]
    ) -> FakeEngine:
        if self.engine_error is not None:
            raise self.engine_error
        return FakeEngine(project, on_event)

    def start_preview(
        self,
        engine: EngineHandle,
        mode: VideoOutput,
        frame_size: tuple[int, int],
        on_frame: FrameSink | None,
        on_event: Callable[[PreviewEvent], None],
    ) -> PreviewHandle:
        assert isinstance(engine, FakeEngine)
        return FakePreview(engine, mode, frame_size, on_frame, on_event)

    def still(self, info: MediaInfo, source_frame: int, size: tuple[int, int], fps: Fraction) -> np.ndarray | None:
        return np.full((size[1], size[0], 3), source_frame % 256, dtype=np.uint8)


_CHECKED: Backend = FakeBackend()
_CHECKED_ENGINE: EngineHandle = FakeEngine(three_clips(), lambda _event: None)
_CHECKED_PREVIEW: PreviewHandle = FakePreview(
    FakeEngine(three_clips(), lambda _event: None), "none", SIZE, None, _ignore
)
"""The type checker proves the fakes fit the seam (a renamed method or event fails ``make lint``);
the ``autouse`` fixture forgets these instances before each test."""


@pytest.fixture(autouse=True)
def _fresh() -> None:
    FakeEngine.instances.clear()
    FakePreview.instances.clear()


async def test_engine_events_and_player_drive_the_ui() -> None:
    app = make_app(three_clips(), bridge=Bridge(preview="terminal", backend=FakeBackend()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        engine, player = FakeEngine.instances[0], FakePreview.instances[0]
        assert app.editor.bridge.status == "" and player.mode == "terminal"
        bar = app.editor.query_one(SegmentBar)
        assert bar.snapshot.ready == 0

        def worker() -> None:  # an encoder thread reporting progress
            for i in range(200):
                engine.ready = i // 50
                engine.on_event(EngineChanged())

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        await pilot.pause()
        assert bar.snapshot.ready == 3  # the latest state, however many events were coalesced

        await pilot.press("l", "l")
        assert app.editor.bridge.wait_idle()  # preview commands run on their own thread
        assert player.calls[-2:] == [("speed", 1.0), ("speed", 2.0)]  # set_speed also unpauses
        await pilot.press("shift+right")  # away from frame 0: backwards from the start does not play
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
        engine.on_event(EngineChanged())
        await pilot.pause()
        await pilot.press("right")  # paused over a segment that is not ready: a still is decoded
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)  # the pane draws at most max_fps frames a second
        frame = app.editor.query_one(PreviewPane).frame
        assert frame is not None and frame[0, 0, 0] == 43
        assert app.editor.bridge.wait_idle()
        assert ("seek", 43) in player.calls and engine.playheads[-1] == 43

        await pilot.press("s")  # an edit re-plans at once
        assert app.editor.bridge.wait_idle()
        assert engine.timeline == app.document.timeline and len(engine.timeline.clips) == 4
    assert engine.closed and ("close", None) in player.calls


async def test_missing_engine_degrades_to_the_timeline_model() -> None:
    app = make_app(three_clips(), bridge=Bridge(preview="terminal", backend=FakeBackend(ImportError("no libx264"))))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.editor.bridge.status.startswith(UNAVAILABLE)
        snap = app.editor.snapshot
        assert len(snap.segments) == 5 and set(snap.states) == {SegmentState.PENDING}
        await pilot.press("down", "s")
        assert len(app.editor.snapshot.segments) == 5


async def test_engine_that_fails_to_start_is_reported() -> None:
    app = make_app(
        three_clips(), bridge=Bridge(preview="terminal", backend=FakeBackend(RuntimeError("no encoder found")))
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no encoder found" in app.editor.bridge.status
        await pilot.press("x")
        assert len(app.document.timeline.clips) == 2


class DisplayBackend(FakeBackend):
    """A backend whose display check answers ``usable`` and explains a no."""

    def __init__(self, usable: bool, problem: str = "") -> None:
        super().__init__()
        self.usable, self.problem = usable, problem
        self.checked_on: list[str] = []

    def detect_display(self) -> bool:
        self.checked_on.append(threading.current_thread().name)
        return self.usable

    def display_problem(self) -> str:
        return "" if self.usable else self.problem


async def test_auto_checks_the_display_off_the_ui_thread_and_hands_the_playhead_over() -> None:
    backend = DisplayBackend(usable=True)
    app = make_app(three_clips(), bridge=Bridge(preview="auto", backend=backend))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bridge = app.editor.bridge
        assert bridge.wait_idle()
        await pilot.pause()
        player = FakePreview.instances[0]
        assert backend.checked_on == ["livecut-preview-control"]
        assert player.mode == "window" and bridge.mode == "window" and bridge.status == ""
        assert bridge.note == "window preview"
        assert ("timeline", 0) in player.calls  # the player starts where the clock's playhead is
        await pilot.press("right")
        assert bridge.wait_idle()
        assert player.calls[-1] == ("seek", 1)
    assert ("close", None) in player.calls


@pytest.mark.parametrize("choice", ["auto", "window"])
async def test_a_display_without_a_usable_window_falls_back_to_the_terminal(choice: str) -> None:
    backend = DisplayBackend(usable=False, problem="no window from libmpv in 1 s")
    preview: PreviewChoice = "auto" if choice == "auto" else "window"
    app = make_app(three_clips(), bridge=Bridge(preview=preview, backend=backend))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        bridge = app.editor.bridge
        assert bridge.wait_idle()
        await pilot.pause()
        assert FakePreview.instances[0].mode == "terminal" and bridge.mode == "terminal"
        assert bridge.note.startswith("terminal preview") and bridge.note.endswith(": no window from libmpv in 1 s")
        assert ("window unavailable" in bridge.note) == (choice == "window")
        assert "terminal preview" in str(app.editor.query_one(StatusLine).render())


class HangingPreview(FakePreview):
    """A player whose seeks never return (libmpv blocked in native code)."""

    release = threading.Event()

    def seek(self, frame: int) -> None:
        super().seek(frame)
        self.release.wait()

    def close(self) -> None:
        raise AssertionError("a stuck player must be abandoned, not closed")


class HangingBackend(FakeBackend):
    def start_preview(
        self,
        engine: EngineHandle,
        mode: VideoOutput,
        frame_size: tuple[int, int],
        on_frame: FrameSink | None,
        on_event: Callable[[PreviewEvent], None],
    ) -> PreviewHandle:
        assert isinstance(engine, FakeEngine)
        return HangingPreview(engine, mode, frame_size, on_frame, on_event)


async def test_a_player_that_stops_answering_hands_the_transport_to_the_clock() -> None:
    HangingPreview.release.clear()
    app = make_app(three_clips(), bridge=Bridge(preview="terminal", backend=HangingBackend(), deadline=0.3))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            bridge = app.editor.bridge
            await pilot.press("right")  # the seek hangs inside the player
            for _ in range(50):
                await pilot.pause(0.05)
                if "stopped answering" in bridge.status:
                    break
            assert "stopped answering" in bridge.status and not bridge.preview_running
            await pilot.press("right", "right")  # the playhead still moves: the clock has it
            assert app.editor.cursor.playhead == 3
            await pilot.press("l")  # and plays
            for _ in range(40):
                await pilot.pause(0.05)
                if app.editor.cursor.playhead > 3:
                    break
            assert app.editor.cursor.playhead > 3
            assert "stopped answering" in str(app.editor.query_one(StatusLine).render())
    finally:
        HangingPreview.release.set()


async def test_quality_reaches_the_engine_and_the_label_reads_the_playing_rung() -> None:
    bridge = Bridge(preview="terminal", backend=FakeBackend())
    app = make_app(three_clips(), bridge=bridge)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        engine, player = FakeEngine.instances[0], FakePreview.instances[0]
        assert engine.qualities == [bridge.quality]  # the setting reached the engine on open
        bridge.set_quality("half")
        assert engine.qualities[-1] == "half"
        assert bridge.quality_label() == "full → half"  # the full rung still plays
        player.playing_rung = 1
        assert bridge.quality_label() == "half (pinned)"
        bridge.set_quality("auto")
        assert engine.qualities[-1] == "auto" and bridge.quality_label() == "half (auto)"


async def test_an_engine_without_a_stream_gives_the_browser_preview_nothing_to_stream() -> None:
    bridge = Bridge(preview="none", backend=FakeBackend())
    app = make_app(three_clips(), bridge=bridge)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert bridge.engine_running
        assert bridge.start_web(port=0).url.startswith("http://127.0.0.1:")
        assert bridge._hub is not None and bridge._hub.source is None  # asked the flag, not the fake
