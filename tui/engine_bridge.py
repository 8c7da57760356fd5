"""The one place the editor meets the cell engine and the player.

Why an adapter: ``core.engine`` (cells, scheduler, encoders) and ``core.preview`` (libmpv) are
heavy, thread-owning and may be missing or fail to start (no libmpv, no encoder). The editor
must work on the timeline model regardless, so it talks only to ``Bridge``:

* engine and preview are imported lazily; when they are absent or fail, the bridge says why
  (``status``), plans the segments itself so the segment bar still shows the timeline's cells
  (all pending/offline), and plays with a stand-in clock so J/K/L still move the playhead;
* every callback from an engine or player thread becomes a Textual message through ``post``
  (thread-safe); nothing here touches a widget;
* the bridge is the single owner of the engine and the player and closes them on the UI thread.

The segment bar reads anything shaped like ``SnapshotLike``, which tests build by hand.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, Protocol

import numpy as np
from textual.message import Message

from core.media import MediaInfo
from core.plan import PlanSettings, Segment, SegmentState, plan
from core.project import Project
from core.timeline import Timeline
from tui.messages import EngineChanged, PreviewFrame, PreviewPosition, PreviewState
from tui.preview_control import PreviewControl

log = logging.getLogger(__name__)

PreviewChoice = Literal["auto", "window", "terminal", "none"]
PreviewMode = Literal["window", "frames", "null"]
UNAVAILABLE = "preview engine unavailable"


class SnapshotLike(Protocol):
    """What the segment bar needs from ``core.engine.EngineSnapshot``."""

    @property
    def segments(self) -> Sequence[Segment]: ...
    @property
    def states(self) -> Sequence[SegmentState]: ...
    @property
    def progress(self) -> Sequence[float]: ...
    @property
    def ready(self) -> int: ...
    @property
    def encoding(self) -> int: ...
    @property
    def bytes(self) -> int: ...
    @property
    def encoder(self) -> str: ...
    @property
    def errors(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class StaticSnapshot:
    """A snapshot built without an engine (the planned segments, or a test's chosen states)."""

    segments: tuple[Segment, ...] = ()
    states: tuple[SegmentState, ...] = ()
    progress: tuple[float, ...] = ()
    ready: int = 0
    encoding: int = 0
    bytes: int = 0
    encoder: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def planned_snapshot(timeline: Timeline, cell_frames: int) -> StaticSnapshot:
    """The timeline's segments with no engine behind them: pending, or offline."""
    try:
        segments = tuple(plan(timeline, PlanSettings(cell_frames, "no-engine"), lambda ref: ref.id))
    except Exception:  # a plan must never take the editor down
        log.exception("cannot plan the timeline")
        segments = ()
    states = tuple(SegmentState.OFFLINE if s.offline else SegmentState.PENDING for s in segments)
    return StaticSnapshot(segments, states, tuple(0.0 for _ in segments))


def resolve_mode(choice: PreviewChoice) -> PreviewMode:
    """``--preview`` → the player's mode; ``auto`` wants a local display and no SSH."""
    if choice == "none":
        return "null"
    if choice == "terminal":
        return "frames"
    if choice == "window":
        return "window"
    try:
        from core.player import detect_display
    except Exception:  # libmpv missing: no window anyway
        return "frames"
    return "window" if detect_display() else "frames"


def _import(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        log.info("%s not available: %s", name, exc)
        return None


def _drop(_message: Message) -> None:
    """Where events go before the bridge is attached to a screen."""


def _event_value(event: object, *names: str) -> Any:
    for name in names:
        if hasattr(event, name):
            return getattr(event, name)
    if dataclasses.is_dataclass(event):
        fields = dataclasses.fields(event)
        if fields:
            return getattr(event, fields[0].name)
    return None


class ClockPlayer:
    """Stand-in player without libmpv: a thread that advances the playhead at the shuttle speed."""

    TICK = 1 / 20

    def __init__(self, post: Callable[[Message], object], fps: Fraction) -> None:
        self._post = post
        self._fps = fps
        self._lock = threading.Lock()
        self._speed = 0.0
        self._anchor = (0, 0.0)
        self._last = 0
        self._duration = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set_duration(self, frames: int) -> None:
        with self._lock:
            self._duration = frames

    def seek(self, frame: int) -> None:
        with self._lock:
            self._anchor = (frame, time.monotonic())
            self._last = frame

    def play(self, speed: float) -> None:
        with self._lock:
            self._anchor = (self._last, time.monotonic())
            self._speed = speed
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="livecut-clock", daemon=True)
            self._thread.start()
        self._wake.set()

    def pause(self) -> None:
        with self._lock:
            self._speed = 0.0

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                speed = self._speed
            if speed == 0:
                self._wake.wait()
                self._wake.clear()
                continue
            self._stop.wait(self.TICK)
            with self._lock:
                if self._speed == 0:
                    continue
                start, t0 = self._anchor
                frame = start + int((time.monotonic() - t0) * self._speed * float(self._fps))
                end = max(0, self._duration - 1)
                ended = frame >= end if self._speed > 0 else frame <= 0
                frame = max(0, min(frame, end))
                self._last = frame
                if ended:
                    self._speed = 0.0
            self._post(PreviewPosition(frame))
            if ended:
                self._post(PreviewState("ended"))


class Bridge:
    """Owner of the engine and player for the open project (or of their stand-ins)."""

    def __init__(self, post: Callable[[Message], object] | None = None, *, preview: PreviewChoice = "auto",
                 workers: int | None = None, engine: bool = True) -> None:
        self._post: Callable[[Message], object] = post or _drop
        self._choice = preview
        self._workers = workers
        self._use_engine = engine
        self._engine: Any | None = None
        self._preview: Any | None = None
        self._control: PreviewControl | None = None
        """Runs the preview's stream restarts (seek, edit, play) off the UI thread."""
        self._clock: ClockPlayer | None = None
        self._first_frame: Callable[..., np.ndarray] | None = None
        self._timeline: Timeline | None = None
        self._cell_frames = 60
        self.mode: PreviewMode = "null"
        self.status = ""
        """Why the engine or preview is not running ("" when all is well)."""

    def attach(self, post: Callable[[Message], object]) -> None:
        """Send events to ``post`` (the editor screen's thread-safe ``post_message``)."""
        self._post = post

    @property
    def engine_running(self) -> bool:
        return self._engine is not None

    @property
    def frames_mode(self) -> bool:
        return self._preview is not None and self.mode == "frames"

    def open(self, project: Project, frame_size: tuple[int, int]) -> None:
        """Start the engine and player for ``project`` (closing any previous ones)."""
        self.close()
        self._timeline = project.timeline
        self._cell_frames = project.cell_size
        self._clock = ClockPlayer(lambda message: self._post(message), project.fps)
        self._clock.set_duration(project.timeline.duration)
        self.mode = resolve_mode(self._choice)
        engine_mod = _import("core.engine") if self._use_engine else None
        if engine_mod is None:
            self.status = UNAVAILABLE
            return
        try:
            self._engine = engine_mod.Engine(project, workers=self._workers, on_event=self._on_engine_event)
        except Exception as exc:
            log.exception("engine failed to start")
            self.status = f"{UNAVAILABLE}: {exc}"
            return
        self.status = ""
        preview_mod = _import("core.preview")
        if preview_mod is None:
            self.status = "preview unavailable (segments only)"
            return
        self._first_frame = getattr(preview_mod, "first_frame", None)
        if self.mode == "null":
            return
        try:
            self._preview = preview_mod.Preview(self._engine, self.mode, frame_size,
                                                self._on_frame, self._on_preview_event)
        except Exception as exc:
            log.exception("preview failed to start")
            self.status = f"preview unavailable: {exc}"
            self._preview = None

    # -- engine --------------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline, playhead: int) -> None:
        """After an edit (or on open): re-plan, and show ``playhead`` of the new timeline."""
        self._timeline = timeline
        if self._clock is not None:
            self._clock.set_duration(timeline.duration)
            self._clock.seek(playhead)
        restart = getattr(self._preview, "set_timeline", None)
        if restart is not None:
            # re-plans the engine and restarts the stream there
            self._command("timeline", lambda: restart(timeline, playhead))
            return
        if self._engine is not None:
            self._engine.set_timeline(timeline)
            self._engine.set_playhead(playhead)
        if self._preview is not None:
            preview = self._preview
            self._command("seek", lambda: preview.seek(playhead))

    def set_playhead(self, frame: int) -> None:
        if self._engine is not None:
            self._engine.set_playhead(frame)

    def snapshot(self) -> SnapshotLike:
        if self._engine is not None:
            try:
                return self._engine.snapshot()
            except Exception:
                log.exception("engine snapshot failed")
        if self._timeline is None:
            return StaticSnapshot()
        return planned_snapshot(self._timeline, self._cell_frames)

    # -- transport -------------------------------------------------------------------------------
    def play(self, speed: float) -> None:
        """Shuttle at ``speed`` (negative: backwards); the player's ``set_speed`` also unpauses."""
        if self._preview is not None:
            preview = self._preview
            self._command("speed", lambda: preview.set_speed(speed))
        elif self._clock is not None:
            self._clock.play(speed)

    def pause(self) -> None:
        if self._preview is not None:
            self._command("pause", self._preview.pause)
        elif self._clock is not None:
            self._clock.pause()

    def seek(self, frame: int) -> None:
        self.set_playhead(frame)
        if self._preview is not None:
            preview = self._preview
            self._command("seek", lambda: preview.seek(frame))
        elif self._clock is not None:
            self._clock.seek(frame)

    def set_frame_size(self, size: tuple[int, int]) -> None:
        setter = getattr(self._preview, "set_frame_size", None)
        if setter is not None:
            try:
                setter(*size)
            except Exception:
                log.exception("cannot resize the preview")

    def still(self, info: MediaInfo, source_frame: int, size: tuple[int, int]) -> np.ndarray | None:
        """Source frame ``source_frame`` (project frames) decoded directly at ``size``, shown before
        its cell is ready; call from a worker thread."""
        if self._first_frame is None or self._timeline is None:
            return None
        return self._first_frame(info, source_frame, size, self._timeline.fps)

    def _command(self, kind: str, command: Callable[[], None]) -> None:
        if self._control is None:
            self._control = PreviewControl()
        self._control.submit(kind, command)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until queued preview commands have run (tests use this)."""
        return self._control.wait_idle(timeout) if self._control is not None else True

    def close(self) -> None:
        """Stop the player, then the engine (UI thread)."""
        if self._control is not None:
            self._control.close()
            self._control = None
        for name in ("_preview", "_engine"):
            owner = getattr(self, name)
            setattr(self, name, None)
            if owner is not None:
                try:
                    owner.close()
                except Exception:
                    log.exception("closing %s failed", name)
        if self._clock is not None:
            self._clock.close()
            self._clock = None

    # -- callbacks (worker threads: post only) ------------------------------------------------
    def _on_engine_event(self, _event: object) -> None:
        self._post(EngineChanged())

    def _on_frame(self, rgb: np.ndarray) -> None:
        self._post(PreviewFrame(rgb))

    def _on_preview_event(self, event: object) -> None:
        kind = type(event).__name__
        if kind == "Position":
            frame = _event_value(event, "frame")
            if frame is None and self._timeline is not None:
                seconds = _event_value(event, "seconds")
                frame = int(Fraction(seconds).limit_denominator(10**6) * self._timeline.fps) if seconds is not None else None
            if frame is not None:
                self._post(PreviewPosition(int(frame)))
        elif kind in ("Waiting", "Paused"):
            self._post(PreviewState(kind.lower(), bool(_event_value(event, kind.lower()))))
        elif kind == "Ended":
            self._post(PreviewState("ended"))
        elif kind == "Error":
            self._post(PreviewState("error", True, str(_event_value(event, "message"))))
