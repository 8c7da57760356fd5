"""What every open page shares: the engine served, the transport an editor drives, segment states.

Why a hub apart from the server: the editor's bridge (and ``livecut serve``) call into it from
their own threads — an edit, a seek, play or pause — while pages live on the server's event
loop. Every public method here is thread-safe: it records the new state and schedules the work
on the loop, where each page's client restarts its stream or forwards the message to it.

The hub knows a page only as a ``Page`` (what it sends and restarts), and an engine only as the
seam's ``StreamSource``: ``core.web.client`` imports the hub, never the reverse, and nothing here
needs the player (or libmpv).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Protocol

from core.preview.seam import StreamSource
from core.timebase import nominal_fps

log = logging.getLogger(__name__)

SEGMENTS_POLL_SECONDS = 0.25
"""How often the segment states are compared and, when they changed, sent to the pages."""


class Page(Protocol):
    """What the hub asks of one open page (``core.web.client.Client``), on the server loop."""

    def send_later(self, message: dict[str, Any]) -> None:
        """Queue a JSON message for the page."""

    def restart_later(self, frame: int, *, edit: bool) -> None:
        """Start a new stream session at ``frame`` (``edit``: after a timeline change)."""

    async def disconnect(self) -> None:
        """Stop the page's sessions and close its connection (the server is stopping)."""


PAGE_KEYS = frozenset(
    {
        "play_pause",
        "shuttle_back",
        "stop",
        "shuttle_forward",
        "frame_back",
        "frame_forward",
        "second_back",
        "second_forward",
        "go_start",
        "go_end",
    }
)
"""The transport keys a following page hands to the editor, by the editor's key ids
(``tui.settings.keys``): the editor acts as if the key were pressed there, and the pages follow."""


class Driver(Protocol):
    """The editor that drives the pages (``tui.bridge.bridge.Bridge``), as the hub reaches back to it."""

    def page_key(self, key: str) -> None:
        """A page's transport key (one of ``PAGE_KEYS``). Called on the server's loop: it must
        only hand the key over to the editor's own thread, never act there."""


@dataclass(frozen=True)
class PageTransport:
    """The transport the pages follow: an editor's, or the page's own when there is no editor."""

    speed: float = 0.0
    """Shuttle speed (negative: backwards); 0 is paused."""
    frame: int = 0
    """The last frame sought to (or where an edit left the playhead)."""

    def message(self, *, seek: bool) -> dict[str, Any]:
        return {"type": "transport", "speed": self.speed, "frame": self.frame, "seek": seek}


class WebHub:
    """Shared state of the browser preview (thread-safe; the clients live on the server loop)."""

    def __init__(
        self, source: StreamSource | None = None, *, following: bool = False, driver: Driver | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._source = source
        self.following = following
        """True when an editor drives the transport (the page says it follows the editor)."""
        self.driver = driver
        """The editor a following page's transport keys go to (``page_key``)."""
        self._transport = PageTransport()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[Page] = set()
        """Open pages (touched on the loop only)."""
        self._last_segments: dict[str, Any] | None = None
        self._segments_job: asyncio.Future[dict[str, Any]] | None = None
        """The segment states being read on a pool thread (shared by everyone who asks meanwhile)."""
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
    def transport(self) -> PageTransport:
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
            self._transport = PageTransport(0.0, frame)
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

    def page_key(self, key: str) -> None:
        """A following page pressed a transport key: the editor acts on it (and the pages follow
        what it does). Unknown keys, and keys when no editor drives the pages, are ignored."""
        driver = self.driver
        if self.following and driver is not None and key in PAGE_KEYS:
            driver.page_key(key)

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

    async def current_segments(self) -> dict[str, Any]:
        """``segments_message`` read off the loop; callers that ask while it is being read share
        that read, so a burst of pages connecting holds one pool thread, not one each."""
        job = self._segments_job
        if job is None or job.done():
            job = self._segments_job = asyncio.ensure_future(asyncio.to_thread(self.segments_message))
        return await asyncio.shield(job)

    async def watch_segments(self) -> None:
        """Send the segment states to every page whenever they change (runs until cancelled)."""
        while True:
            if self.clients:
                message = await self.current_segments()
                if message != self._last_segments:
                    self._last_segments = message
                    self._broadcast(message)
            await asyncio.sleep(SEGMENTS_POLL_SECONDS)
