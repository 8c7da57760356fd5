"""What every open page shares: the engine served, the transport an editor drives, segment states.

Why a hub apart from the server: the editor's bridge (and ``livecut serve``) call into it from
their own threads — an edit, a seek, play or pause — while pages live on the server's event
loop. Every public method here is thread-safe: it records the new state and schedules the work
on the loop, where each ``Client`` restarts its stream or forwards the message to its page.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from core.cells.plan import Segment
from core.cells.store import CellStore
from core.model.timeline import Timeline
from core.preview.seam import SnapshotView
from core.timebase import nominal_fps

if TYPE_CHECKING:
    from core.web.client import Client

log = logging.getLogger(__name__)

SEGMENTS_POLL_SECONDS = 0.25
"""How often the segment states are compared and, when they changed, sent to the pages."""


class StreamSource(Protocol):
    """What the hub streams from: ``core.engine.Engine`` (its store, plan and ``resolve``)."""

    store: CellStore
    fps: Fraction

    @property
    def timeline(self) -> Timeline: ...

    @property
    def segments(self) -> list[Segment]: ...

    def resolve(self, seg: Segment, cancel: threading.Event) -> str | None: ...

    def snapshot(self) -> SnapshotView: ...

    def set_playhead(self, frame: int) -> None: ...


@dataclass(frozen=True)
class Transport:
    """The transport the pages follow: an editor's, or the page's own when there is no editor."""

    speed: float = 0.0
    """Shuttle speed (negative: backwards); 0 is paused."""
    frame: int = 0
    """The last frame sought to (or where an edit left the playhead)."""

    def message(self, *, seek: bool) -> dict[str, Any]:
        return {"type": "transport", "speed": self.speed, "frame": self.frame, "seek": seek}


class WebHub:
    """Shared state of the browser preview (thread-safe; the clients live on the server loop)."""

    def __init__(self, source: StreamSource | None = None, *, following: bool = False) -> None:
        self._lock = threading.Lock()
        self._source = source
        self.following = following
        """True when an editor drives the transport (the page says it follows the editor)."""
        self._transport = Transport()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[Client] = set()
        """Open pages (touched on the loop only)."""
        self._last_segments: dict[str, Any] | None = None
        self.bytes_sent = 0
        """Stream bytes sent to every page so far (the cost of the preview over SSH)."""
        self.edits = 0
        """Timeline changes seen (each restarts every page's stream)."""

    # -- state ---------------------------------------------------------------------------------------
    @property
    def source(self) -> StreamSource | None:
        with self._lock:
            return self._source

    @property
    def transport(self) -> Transport:
        with self._lock:
            return self._transport

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """The loop the clients run on (``WebServer`` sets it; None when it stops)."""
        with self._lock:
            self._loop = loop

    def hello(self) -> dict[str, Any]:
        """The first message a page gets: timing, length, and whether an editor drives it."""
        source = self.source
        fps = source.fps if source is not None else Fraction(30)
        duration = source.timeline.duration if source is not None else 0
        return {
            "type": "hello",
            "fps": [fps.numerator, fps.denominator],
            "nominal": nominal_fps(fps),
            "duration": duration,
            "following": self.following,
            "engine": source is not None,
        }

    def segments_message(self) -> dict[str, Any]:
        """Every segment's span and state (the same states as the editor's segment bar)."""
        source = self.source
        if source is None:
            return {"type": "segments", "duration": 0, "segs": []}
        try:
            snap = source.snapshot()
        except Exception:
            log.exception("engine snapshot failed")
            return {"type": "segments", "duration": 0, "segs": []}
        segs = [[s.at, s.length, str(state)] for s, state in zip(snap.segments, snap.states, strict=False)]
        duration = max((s.end for s in snap.segments), default=0)
        return {"type": "segments", "duration": duration, "segs": segs}

    # -- driven by an editor or a command (any thread) -----------------------------------------------
    def set_source(self, source: StreamSource | None, frame: int = 0) -> None:
        """Serve another engine (the editor opened another project), or none."""
        with self._lock:
            self._source = source
            self._transport = Transport(0.0, frame)
        self._on_loop(self._restart_all, frame, True, True)

    def timeline_changed(self, frame: int) -> None:
        """After an edit, once the engine has the new plan: every page restarts its stream at
        ``frame`` and swaps to it."""
        with self._lock:
            self._transport = replace(self._transport, frame=frame)
            self.edits += 1
        self._on_loop(self._restart_all, frame, True, False)

    def seek(self, frame: int) -> None:
        with self._lock:
            self._transport = replace(self._transport, frame=frame)
            message = self._transport.message(seek=True)
        self._on_loop(self._broadcast, message)

    def play(self, speed: float) -> None:
        with self._lock:
            self._transport = replace(self._transport, speed=speed)
            message = self._transport.message(seek=False)
        self._on_loop(self._broadcast, message)

    def pause(self) -> None:
        self.play(0.0)

    def _on_loop(self, fn: Callable[..., object], *args: object) -> None:
        with self._lock:
            loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop closed meanwhile: nobody is watching
            pass

    # -- on the loop -------------------------------------------------------------------------------
    def _broadcast(self, message: dict[str, Any]) -> None:
        for client in list(self.clients):
            client.send_later(message)

    def _restart_all(self, frame: int, edit: bool, hello: bool) -> None:
        self._last_segments = None
        for client in list(self.clients):
            if hello:
                client.send_later(self.hello())
            client.restart_later(frame, edit=edit)

    async def watch_segments(self) -> None:
        """Send the segment states to every page whenever they change (runs until cancelled)."""
        while True:
            if self.clients:
                message = await asyncio.to_thread(self.segments_message)
                if message != self._last_segments:
                    self._last_segments = message
                    self._broadcast(message)
            await asyncio.sleep(SEGMENTS_POLL_SECONDS)


def engine_source(engine: object) -> StreamSource | None:
    """``engine`` as something the hub can stream from, or None (a test's stand-in engine has no
    cells to stream)."""
    from core.engine.engine import Engine

    return engine if isinstance(engine, Engine) else None
