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
* The bridge is the single owner of the engine and the player. The player is created, driven
  and closed on one preview-control thread (``tui.bridge.control``), never on the UI thread.
* A window preview (``auto`` or ``window``) starts only after the backend checked, off the UI
  thread and in bounded time, that libmpv can open a window on this display; otherwise the
  terminal preview starts and ``notice`` says why. Until the preview is up, the clock plays.
* A preview command that does not return in time (libmpv blocked in native code) abandons that
  player: the clock takes over where the playhead was, and ``status`` says so.
* ``start_web`` also serves the preview to a browser (``core.web``); the bridge then forwards
  every transport command and edit to it, so the page follows the editor. The page's stream
  restarts only after the engine has the new plan (on the control thread, after the preview's).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from textual.message import Message

from core.media.info import MediaInfo
from core.model.project import Project
from core.model.timeline import Timeline
from core.modes import QUALITY_CHOICES, RUNG_NAMES, PreviewChoice, VideoOutput, resolve_choice
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
from tui.bridge.control import DEADLINE, PreviewControl
from tui.bridge.messages import (
    EngineUpdated,
    PageKey,
    PreviewChanged,
    PreviewEnded,
    PreviewFailed,
    PreviewFrame,
    PreviewPaused,
    PreviewPosition,
    PreviewWaiting,
)
from tui.bridge.snapshot import StaticSnapshot, planned_snapshot

if TYPE_CHECKING:
    from core.web.hub import WebHub
    from core.web.server import Address, WebServer

log = logging.getLogger(__name__)

UNAVAILABLE = "preview engine unavailable"
CHECKING = "checking the display for a window preview…"
START_WAIT = 10.0
"""Seconds ``open`` waits for a terminal preview to start before the clock plays instead."""
LABELS: dict[VideoOutput, str] = {"window": "window preview", "terminal": "terminal preview", "none": "preview off"}


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
        deadline: float = DEADLINE,
    ) -> None:
        self._post: Callable[[Message], object] = post or _drop
        self._choice: PreviewChoice = preview
        self._workers = workers
        self._deadline = deadline
        """Seconds a preview command may run before the player counts as stuck."""
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
        self.notice = ""
        """Which preview ``auto``/``window`` ended up with, and why ("" for a forced mode)."""
        self._lock = threading.Lock()
        self._generation = 0
        self.quality = "auto"
        """Preview quality: ``auto`` (adapt to the measured encode speed) or a pinned rung name."""
        """Bumped by ``close``: a preview that finishes starting after that is closed at once."""
        self._frame = 0
        """Last known playhead (seeks and the player's positions), where the clock takes over."""
        self._speed = 0.0
        """Shuttle speed last asked for (0: paused)."""
        self._loop: tuple[int, int] | None = None
        """The loop range the player repeats (``set_loop``), handed to a player that starts later."""
        self._hub: WebHub | None = None
        self._web: WebServer | None = None
        """The browser preview, once ``start_web`` ran (it outlives ``open``)."""

    def attach(self, post: Callable[[Message], object]) -> None:
        """Send events to ``post`` (the editor screen's thread-safe ``post_message``)."""
        self._post = post

    @property
    def engine_running(self) -> bool:
        return self._engine is not None

    @property
    def note(self) -> str:
        """The standing line for the status bar: a problem, else which preview plays and why."""
        return self.status or self.notice

    @property
    def preview_running(self) -> bool:
        return self._preview is not None

    @property
    def terminal_mode(self) -> bool:
        """True when the preview draws its frames into the terminal."""
        return self._preview is not None and self.mode == "terminal"

    def open(self, project: Project, frame_size: tuple[int, int]) -> None:
        """Start the engine and player for ``project`` (closing any previous ones).

        The engine starts here; the player starts on the preview-control thread. A terminal
        preview is waited for (briefly); a window preview first needs the display check, so the
        clock plays until it is up and a ``PreviewChanged`` message says it is.
        """
        self._shutdown()  # the browser preview, if any, stays and follows the new engine
        self._timeline = project.timeline
        self._cell_frames = project.cell_size
        self._frame, self._speed = 0, 0.0
        self._clock = ClockPlayer(lambda message: self._post(message), project.fps)
        self._clock.set_duration(project.timeline.duration)
        self.notice = ""
        backend = self._backend
        if backend is None:
            self.mode = resolve_choice(self._choice, lambda: False)
            self.status = UNAVAILABLE
            return
        try:
            self._engine = backend.start_engine(project, self._workers, self._on_engine_event)
        except Exception as exc:
            self.mode = resolve_choice(self._choice, lambda: False)
            log.exception("engine failed to start")
            self.status = f"{UNAVAILABLE}: {exc}"
            return
        self._apply_quality()
        self._serve_engine()
        self.status = ""
        if self._choice == "none":
            self.mode = "none"
            return
        engine, generation = self._engine, self._generation
        control = self._control = PreviewControl(self._on_stuck, deadline=self._deadline)
        if self._choice == "terminal":
            self.mode = "terminal"

            def start() -> None:
                self._start(backend, engine, "terminal", frame_size, generation)

            control.submit("start", start)
            if not control.wait_idle(START_WAIT) and self._preview is None:
                log.error("the terminal preview did not start within %.0f s", START_WAIT)
            return
        self.mode = "terminal"  # until the display check answers
        self.status = CHECKING
        control.submit("start", lambda: self._start_checked(backend, engine, frame_size, generation))

    def _start_checked(
        self, backend: Backend, engine: EngineHandle, frame_size: tuple[int, int], generation: int
    ) -> None:
        """Control thread: check the display (bounded), then start the window or terminal preview."""
        usable = backend.detect_display()
        problem = backend.display_problem()
        forced = self._choice == "window"
        if usable:
            mode: VideoOutput = "window"
        else:
            mode = "terminal"
            why = problem or "no graphical display"
            log.warning("no window preview (%s): using the terminal preview", why)
            self.notice = f"terminal preview{', window unavailable' if forced else ''}: {why}"
        started = self._start(backend, engine, mode, frame_size, generation, handover=True)
        if not started and mode == "window":
            self.notice = f"terminal preview, window unavailable: {self.status or 'it failed to start'}"
            self.status = CHECKING
            started = self._start(backend, engine, "terminal", frame_size, generation, handover=True)
        if started and mode == "window":
            self.notice = LABELS["window"]
        with self._lock:
            if generation == self._generation and self.status == CHECKING:
                self.status = ""
        self._post(PreviewChanged())

    def _start(
        self,
        backend: Backend,
        engine: EngineHandle,
        mode: VideoOutput,
        frame_size: tuple[int, int],
        generation: int,
        *,
        handover: bool = False,
    ) -> bool:
        """Control thread: start the player (it is owned by this thread) and hand the playhead
        over from the clock. False when it failed to start (``status`` says why)."""
        try:
            preview = backend.start_preview(
                engine, mode, frame_size, self._on_frame if mode == "terminal" else None, self._on_preview_event
            )
        except Exception as exc:  # libmpv missing or unable to start: segments and clock only
            log.exception("the %s preview failed to start", mode)
            self.status = f"preview unavailable: {exc}"
            return False
        with self._lock:
            current = generation == self._generation
            if current:
                self._preview = preview
                self.mode = mode
                clock, timeline = self._clock, self._timeline
        if not current:  # the bridge was closed (or reopened) meanwhile
            preview.close()
            return True
        if clock is not None and clock.speed != 0:  # the clock played while the player started
            self._frame, self._speed = clock.frame, clock.speed
            clock.pause()
        if timeline is not None and handover:
            if self._loop is not None:
                preview.set_loop(*self._loop)
            preview.set_timeline(timeline, self._frame)
            if self._speed:
                preview.set_speed(self._speed)
        return True

    # -- engine --------------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline, playhead: int) -> None:
        """After an edit (or on open): re-plan, and show ``playhead`` of the new timeline."""
        self._timeline = timeline
        if self._clock is not None:
            self._clock.set_duration(timeline.duration)
            self._clock.seek(playhead)
        self._frame = playhead
        preview, hub = self._live(), self._hub
        if preview is not None:

            def replan() -> None:  # re-plans the engine and restarts the stream there
                preview.set_timeline(timeline, playhead)
                if hub is not None:
                    hub.timeline_changed(playhead)

            self._command("timeline", replan)
        elif self._engine is not None:
            self._engine.set_timeline(timeline)
            self._engine.set_playhead(playhead)
            if hub is not None:
                hub.timeline_changed(playhead)

    def set_playhead(self, frame: int) -> None:
        if self._engine is not None:
            self._engine.set_playhead(frame)

    # -- preview quality -----------------------------------------------------------------------------
    def set_quality(self, quality: str) -> None:
        """Pin a rung (``full``, ``half``, ``quarter``) or let the engine adapt (``auto``)."""
        if quality not in QUALITY_CHOICES:
            raise ValueError(f"quality {quality!r} is not one of {', '.join(QUALITY_CHOICES)}")
        self.quality = quality
        self._apply_quality()

    def cycle_quality(self) -> str:
        """The next quality setting (auto → full → half → quarter → auto); returns it."""
        self.set_quality(QUALITY_CHOICES[(QUALITY_CHOICES.index(self.quality) + 1) % len(QUALITY_CHOICES)])
        return self.quality

    def _apply_quality(self) -> None:
        engine = self._engine
        if engine is not None and engine.implements_quality:
            try:
                engine.set_quality(self.quality)
            except Exception:
                log.exception("setting the preview quality failed")

    def quality_label(self) -> str:
        """What the status line shows about quality: the rung playing unless it is the full one
        chosen automatically ("" then), and whether it is pinned."""
        preview = self._preview
        rung = preview.rung if preview is not None else None
        name = RUNG_NAMES[rung] if rung is not None and 0 <= rung < len(RUNG_NAMES) else None
        if self.quality != "auto":
            return f"{name or self.quality} (pinned)" if name in (None, self.quality) else f"{name} → {self.quality}"
        return "" if name in (None, "full") else f"{name} (auto)"

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
    def _live(self) -> PreviewHandle | None:
        """The player, if one runs and answers (else the clock plays)."""
        control = self._control
        if control is None or control.stuck:
            return None
        return self._preview

    def play(self, speed: float) -> None:
        """Shuttle at ``speed`` (negative: backwards); the player's ``set_speed`` also unpauses."""
        self._speed = speed
        if self._hub is not None:
            self._hub.play(speed)
        preview = self._live()
        if preview is not None:
            self._command("speed", lambda: preview.set_speed(speed))
        elif self._clock is not None:
            self._clock.play(speed)

    def pause(self) -> None:
        self._speed = 0.0
        if self._hub is not None:
            self._hub.pause()
        preview = self._live()
        if preview is not None:
            self._command("pause", preview.pause)
        elif self._clock is not None:
            self._clock.pause()

    def seek(self, frame: int) -> None:
        self._frame = frame
        self.set_playhead(frame)
        if self._hub is not None:
            self._hub.seek(frame)
        preview = self._live()
        if preview is not None:
            self._command("seek", lambda: preview.seek(frame))
        elif self._clock is not None:
            self._clock.seek(frame)

    def set_loop(self, loop: tuple[int, int] | None) -> None:
        """Play ``[in, out)`` over and over (None: no loop): the player wraps each pass itself."""
        self._loop = loop
        preview = self._live()
        if preview is not None:
            start, end = loop if loop is not None else (None, None)
            self._command("loop", lambda: preview.set_loop(start, end))

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
        if self._control is not None:
            self._control.submit(kind, command)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until queued preview commands have run (tests use this)."""
        return self._control.wait_idle(timeout) if self._control is not None else True

    # -- browser preview -------------------------------------------------------------------------
    @property
    def web_url(self) -> str | None:
        """The browser preview's URL (with its token), once it serves."""
        web = self._web
        return web.address.url if web is not None and web.address is not None else None

    def start_web(self, port: int | None = None, host: str = "127.0.0.1") -> Address:
        """Serve the preview to a browser (idempotent); returns where it listens (the port may be
        the next free one after ``port``). Raises OSError when no port could be bound."""
        from core.web.hub import WebHub
        from core.web.server import DEFAULT_PORT, WebServer

        if self._web is not None and self._web.address is not None:
            return self._web.address
        hub = WebHub(following=True, driver=self)
        server = WebServer(hub, host=host, port=DEFAULT_PORT if port is None else port)
        address = server.start()
        self._hub, self._web = hub, server
        self._serve_engine()
        log.info("browser preview for the editor at %s:%d", address.host, address.port)
        return address

    def page_key(self, key: str) -> None:
        """A following page's transport key (``core.web.hub.Driver``; the server's thread): posted
        to the editor, which runs it as if pressed."""
        self._post(PageKey(key))

    def _serve_engine(self) -> None:
        """Point the browser preview at the current engine and playhead."""
        hub, engine = self._hub, self._engine
        if hub is None:
            return
        hub.set_source(engine.stream_source() if engine is not None and engine.implements_stream else None, self._frame)

    def close(self) -> None:
        """Stop the browser preview, the player and the engine."""
        web, self._web, self._hub = self._web, None, None
        if web is not None:
            web.close()
        self._shutdown()

    def _shutdown(self) -> None:
        """Stop the player (on its control thread), then the engine. A player that stopped
        answering is abandoned, not closed: closing it would block too."""
        if self._hub is not None:
            self._hub.set_source(None)
        with self._lock:
            self._generation += 1
        control, self._control = self._control, None
        if control is not None:
            control.submit("close", self._close_preview)
            if not control.close():
                log.error("the preview did not close: abandoned")
        self._preview = None
        engine, self._engine = self._engine, None
        if engine is not None:
            try:
                engine.close()
            except Exception:
                log.exception("closing the engine failed")
        if self._clock is not None:
            self._clock.close()
            self._clock = None

    def _close_preview(self) -> None:
        """Control thread: close the player it created."""
        with self._lock:
            preview, self._preview = self._preview, None
        if preview is not None:
            try:
                preview.close()
            except Exception:
                log.exception("closing the preview failed")

    def _on_stuck(self, kind: str, seconds: float) -> None:
        """Watchdog thread: a preview command never returned; the clock takes over."""
        with self._lock:
            self._preview = None
        self.status = f"preview stopped answering: the clock plays ({kind} > {seconds:.0f} s)"
        clock = self._clock
        if clock is not None:
            clock.seek(self._frame)
            if self._speed:
                clock.play(self._speed)
        self._post(PreviewFailed(f"the {self.mode} preview stopped answering: playing on the clock"))

    # -- callbacks (worker threads: post only) ------------------------------------------------
    def _on_engine_event(self, _event: EngineChanged) -> None:
        self._post(EngineUpdated())

    def _on_frame(self, rgb: np.ndarray) -> None:
        self._post(PreviewFrame(rgb))

    def _on_preview_event(self, event: PreviewEvent) -> None:
        if isinstance(event, Position):
            self._frame = event.frame
            self._post(PreviewPosition(event.frame))
        elif isinstance(event, Waiting):
            self._post(PreviewWaiting(event.waiting))
        elif isinstance(event, Paused):
            self._post(PreviewPaused(event.paused))
        elif isinstance(event, Ended):
            self._post(PreviewEnded())
        elif isinstance(event, Failed):
            self._post(PreviewFailed(event.message))
