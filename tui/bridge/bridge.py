"""The one place the editor meets the cell engine and the player.

Why an adapter: the engine and the preview are heavy, thread-owning and may be missing or fail
to start (no libmpv, no encoder). The editor must work on the timeline model regardless, so it
talks only to ``Bridge``, and the bridge talks to core only through the typed seam
(``core.preview.seam``): a ``Backend`` starts an ``EngineHandle`` and a ``PreviewHandle``.

* When the engine or the preview is absent or fails, the bridge says why (``status``), plans the
  segments itself so the segment bar still shows the timeline's cells (pending/offline), and
  plays with a stand-in clock so J/K/L still move the playhead.
* Every callback from an engine or player thread becomes a Textual message through ``post``
  (thread-safe); nothing here touches a widget. Events are typed, in timeline frames.
* The bridge is the single owner of the engine and the player and closes them on the UI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from textual.message import Message

from core.media.info import MediaInfo
from core.model.project import Project
from core.model.timeline import Timeline
from core.modes import PreviewChoice, VideoOutput, resolve_choice
from core.preview.backend import CoreBackend
from core.preview.seam import (
    Backend,
    Ended,
    EngineChanged,
    EngineHandle,
    Failed,
    Paused,
    Position,
    PreviewEvent,
    PreviewHandle,
    SnapshotView,
    Waiting,
)
from tui.bridge.clock import ClockPlayer
from tui.bridge.control import PreviewControl
from tui.bridge.messages import EngineUpdated, PreviewFrame, PreviewPosition, PreviewState
from tui.bridge.snapshot import StaticSnapshot, planned_snapshot

log = logging.getLogger(__name__)

UNAVAILABLE = "preview engine unavailable"


def _drop(_message: Message) -> None:
    """Where events go before the bridge is attached to a screen."""


class Bridge:
    """Owner of the engine and player for the open project (or of their stand-ins)."""

    def __init__(
        self,
        post: Callable[[Message], object] | None = None,
        *,
        preview: PreviewChoice = "auto",
        workers: int | None = None,
        engine: bool = True,
        backend: Backend | None = None,
    ) -> None:
        self._post: Callable[[Message], object] = post or _drop
        self._choice: PreviewChoice = preview
        self._workers = workers
        self._backend: Backend | None = (backend or CoreBackend()) if engine else None
        self._engine: EngineHandle | None = None
        self._preview: PreviewHandle | None = None
        self._control: PreviewControl | None = None
        """Runs the preview's stream restarts (seek, edit, play) off the UI thread."""
        self._clock: ClockPlayer | None = None
        self._timeline: Timeline | None = None
        self._cell_frames = 60
        self.mode: VideoOutput = "none"
        self.status = ""
        """Why the engine or preview is not running ("" when all is well)."""

    def attach(self, post: Callable[[Message], object]) -> None:
        """Send events to ``post`` (the editor screen's thread-safe ``post_message``)."""
        self._post = post

    @property
    def engine_running(self) -> bool:
        return self._engine is not None

    @property
    def terminal_mode(self) -> bool:
        """True when the preview draws its frames into the terminal."""
        return self._preview is not None and self.mode == "terminal"

    def open(self, project: Project, frame_size: tuple[int, int]) -> None:
        """Start the engine and player for ``project`` (closing any previous ones)."""
        self.close()
        self._timeline = project.timeline
        self._cell_frames = project.cell_size
        self._clock = ClockPlayer(lambda message: self._post(message), project.fps)
        self._clock.set_duration(project.timeline.duration)
        backend = self._backend
        self.mode = resolve_choice(self._choice, backend.detect_display if backend is not None else lambda: False)
        if backend is None:
            self.status = UNAVAILABLE
            return
        try:
            self._engine = backend.start_engine(project, self._workers, self._on_engine_event)
        except Exception as exc:
            log.exception("engine failed to start")
            self.status = f"{UNAVAILABLE}: {exc}"
            return
        self.status = ""
        if self.mode == "none":
            return
        try:
            self._preview = backend.start_preview(
                self._engine,
                self.mode,
                frame_size,
                self._on_frame if self.mode == "terminal" else None,
                self._on_preview_event,
            )
        except Exception as exc:  # libmpv missing or unable to start: segments and clock only
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
        preview = self._preview
        if preview is not None:
            # re-plans the engine and restarts the stream there
            self._command("timeline", lambda: preview.set_timeline(timeline, playhead))
        elif self._engine is not None:
            self._engine.set_timeline(timeline)
            self._engine.set_playhead(playhead)

    def set_playhead(self, frame: int) -> None:
        if self._engine is not None:
            self._engine.set_playhead(frame)

    def snapshot(self) -> SnapshotView:
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
        preview = self._preview
        if preview is not None:
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
        preview = self._preview
        if preview is not None:
            self._command("seek", lambda: preview.seek(frame))
        elif self._clock is not None:
            self._clock.seek(frame)

    def set_frame_size(self, size: tuple[int, int]) -> None:
        if self._preview is not None:
            try:
                self._preview.set_frame_size(*size)
            except Exception:
                log.exception("cannot resize the preview")

    def still(self, info: MediaInfo, source_frame: int, size: tuple[int, int]) -> np.ndarray | None:
        """Source frame ``source_frame`` (project frames) decoded directly at ``size``, shown before
        its cell is ready; call from a worker thread."""
        if self._backend is None or self._engine is None or self._timeline is None:
            return None
        return self._backend.still(info, source_frame, size, self._timeline.fps)

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
        preview, self._preview = self._preview, None
        engine, self._engine = self._engine, None
        for name, owner in (("preview", preview), ("engine", engine)):
            if owner is not None:
                try:
                    owner.close()
                except Exception:
                    log.exception("closing the %s failed", name)
        if self._clock is not None:
            self._clock.close()
            self._clock = None

    # -- callbacks (worker threads: post only) ------------------------------------------------
    def _on_engine_event(self, _event: EngineChanged) -> None:
        self._post(EngineUpdated())

    def _on_frame(self, rgb: np.ndarray) -> None:
        self._post(PreviewFrame(rgb))

    def _on_preview_event(self, event: PreviewEvent) -> None:
        if isinstance(event, Position):
            self._post(PreviewPosition(event.frame))
        elif isinstance(event, Waiting):
            self._post(PreviewState("waiting", event.waiting))
        elif isinstance(event, Paused):
            self._post(PreviewState("paused", event.paused))
        elif isinstance(event, Ended):
            self._post(PreviewState("ended"))
        elif isinstance(event, Failed):
            self._post(PreviewState("error", True, event.message))
