"""The ``livecut://`` stream protocol that feeds ``GrowingStream`` sessions to libmpv.

Why it is shaped so:

* **The stream is fed, not opened.** Sessions come from the stream assembler as ``GrowingStream``
  objects. Each ``Player.load`` gets a unique ``livecut://<n>`` URL served by this protocol, which
  we register with ctypes ourselves: python-mpv's ``register_stream_protocol`` copies every byte
  in a Python loop (≈12 ms per 64 KiB), which would cap the preview at a few MB/s. Here ``read``
  blocks inside ``StreamReader.read`` (which releases the GIL while waiting) and copies with one
  ``memmove``.
* **Non-seekable on purpose.** The stream has a blocking ``read`` and no ``seek``: a seekable
  growing stream makes libmpv jump to the end and stall. libmpv's demuxer cache makes everything
  received seekable instead (see ``core.player.seek``).
* **Replacing a session closes its readers**, so no libmpv thread stays blocked in ``read`` on a
  stream nobody feeds any more.
* **Bookkeeping only.** Every callback runs on a libmpv thread and must never call libmpv, so the
  protocol just records which readers a ``PlayerSession`` has and whether one of them is blocked,
  and reports blocking changes to ``on_state``; the player decides what they mean.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpv

from core.player.events import PlayerError
from core.stream.bytestream import GrowingStream, StreamReader

logger = logging.getLogger(__name__)

PROTOCOL = "livecut"
"""URL scheme of the sessions served to libmpv."""

_READ_CHUNK = 1 << 20
_MPV_ERROR_LOADING_FAILED = -13


@dataclass
class PlayerSession:
    """One loaded stream: its URL, the readers libmpv opened on it, its waiting state."""

    number: int
    """Makes the URL unique for the life of the player."""
    stream: GrowingStream
    """The bytes served to libmpv."""
    offset: float
    """Timeline seconds added to the stream's own timestamps."""
    readers: list[StreamReader]
    """Readers libmpv currently holds open on ``stream``."""
    blocked: bool = False
    """True while one of the readers waits for bytes."""
    blocked_since: float = 0.0
    """``time.monotonic()`` when it started waiting."""
    entry_id: int | None = None
    """libmpv's playlist entry id, once ``loadfile`` answered."""
    opened: bool = False
    """True once libmpv opened the URL."""

    @property
    def url(self) -> str:
        """The URL libmpv loads this session from."""
        return f"{PROTOCOL}://{self.number}"


class StreamProtocol:
    """libmpv's ``mpv_stream_cb`` for ``livecut://`` URLs, written with ctypes.

    All callbacks run on libmpv threads and must never call libmpv. ``read`` blocks inside
    ``StreamReader.read`` (which releases the GIL while waiting) and copies with ``memmove``.
    """

    def __init__(self, on_state: Callable[[PlayerSession], None]) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, PlayerSession] = {}
        self._readers: dict[int, tuple[PlayerSession, StreamReader]] = {}
        self._cookies = itertools.count(1)
        self._on_state = on_state
        # The CFUNCTYPE objects must stay alive as long as the mpv core.
        self._open_fn = mpv.StreamOpenFn(self._open)
        self._read_fn = mpv.StreamReadFn(self._read)
        self._close_fn = mpv.StreamCloseFn(self._close)
        self._cancel_fn = mpv.StreamCancelFn(self._cancel)

    def register(self, handle: mpv.MPV) -> None:
        add = mpv.backend["mpv_stream_cb_add_ro"]
        add.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, mpv.StreamOpenFn]
        add.restype = ctypes.c_int
        code = add(handle.handle, PROTOCOL.encode("ascii"), None, self._open_fn)
        if code < 0:
            raise PlayerError(f"libmpv refused the {PROTOCOL}:// stream protocol (error {code})")

    def add(self, session: PlayerSession) -> None:
        """Serve ``session`` at its URL."""
        with self._lock:
            self._sessions[session.url] = session

    def drop(self, session: PlayerSession) -> None:
        """Stop serving ``session`` and close every reader libmpv opened on it (unblocks its
        threads)."""
        with self._lock:
            known = self._sessions.pop(session.url, None)
        if known is not None:
            for reader in list(known.readers):
                reader.close()

    def close_all(self) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
            readers = [reader for _, reader in self._readers.values()]
        for session in sessions:
            self.drop(session)
        for reader in readers:
            reader.close()

    # --- callbacks (libmpv threads) ------------------------------------------------------------

    def _open(self, _userdata: Any, uri: bytes, info: Any) -> int:
        try:
            url = uri.decode("utf-8")
            with self._lock:
                session = self._sessions.get(url)
                if session is None:
                    return _MPV_ERROR_LOADING_FAILED
                cookie = next(self._cookies)
                reader = session.stream.reader(on_wait=lambda: self._set_blocked(session, True))
                session.readers.append(reader)
                session.opened = True
                self._readers[cookie] = (session, reader)
            contents = info.contents
            contents.cookie = cookie
            contents.read = self._read_fn
            contents.close = self._close_fn
            contents.cancel = self._cancel_fn
            return 0
        except Exception:
            logger.exception("opening %s failed", uri)
            return _MPV_ERROR_LOADING_FAILED

    def _read(self, cookie: int | None, buf: Any, nbytes: int) -> int:
        try:
            with self._lock:
                entry = self._readers.get(cookie or 0)
            if entry is None:
                return -1
            session, reader = entry
            data = reader.read(min(int(nbytes), _READ_CHUNK))
            if data:
                ctypes.memmove(buf, data, len(data))
                if session.blocked:
                    self._set_blocked(session, False)
            return len(data)
        except Exception:
            logger.exception("reading the preview stream failed")
            return -1

    def _set_blocked(self, session: PlayerSession, blocked: bool) -> None:
        if blocked and not session.blocked:
            session.blocked_since = time.monotonic()
        session.blocked = blocked
        self._on_state(session)

    def _close(self, cookie: int | None) -> None:
        with self._lock:
            entry = self._readers.pop(cookie or 0, None)
        if entry is not None:
            session, reader = entry
            reader.close()
            if reader in session.readers:
                session.readers.remove(reader)

    def _cancel(self, cookie: int | None) -> None:
        with self._lock:
            entry = self._readers.get(cookie or 0)
        if entry is not None:
            entry[1].close()
