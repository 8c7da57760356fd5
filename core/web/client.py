"""One open page: its stream sessions, flow control, and the messages it sends and receives.

Why a session per page: pages seek independently (a seek outside what a page has buffered starts
a new session for that page only), so each page has its own ``Assembler`` (its own packet cache
and reuse history: after an edit the unchanged prefix is reused, as in the editor's preview) and
its own ``GrowingStream`` with the preview's memory window.

Wire format (one WebSocket): text frames are JSON messages; binary frames are stream bytes,
each prefixed with the 4-byte big-endian id of the session they belong to, so a page drops the
tail of a session it has already left. A ``session`` message always precedes its bytes.

Flow control bounds both ends: the page reports its playhead (``pos``) and the pump holds back
fragments more than ``AHEAD_SECONDS`` ahead of it; the ``GrowingStream`` window then makes the
assembler wait. The page removes what is far behind its playhead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
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

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
"""Largest binary frame sent at once."""
AHEAD_SECONDS = 10
"""Stream time sent ahead of the page's playhead (the browser's forward buffer)."""
QUEUE_FRAMES = 4
"""Binary frames queued for the socket before the pump waits."""


class Client:
    """One page's WebSocket (create and use on the server loop); the hub's ``Page``."""

    def __init__(self, ws: web.WebSocketResponse, hub: WebHub, executor: concurrent.futures.Executor) -> None:
        self.ws = ws
        self.hub = hub
        self.executor = executor
        self.frame = 0
        """Where the page's playhead is (its ``pos`` messages)."""
        self.sid = 0
        self._assembler: Assembler | None = None
        self._assembler_of: StreamSource | None = None
        self._session: StreamSession | None = None
        self._reader: StreamReader | None = None
        self._pump: asyncio.Task[None] | None = None
        self._out: asyncio.Queue[dict[str, Any] | bytes | None] = asyncio.Queue()
        self._moved = asyncio.Event()
        self._writer = asyncio.get_running_loop().create_task(self._write())
        self._window = preview_window_bytes()

    # -- outgoing ----------------------------------------------------------------------------------
    def send_later(self, message: dict[str, Any]) -> None:
        """Queue a JSON message (in order with the stream bytes)."""
        self._out.put_nowait(message)

    async def _write(self) -> None:
        while True:
            item = await self._out.get()
            if item is None or self.ws.closed:
                return
            try:
                if isinstance(item, bytes):
                    await self.ws.send_bytes(item)
                    self.hub.bytes_sent += len(item) - 4
                else:
                    await self.ws.send_json(item)
            except (ConnectionError, RuntimeError) as exc:  # the page went away mid-send
                log.info("page connection lost: %s", exc)
                return

    # -- incoming ----------------------------------------------------------------------------------
    def receive(self, text: str) -> None:
        """One text message from the page; anything malformed is logged and ignored."""
        import json

        try:
            message = json.loads(text)
        except ValueError:
            log.warning("ignored a malformed page message (not JSON): %.80r", text)
            return
        if not isinstance(message, dict):
            log.warning("ignored a malformed page message (not an object): %.80r", text)
            return
        kind = message.get("type")
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
        """A new stream session at ``frame`` (after a far seek, an edit, or on connect)."""
        self._drop()
        source = self.hub.source
        if source is None:
            self.send_later({"type": "status", "text": "no engine is running"})
            return
        segments = source.segments
        timeline = source.timeline
        if self._assembler is None or self._assembler_of is not source:
            if self._assembler is not None:
                self._assembler.close()
            self._assembler, self._assembler_of = Assembler(source.store, source.fps), source
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
        sink = GrowingStream(stream_window(self._window))
        session = self._assembler.session(
            timeline, segments, index, sink, source.resolve, from_frame=frame
        ).start_thread()
        self._session, self._reader = session, sink.reader()
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
        self._pump = asyncio.get_running_loop().create_task(self._run_pump(self.sid, session, self._reader))

    async def _run_pump(self, sid: int, session: StreamSession, reader: StreamReader) -> None:
        loop = asyncio.get_running_loop()
        prefix = struct.pack(">I", sid)
        sent = 0
        fps = Fraction(session.timeline.fps)
        ahead = round(fps * AHEAD_SECONDS)
        while True:
            data = await loop.run_in_executor(self.executor, reader.read, CHUNK)
            if not data:
                break
            await self._hold(session, sent, ahead)
            while self._out.qsize() >= QUEUE_FRAMES:
                await asyncio.sleep(0.005)
            if sid != self.sid:
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

    def _drop(self) -> None:
        """Stop the current session for good (its pump, reader and assembler thread)."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._session is not None:
            self._session.cancel()
            self._session.sink.abort()
            self._session = None

    def close(self) -> None:
        self._drop()
        self._out.put_nowait(None)
        if self._assembler is not None:
            self._assembler.close()
            self._assembler = None

    async def disconnect(self) -> None:
        self.close()
        await self.ws.close()
