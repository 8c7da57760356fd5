"""One open page: its stream sessions, flow control, and the messages it sends and receives.

Why a session per page: pages seek independently (a seek outside what a page has buffered starts
a new session for that page only), so each page has its own ``Assembler`` (its own packet cache
and reuse history: after an edit the unchanged prefix is reused, as in the editor's preview) and
its own ``GrowingStream`` with the preview's memory window.

Wire format (one WebSocket): text frames are JSON messages; binary frames are stream bytes,
each prefixed with the 4-byte big-endian id of the session they belong to, so a page drops the
tail of a session it has already left. A ``session`` message always precedes its bytes. A page
sends ``seek`` and ``pos`` (with a ``frame``); a page that follows an editor sends its transport
keys as ``key`` (an editor key id, ``core.web.hub.PAGE_KEYS``) for the editor to act on, and
``follow`` when it follows again after its own keys (it is answered with the transport).

Flow control bounds both ends: the page reports its playhead (``pos``) and the pump holds back
fragments more than ``AHEAD_SECONDS`` ahead of it; the ``GrowingStream`` window then makes the
assembler wait. The page removes what is far behind its playhead.

What a page costs, and how it is given back (``core.web.limits`` says why it matters):

* one thread, its session's assembler: the pump reads the stream without blocking
  (``read_nowait``, woken by the stream's ``on_change``), so no pool thread waits per page;
* restarts are coalesced: a seek or an edit only records the latest wanted start, and one task
  per page starts the session for it, so a burst of 2,000 seeks costs a session or two, not
  2,000 threads;
* the send queue is bounded: the pump waits for room, and a page whose socket takes nothing for
  ``stall_seconds``, or with ``queue_messages`` waiting, is dropped (logged) rather than buffered;
* on close every session is cancelled and its thread awaited (off the loop's back: polled)
  before its assembler closes, so nothing is closed under a running muxer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from fractions import Fraction
from typing import Any

from aiohttp import web

from core.cells.plan import segment_at
from core.preview.seam import StreamSource
from core.stream.assembler import Assembler, StreamSession
from core.stream.bytestream import GrowingStream, StreamReader
from core.stream.window import preview_window_bytes, stream_window
from core.web.hub import WebHub
from core.web.limits import WebLimits

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
"""Largest binary frame sent at once."""
AHEAD_SECONDS = 10
"""Stream time sent ahead of the page's playhead (the browser's forward buffer)."""
QUEUE_FRAMES = 4
"""Messages queued for the socket before the pump waits."""
SETTLE_SECONDS = 0.01
"""A burst of seeks (a page's scrub, a held arrow key, a flood) starts its session once the burst
pauses this long: only the latest seek matters, and a session costs a thread and a stream."""
SETTLE_MAX_SECONDS = 0.1
"""…but never waits longer than this: a scrub that never pauses still shows where it is."""
RELEASE_SECONDS = 10.0
"""How long a closing page waits for its sessions' threads before it logs them as stuck."""
RELEASE_POLL_SECONDS = 0.01


class Client:
    """One page's WebSocket (create and use on the server loop); the hub's ``Page``."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        hub: WebHub,
        limits: WebLimits | None = None,
        transport: asyncio.Transport | None = None,
    ) -> None:
        """``transport`` is the page's connection, aborted when the page is dropped for not reading
        (a close handshake cannot get through a socket that takes nothing)."""
        self.ws = ws
        self.hub = hub
        self.limits = limits or WebLimits()
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self.frame = 0
        """Where the page's playhead is (its ``pos`` messages)."""
        self.sid = 0
        self.sessions_started = 0
        """Stream sessions started for this page (a burst of seeks starts few)."""
        self._assembler: Assembler | None = None
        self._assembler_of: StreamSource | None = None
        self._old_assemblers: list[Assembler] = []
        """Assemblers of an engine no longer served, closed once their sessions stopped."""
        self._session: StreamSession | None = None
        self._stopping: list[StreamSession] = []
        """Cancelled sessions whose threads may still run."""
        self._reader: StreamReader | None = None
        self._pump: asyncio.Task[None] | None = None
        self._out: asyncio.Queue[dict[str, Any] | bytes] = asyncio.Queue()
        self._room = asyncio.Event()
        """Set by the writer each time it takes a message (the pump waits on it for room)."""
        self._moved = asyncio.Event()
        self._want: tuple[int, bool] | None = None
        """The latest restart asked for, (frame, edit), not yet started."""
        self._wanted = asyncio.Event()
        self._closed = False
        self._release: asyncio.Task[None] | None = None
        self._writer = self._loop.create_task(self._write())
        self._starter = self._loop.create_task(self._start_sessions())
        self._window = preview_window_bytes()

    # -- outgoing ----------------------------------------------------------------------------------
    def send_later(self, message: dict[str, Any]) -> None:
        """Queue a JSON message (in order with the stream bytes); a page that lets
        ``queue_messages`` pile up has stopped reading and is dropped."""
        if self._closed:
            return
        if self._out.qsize() >= self.limits.queue_messages:
            self.drop(f"{self._out.qsize()} messages wait for it")
            return
        self._out.put_nowait(message)

    async def _write(self) -> None:
        while True:
            item = await self._out.get()
            self._room.set()
            if self.ws.closed:
                return
            try:
                async with asyncio.timeout(self.limits.stall_seconds):
                    if isinstance(item, bytes):
                        await self.ws.send_bytes(item)
                        self.hub.bytes_sent += len(item) - 4
                    else:
                        await self.ws.send_json(item)
            except TimeoutError:
                self.drop(f"it took nothing for {self.limits.stall_seconds:g} s")
                return
            except (ConnectionError, RuntimeError) as exc:  # the page went away mid-send
                log.info("page connection lost: %s", exc)
                return

    def drop(self, why: str) -> None:
        """Drop a page that stopped reading: release its session and cut its connection."""
        if self._closed:
            return
        log.warning("dropped a page that stopped reading (%s)", why)
        self.close()
        if self._transport is not None:
            self._transport.abort()

    # -- incoming ----------------------------------------------------------------------------------
    def receive(self, text: str) -> None:
        """One text message from the page; anything malformed is logged and ignored."""
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("ignored a malformed page message (not JSON): %.80r", text)
            return
        if not isinstance(message, dict):
            log.warning("ignored a malformed page message (not an object): %.80r", text)
            return
        kind = message.get("type")
        if kind == "key":  # a following page's transport key, for the editor
            key = message.get("key")
            if isinstance(key, str):
                self.hub.page_key(key)
            return
        if kind == "follow":  # the page follows the editor again: where is it?
            self.send_later(self.hub.transport.message(seek=True))
            return
        frame = message.get("frame")
        if kind not in ("seek", "pos") or not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
            log.warning("ignored a malformed page message: %.80r", text)
            return
        if kind == "seek":
            self.restart_later(frame, edit=False)
        else:
            self.frame = frame
            self._moved.set()
            source = self.hub.source
            if source is not None and not self.hub.following:  # an editor owns the engine's playhead
                source.set_playhead(frame)

    # -- sessions ----------------------------------------------------------------------------------
    def restart_later(self, frame: int, *, edit: bool) -> None:
        """A new stream session at ``frame`` (after a far seek, an edit, or on connect).

        Only the latest wish counts: it replaces one not started yet (an edit among them still
        clears the page's buffer), and the page's starter task acts on it."""
        if self._closed:
            return
        pending_edit = self._want is not None and self._want[1]
        self._want = (frame, edit or pending_edit)
        self._wanted.set()

    async def _start_sessions(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            deadline = loop.time() + SETTLE_MAX_SECONDS
            while loop.time() < deadline:  # let a burst of seeks settle: only its last one plays
                await asyncio.sleep(SETTLE_SECONDS)
                if not self._wanted.is_set():
                    break
                self._wanted.clear()
            want, self._want = self._want, None
            if want is not None and not self._closed:
                self._restart(*want)

    def _restart(self, frame: int, edit: bool) -> None:
        self._drop_session()
        source = self.hub.source
        if source is None:
            self.send_later({"type": "status", "text": "no engine is running"})
            return
        segments = source.segments
        timeline = source.timeline
        if self._assembler is None or self._assembler_of is not source:
            if self._assembler is not None:
                self._old_assemblers.append(self._assembler)
            self._assembler, self._assembler_of = Assembler(source.store, source.fps), source
            self._reap()
        self.sid += 1
        duration = timeline.duration
        frame = max(0, min(frame, duration - 1))
        self.frame = frame
        if not segments:
            self.send_later({"type": "session", "id": self.sid, "start": 0, "frame": 0, "duration": 0, "edit": edit})
            return
        index = segment_at(segments, frame)
        if index is None:
            index = len(segments) - 1
        ready = asyncio.Event()
        loop = self._loop

        def wake() -> None:  # on the assembler's thread
            try:
                loop.call_soon_threadsafe(ready.set)
            except RuntimeError:  # the loop closed: nobody reads any more
                pass

        sink = GrowingStream(stream_window(self._window), on_change=wake)
        reader = sink.reader()
        session = self._assembler.session(
            timeline, segments, index, sink, source.resolve, from_frame=frame
        ).start_thread()
        self.sessions_started += 1
        self._session, self._reader = session, reader
        self.send_later(
            {
                "type": "session",
                "id": self.sid,
                "start": session.start_frame,
                "frame": frame,
                "duration": duration,
                "edit": edit,
            }
        )
        self._pump = loop.create_task(self._run_pump(self.sid, session, reader, ready))

    async def _run_pump(self, sid: int, session: StreamSession, reader: StreamReader, ready: asyncio.Event) -> None:
        prefix = struct.pack(">I", sid)
        sent = 0
        fps = Fraction(session.timeline.fps)
        ahead = round(fps * AHEAD_SECONDS)
        while True:
            ready.clear()
            data = reader.read_nowait(CHUNK)
            if data is None:  # nothing yet: the stream's on_change sets ``ready``
                await ready.wait()
                continue
            if not data:
                break
            await self._hold(session, sent, ahead)
            while self._out.qsize() >= QUEUE_FRAMES:
                self._room.clear()
                await self._room.wait()
            if sid != self.sid or self._closed:
                return
            self._out.put_nowait(prefix + data)
            sent += len(data)
        if session.state.done and sid == self.sid:
            self.send_later({"type": "end", "id": sid})

    async def _hold(self, session: StreamSession, offset: int, ahead: int) -> None:
        """Wait while the fragment at byte ``offset`` starts too far ahead of the page."""
        while True:
            fragments = session.state.fragments
            at = None
            for info in reversed(fragments):
                if info.offset <= offset:
                    at = info.at
                    break
            if at is None or at <= self.frame + ahead:
                return
            self._moved.clear()
            try:
                await asyncio.wait_for(self._moved.wait(), 0.5)
            except TimeoutError:
                pass

    def _drop_session(self) -> None:
        """Stop the current session for good: its pump and reader now, its thread soon (it is
        cancelled and its stream aborted; ``_reap`` and ``released`` see it end)."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._session is not None:
            self._session.cancel()
            self._session.sink.abort()
            self._stopping.append(self._session)
            self._session = None
        self._reap()

    def _reap(self) -> None:
        """Forget sessions whose thread ended; close old assemblers none of them still uses."""
        self._stopping = [s for s in self._stopping if s.alive]
        busy = {id(s.assembler) for s in self._stopping}
        for assembler in [a for a in self._old_assemblers if id(a) not in busy]:
            self._old_assemblers.remove(assembler)
            assembler.close()

    @property
    def threads(self) -> int:
        """Session threads of this page still running (the current one and any stopping)."""
        current = 1 if self._session is not None and self._session.alive else 0
        return current + sum(1 for s in self._stopping if s.alive)

    def close(self) -> None:
        """Stop everything of this page (idempotent): no more messages or sessions; its threads
        are awaited and its assemblers closed by a task (``released`` waits for it)."""
        if self._closed:
            return
        self._closed = True
        self._want = None
        self._starter.cancel()
        self._writer.cancel()
        self._drop_session()
        if self._assembler is not None:
            self._old_assemblers.append(self._assembler)
            self._assembler = self._assembler_of = None
        while not self._out.empty():  # the queued stream bytes
            self._out.get_nowait()
        self._release = self._loop.create_task(self._released())

    async def _released(self) -> None:
        deadline = self._loop.time() + RELEASE_SECONDS
        while self._stopping and self._loop.time() < deadline:
            await asyncio.sleep(RELEASE_POLL_SECONDS)
            self._reap()
        if self._stopping:
            log.error("%d stream session thread(s) of a closed page did not stop", len(self._stopping))
        for assembler in self._old_assemblers:
            assembler.close()
        self._old_assemblers.clear()

    async def released(self) -> None:
        """Wait until ``close`` has released everything (every session thread ended)."""
        if self._release is not None:
            await asyncio.shield(self._release)

    async def disconnect(self) -> None:
        self.close()
        try:
            async with asyncio.timeout(self.limits.stall_seconds):
                await self.ws.close()
        except TimeoutError:
            if self._transport is not None:
                self._transport.abort()
        await self.released()
