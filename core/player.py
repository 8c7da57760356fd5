"""A typed facade over one libmpv handle that plays a growing fragmented-MP4 stream.

Why it is shaped so:

* **One handle, one owner.** libmpv is expensive to create and python-mpv's handle is untyped and
  thread-hostile at shutdown, so ``Player`` wraps exactly one ``mpv.MPV`` for its whole life. The
  thread that creates it owns it and must ``close()`` it (terminating from another thread, or
  leaving it to the garbage collector, can deadlock python-mpv's event thread).
* **The stream is fed, not opened.** Sessions come from the stream assembler as ``GrowingStream``
  objects. Each ``load`` gets a unique ``livecut://<n>`` URL served by a stream protocol that we
  register with ctypes ourselves: python-mpv's ``register_stream_protocol`` copies every byte in
  a Python loop (≈12 ms per 64 KiB), which would cap the preview at a few MB/s. The stream is
  **non-seekable** with a blocking ``read`` (a seekable growing stream makes libmpv jump to the
  end and stall); libmpv's demuxer cache (``cache=yes``, ``force-seekable=yes``, a large
  back-buffer) makes everything received seekable. Replacing a session closes the old reader, so
  no libmpv thread stays blocked in ``read``.
* **Seeks stay inside the received data.** On a non-seekable stream a seek past libmpv's cache
  makes it read forward and *discard* the skipped bytes, which then can never be sought back to.
  So a seek is issued only once its target is cached; until then it is pending (``seeking``,
  then ``Waiting``), which also makes "seek right after load" and "seek into the fragment that
  is still being encoded" just work. A seek thread polls the cache state because libmpv
  publishes its changes only every 250 ms.
* **Events, not polling.** Observers run on python-mpv's event thread, so they only translate
  property changes into small frozen dataclasses (``Position``, ``Waiting``, ``Paused``,
  ``Ended``, ``Speed``, ``Error``) handed to one ``on_event`` callback, and never call libmpv
  (``terminate()`` may be tearing the handle down meanwhile: that segfaults). The TUI turns
  events into Textual messages; nothing here knows about widgets.
* **Frames off the event thread.** In ``frames`` mode a small render thread, woken by libmpv's
  update callback, renders RGB frames with ``SoftwareRenderer`` and hands them to ``on_frame``.
* **Seconds at the edge, frames for the engine.** libmpv speaks float seconds; ``seek_frame`` and
  ``position_frame`` convert with the project's ``Fraction`` fps. A session can start at any
  timeline time (``start_offset_seconds``): positions and seeks are in timeline seconds.
* **Reverse shuttle is emulated.** libmpv cannot play backwards smoothly, so negative speeds pause
  playback and a shuttle thread issues exact backward seeks paced by the wall clock; the preview
  is all-intra, so each seek decodes a single frame.
"""

from __future__ import annotations

import ctypes
import itertools
import locale
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from types import TracebackType
from typing import Any, Literal

import mpv
import numpy as np

from core.bytestream import GrowingStream, StreamReader
from core.errors import LivecutError
from core.mpv_render import RenderError, SoftwareRenderer, mpv_error_string

logger = logging.getLogger(__name__)

VideoOutput = Literal["window", "frames", "null"]
"""``window``: libmpv's own window; ``frames``: RGB frames to ``on_frame``; ``null``: none."""

PROTOCOL = "livecut"
"""URL scheme of the sessions served to libmpv."""

MAX_SPEED = 4.0
"""Largest shuttle speed, forwards and backwards."""

_READ_CHUNK = 1 << 20
_WAITING_AFTER = 0.15  # seconds a block or a pending seek lasts before it is reported as waiting
_MPV_ERROR_LOADING_FAILED = -13
_MPV_LOG_LEVELS = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "v": logging.DEBUG,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
}


_EXPECTED_MPV_WARNINGS = frozenset(
    # Our streams are non-seekable on purpose; force-seekable makes the cache seekable.
    {"Not seekable, but enabling seeking on user request."}
)


class PlayerError(LivecutError):
    """libmpv could not be started or refused a command."""


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """The playhead moved."""

    seconds: float
    """Timeline time of the displayed frame (stream time + the session's start offset)."""


@dataclass(frozen=True)
class Waiting:
    """Playback is (or stopped being) held up because the stream has no data yet."""

    waiting: bool
    """True while libmpv waits for bytes that the assembler has not produced yet."""


@dataclass(frozen=True)
class Paused:
    """The pause state changed (by a command, or libmpv pausing at the end)."""

    paused: bool
    """True when playback is paused."""


@dataclass(frozen=True)
class Ended:
    """Playback reached the end of a finished stream (the last frame stays on screen)."""


@dataclass(frozen=True)
class Speed:
    """The shuttle speed changed."""

    x: float
    """Signed speed: 1.0 normal, negative for reverse shuttle, 0.0 when stopped."""


@dataclass(frozen=True)
class Error:
    """libmpv failed to play the stream; the player itself stays usable."""

    message: str
    """One sentence for the user."""


PlayerEvent = Position | Waiting | Paused | Ended | Speed | Error


def detect_display() -> bool:
    """True when a graphical display is reachable locally (X11 or Wayland, and not over SSH)."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    over_ssh = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
    return has_display and not over_ssh


# --- stream protocol ---------------------------------------------------------------------------


@dataclass
class _Session:
    """One loaded stream: its URL, the readers libmpv opened on it, its waiting state."""

    number: int
    stream: GrowingStream
    offset: float
    readers: list[StreamReader]
    blocked: bool = False
    blocked_since: float = 0.0
    entry_id: int | None = None
    opened: bool = False


class _StreamProtocol:
    """libmpv's ``mpv_stream_cb`` for ``livecut://`` URLs, written with ctypes.

    All callbacks run on libmpv threads and must never call libmpv. ``read`` blocks inside
    ``StreamReader.read`` (which releases the GIL while waiting) and copies with ``memmove``.
    """

    def __init__(self, on_state: Callable[[_Session], None]) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._readers: dict[int, tuple[_Session, StreamReader]] = {}
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

    def add(self, url: str, session: _Session) -> None:
        with self._lock:
            self._sessions[url] = session

    def drop(self, url: str) -> None:
        """Forget ``url`` and close every reader libmpv opened on it (unblocks its threads)."""
        with self._lock:
            session = self._sessions.pop(url, None)
        if session is not None:
            for reader in list(session.readers):
                reader.close()

    def close_all(self) -> None:
        with self._lock:
            urls = list(self._sessions)
            readers = [reader for _, reader in self._readers.values()]
        for url in urls:
            self.drop(url)
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

    def _set_blocked(self, session: _Session, blocked: bool) -> None:
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


# --- seeking inside the received data ----------------------------------------------------------


@dataclass(frozen=True)
class _PendingSeek:
    """A seek waiting for the file to open or for its target to reach libmpv's cache."""

    seconds: float
    """Target in stream seconds."""
    exact: bool
    """Exact (hr-seek) or keyframe seek."""
    since: float
    """``time.monotonic()`` when it was requested."""


_WAIT = None


def _resolve_seek(target: float, cache_state: Any) -> float | None:
    """Where to seek for ``target`` given libmpv's ``demuxer-cache-state``; ``None``: not yet.

    A seek outside the cached ranges makes libmpv read forward and *discard* the bytes it skips
    on a non-seekable stream, so the skipped part could never be sought back to. We only seek
    inside a cached range; past its end we wait for the data (or clamp to the last frame once
    the stream is fully cached). Raises ``PlayerError`` for a target whose data is gone.
    """
    if not isinstance(cache_state, dict):
        return _WAIT
    ranges = sorted(
        (float(r["start"]), float(r["end"])) for r in cache_state.get("seekable-ranges") or [] if isinstance(r, dict)
    )
    if not ranges:
        return _WAIT
    for start, end in ranges:
        if start - 1e-3 <= target <= end + 1e-3:
            return target
    first, last = ranges[0][0], ranges[-1][1]
    if target > last:
        return last if cache_state.get("eof-cached") else _WAIT
    if target < first and cache_state.get("bof-cached"):
        return first
    raise PlayerError("that position is no longer held by the player: start a new stream session there")


# --- the player --------------------------------------------------------------------------------


class Player:
    """Plays ``GrowingStream`` sessions with libmpv; see the module docstring for the contract.

    ``on_event`` and ``on_frame`` are called from libmpv's and the player's own threads: keep
    them quick and thread-safe (post a message, set a flag). Every other method is meant for the
    owning thread, although libmpv commands are safe from any thread.
    """

    def __init__(
        self,
        *,
        vo: VideoOutput = "null",
        audio: bool = True,
        frame_size: tuple[int, int] = (320, 180),
        on_frame: Callable[[np.ndarray], None] | None = None,
        on_event: Callable[[PlayerEvent], None] | None = None,
        cache_pause_wait: float = 0.2,
        cache_bytes: int = 512 * 1024 * 1024,
        decoder_threads: int = 1,
    ) -> None:
        """Start libmpv.

        ``audio=False`` uses ``ao=null``; with ``audio=True`` libmpv falls back to ``null`` when
        there is no audio device. ``frame_size`` is the (width, height) rendered in ``frames``
        mode. ``cache_pause_wait`` is how many seconds of new data libmpv buffers before resuming
        after it ran dry (lower: faster resume, more stutter). ``cache_bytes`` bounds libmpv's
        demuxer cache forwards and backwards: what it holds is what can be sought to.
        ``decoder_threads`` (0: automatic) trades decode speed for latency: every extra frame
        thread holds one more of the newest frames back at the edge of a growing stream.
        """
        if vo not in ("window", "frames", "null"):
            raise ValueError(f"unknown video output {vo!r}")
        if vo == "window" and not detect_display():
            raise PlayerError("no graphical display is available for a video window")
        self._check_size(frame_size)
        self._owner = threading.get_ident()
        self._on_event = on_event
        self._on_frame = on_frame
        self._frame_size = frame_size
        self._closed = False
        self._speed = 1.0
        self._shuttle: _Shuttle | None = None
        self._session_numbers = itertools.count(1)
        # State shared with libmpv's threads, guarded by _lock (never held while calling libmpv).
        self._lock = threading.Lock()
        self._session: _Session | None = None
        self._live = False  # the current session's file is open in libmpv
        self._loading = False  # ... and has not shown its first frame yet
        self._paused_for_cache = False
        self._eof = False
        self._waiting = False
        self._pending_seek: _PendingSeek | None = None
        self._last_time_pos: float | None = None
        # Seeks are resolved and issued under _seek_lock, by the caller or by the seek thread.
        self._seek_lock = threading.Lock()
        self._seek_wake = threading.Condition(self._lock)
        self._protocol = _StreamProtocol(self._on_stream_state)

        options: dict[str, str] = {
            "idle": "yes",
            "keep_open": "yes",
            "cache": "yes",
            "force_seekable": "yes",
            "demuxer_max_bytes": str(cache_bytes),
            "demuxer_max_back_bytes": str(cache_bytes),
            "cache_pause": "yes",
            "cache_pause_wait": f"{cache_pause_wait:.3f}",
            # Straight to libavformat's mp4 demuxer: mpv's own probing peeks ~2 KiB first and
            # would block on a young stream that holds less than that.
            "demuxer": "lavf",
            "demuxer_lavf_format": "mp4",
            "vd_lavc_threads": str(decoder_threads),
            "rebase_start_time": "no",
            "hr_seek": "yes",
            "hwdec": "no",
            "input_default_bindings": "no",
            "input_vo_keyboard": "no",
            "osc": "no",
            "osd_level": "0",
            "terminal": "no",
            "config": "no",
            "audio_fallback_to_null": "yes",
            "title": "livecut preview",
        }
        if not audio:
            options["ao"] = "null"
        if vo == "null":
            options["vo"] = "null"
        elif vo == "frames":
            options["vo"] = "libmpv"
        else:
            options["force_window"] = "yes"

        # python-mpv (and libmpv's option parser) need the C numeric locale.
        locale.setlocale(locale.LC_NUMERIC, "C")
        try:
            self._mpv = mpv.MPV(log_handler=self._log, loglevel="warn", **options)
        except Exception as exc:
            raise PlayerError(f"libmpv could not start: {exc}") from exc

        self._renderer: SoftwareRenderer | None = None
        self._render_wake = threading.Event()
        self._threads: list[threading.Thread] = []
        try:
            self._protocol.register(self._mpv)
            if vo == "frames":
                self._renderer = SoftwareRenderer(self._mpv, pixel_format="rgb0")
                self._renderer.set_update_callback(self._render_wake.set)
                self._start_thread(self._render_loop, "livecut-render")
            self._start_thread(self._seek_loop, "livecut-seek")
            self._mpv.observe_property("time-pos", self._observe_time)
            self._mpv.observe_property("pause", self._observe_pause)
            self._mpv.observe_property("paused-for-cache", self._observe_cache)
            self._mpv.observe_property("eof-reached", self._observe_eof)
            self._mpv.event_callback("start-file", "file-loaded", "end-file", "playback-restart")(self._on_mpv_event)
        except Exception:
            self._shutdown()
            raise

    # --- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop playback and terminate libmpv; must run on the thread that created the player.
        Idempotent."""
        if self._closed:
            return
        if threading.get_ident() != self._owner:
            raise PlayerError("the player must be closed by the thread that created it")
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._seek_wake.notify_all()
        self._stop_shuttle()
        self._protocol.close_all()  # unblock libmpv threads waiting in read()
        self._render_wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._renderer is not None:
            self._renderer.free()  # before terminate(), as libmpv requires
        self._mpv.terminate()

    def __enter__(self) -> Player:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- feeding -------------------------------------------------------------------------------

    def load(
        self,
        stream: GrowingStream,
        *,
        start_offset_seconds: float = 0.0,
        start_seconds: float | None = None,
    ) -> None:
        """Play ``stream``, replacing the current session.

        Positions and seeks are in timeline seconds: the stream's own timestamps (libmpv does not
        rebase them to 0) plus ``start_offset_seconds``. A session whose timestamps start at 0
        passes the timeline time of its first frame; one written in timeline time passes 0.
        ``start_seconds`` (timeline) seeks there as soon as the data is in. The pause state is
        kept: a paused player shows the first frame and stays paused.
        """
        self._require_open()
        self._stop_shuttle()
        number = next(self._session_numbers)
        url = f"{PROTOCOL}://{number}"
        session = _Session(number, stream, float(start_offset_seconds), [])
        with self._lock:
            old = self._session
            self._session = session
            self._live = False
            self._loading = True
            self._paused_for_cache = False
            self._eof = False
            self._pending_seek = None
        self._protocol.add(url, session)
        try:
            result = self._mpv.command("loadfile", url, "replace")
            if isinstance(result, dict) and isinstance(result.get("playlist_entry_id"), int):
                session.entry_id = result["playlist_entry_id"]
        except Exception as exc:
            raise PlayerError(f"libmpv could not load the preview stream: {exc}") from exc
        finally:
            if old is not None:
                self._protocol.drop(f"{PROTOCOL}://{old.number}")
        if start_seconds is not None:
            self.seek(start_seconds)
        self._update_waiting()

    # --- transport -----------------------------------------------------------------------------

    def play(self) -> None:
        """Resume playback forwards at the last forward speed."""
        self._require_open()
        if self._stop_shuttle(announce=False):
            self._speed = float(self._mpv.speed or 1.0)
            self._emit(Speed(self._speed))
        self._mpv.pause = False  # libmpv reports Paused(False)

    def pause(self) -> None:
        """Pause (also stops a reverse shuttle)."""
        self._require_open()
        self._stop_shuttle()
        self._mpv.pause = True

    def toggle_pause(self) -> None:
        """Pause when playing, play when paused."""
        if self.paused:
            self.play()
        else:
            self.pause()

    def seek(self, seconds: float, *, exact: bool = True) -> None:
        """Jump to timeline time ``seconds`` (``exact=False``: nearest keyframe before it).

        A target the stream has not delivered yet is kept pending — ``seeking`` stays True and
        ``Waiting(True)`` is reported if it lasts — until its fragment arrives; a newer seek
        replaces it. Raises ``PlayerError`` when the target's data was already dropped from
        libmpv's cache: start a new session there.
        """
        self._require_open()
        self._stop_shuttle()
        self._request_seek(seconds - self._offset(), exact)

    def seek_frame(self, frame: int, fps: Fraction) -> None:
        """Jump exactly to timeline frame ``frame`` at ``fps``."""
        self.seek(float(Fraction(frame) / Fraction(fps)), exact=True)

    def frame_step(self) -> None:
        """Show the next frame and pause."""
        self._require_open()
        self._stop_shuttle()
        self._cancel_pending_seek()
        self._command("frame-step")

    def frame_back_step(self) -> None:
        """Show the previous frame and pause."""
        self._require_open()
        self._stop_shuttle()
        self._cancel_pending_seek()
        self._command("frame-back-step")

    def set_speed(self, x: float) -> None:
        """J/K/L shuttle: ``0`` pauses, positive plays forwards at ``x``, negative plays
        backwards (emulated with paced exact seeks). ``|x|`` is clamped to ``MAX_SPEED``."""
        self._require_open()
        x = max(-MAX_SPEED, min(MAX_SPEED, float(x)))
        was_reversing = self._stop_shuttle(announce=False)
        self._speed = x
        if x == 0:
            self._mpv.pause = True
            if was_reversing:
                self._emit(Paused(True))
        elif x > 0:
            self._mpv.speed = x
            self._mpv.pause = False  # libmpv reports Paused(False) if it was paused
        else:
            self._cancel_pending_seek()
            start = self._mpv.time_pos
            if start is None:
                self._mpv.pause = True
            else:
                shuttle = _Shuttle(self, float(start), -x)
                with self._lock:
                    self._shuttle = shuttle  # first, so the pause observer stays quiet
                self._mpv.pause = True
                shuttle.start()
                if not was_reversing:
                    self._emit(Paused(False))
        self._emit(Speed(x))

    def set_frame_size(self, width: int, height: int) -> None:
        """Size of the frames delivered in ``frames`` mode from the next frame on (a paused
        player re-renders at once)."""
        self._check_size((width, height))
        self._frame_size = (width, height)
        self._render_wake.set()

    # --- state ---------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        """True while paused (a reverse shuttle counts as playing)."""
        self._require_open()
        if self._shuttle is not None:
            return False
        return bool(self._mpv.pause)

    @property
    def speed(self) -> float:
        """Signed shuttle speed last set (``1.0`` at start)."""
        return self._speed

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames delivered in ``frames`` mode."""
        return self._frame_size

    @property
    def position(self) -> float | None:
        """Timeline seconds of the displayed frame (the target while seeking), or None."""
        self._require_open()
        pos = self._mpv.time_pos
        if pos is None:
            return None
        return float(pos) + self._offset()

    def position_frame(self, fps: Fraction) -> int | None:
        """Timeline frame index of the displayed frame at ``fps``."""
        pos = self.position
        if pos is None:
            return None
        return round(Fraction(pos) * Fraction(fps))

    @property
    def seeking(self) -> bool:
        """True while a seek is pending or running (``position`` then reports the target)."""
        self._require_open()
        return self._pending_seek is not None or bool(self._mpv.seeking)

    @property
    def waiting(self) -> bool:
        """True while playback or a seek waits for stream data."""
        return self._waiting

    @property
    def ended(self) -> bool:
        """True when playback sits at the end of a finished stream."""
        self._require_open()
        return bool(self._live and self._mpv.eof_reached)

    def seekable_range(self) -> tuple[float, float] | None:
        """Timeline seconds (first, last) that can be sought to without new data, or None."""
        self._require_open()
        state = self._mpv.demuxer_cache_state
        if not isinstance(state, dict) or not state.get("seekable-ranges"):
            return None
        ranges = [(float(r["start"]), float(r["end"])) for r in state["seekable-ranges"]]
        offset = self._offset()
        return min(r[0] for r in ranges) + offset, max(r[1] for r in ranges) + offset

    # --- internals: commands and seeks -----------------------------------------------------------

    def _require_open(self) -> None:
        if self._closed:
            raise PlayerError("the player was already closed")

    @staticmethod
    def _check_size(size: tuple[int, int]) -> None:
        width, height = size
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _offset(self) -> float:
        session = self._session
        return session.offset if session is not None else 0.0

    def _command(self, *args: str) -> None:
        """Run a playback command; a no-op until the current session's file is open."""
        if not self._live:
            return
        try:
            self._mpv.command(*args)
        except Exception as exc:
            raise PlayerError(f"libmpv refused {args[0]}: {exc}") from exc

    def _request_seek(self, stream_seconds: float, exact: bool) -> None:
        """Queue a seek and issue it at once if its target is cached (any thread)."""
        with self._seek_lock:
            with self._lock:
                if self._session is None:
                    return
                self._pending_seek = _PendingSeek(max(0.0, stream_seconds), exact, time.monotonic())
                self._seek_wake.notify_all()
            self._apply_pending_seek()
        self._update_waiting()

    def _cancel_pending_seek(self) -> None:
        with self._seek_lock, self._lock:
            self._pending_seek = None
        self._update_waiting()

    def _apply_pending_seek(self) -> bool:
        """Issue the pending seek if libmpv can serve it now; ``_seek_lock`` must be held.

        True when nothing is left pending. Raises ``PlayerError`` for an unreachable target.
        """
        with self._lock:
            pending = self._pending_seek
            if pending is None:
                return True
            if not self._live:
                return False
        try:
            target = _resolve_seek(pending.seconds, self._mpv.demuxer_cache_state)
        except PlayerError:
            with self._lock:
                self._pending_seek = None
            raise
        if target is _WAIT:
            return False
        with self._lock:
            self._pending_seek = None
        mode = "absolute+exact" if pending.exact else "absolute+keyframes"
        self._command("seek", f"{target:.6f}", mode)
        return True

    def _seek_loop(self) -> None:
        """Seek thread: retries a pending seek until its data is cached (polling, because
        libmpv publishes ``demuxer-cache-state`` changes only every 250 ms)."""
        delay = 0.005
        while True:
            with self._lock:
                while self._pending_seek is None and not self._closed:
                    self._seek_wake.wait()
                    delay = 0.005
                if self._closed:
                    return
            try:
                with self._seek_lock:
                    done = self._apply_pending_seek()
            except PlayerError as exc:
                self._emit(Error(str(exc)))
                done = True
            self._update_waiting()
            if not done:
                with self._lock:
                    if not self._closed:
                        self._seek_wake.wait(delay)
                delay = min(delay * 2, 0.05)

    def _stop_shuttle(self, *, announce: bool = True) -> bool:
        """Stop a reverse shuttle; True if one ran. libmpv is paused under a shuttle, so that
        is reported unless the caller reports the new state itself."""
        with self._lock:
            shuttle, self._shuttle = self._shuttle, None
        if shuttle is None:
            return False
        shuttle.stop()
        if announce:
            self._emit(Paused(True))
        return True

    def _shuttle_finished(self, shuttle: _Shuttle) -> None:
        """Called by the shuttle thread when it reached the start (or lost its data)."""
        with self._lock:
            if self._shuttle is not shuttle:
                return
            self._shuttle = None
        self._speed = 0.0
        self._emit(Speed(0.0))
        self._emit(Paused(True))

    # --- internals: events (libmpv and player threads) -------------------------------------------

    def _emit(self, event: PlayerEvent) -> None:
        callback = self._on_event
        if callback is None or self._closed:
            return
        try:
            callback(event)
        except Exception:
            logger.exception("player event callback failed on %r", event)

    def _log(self, level: str, prefix: str, text: str) -> None:
        message = text.rstrip()
        severity = _MPV_LOG_LEVELS.get(level, logging.INFO)
        if message in _EXPECTED_MPV_WARNINGS or self._closed:
            severity = logging.DEBUG  # expected, or a stream cut short by close()
        logger.log(severity, "mpv[%s] %s", prefix, message)

    def _observe_time(self, _name: str, value: Any) -> None:
        with self._lock:
            self._last_time_pos = None if value is None else float(value)
            live = self._live
        if value is not None and live:
            self._emit(Position(float(value) + self._offset()))

    def _observe_pause(self, _name: str, value: Any) -> None:
        if value is None or self._shuttle is not None:
            return
        self._emit(Paused(bool(value)))

    def _observe_cache(self, _name: str, value: Any) -> None:
        with self._lock:
            self._paused_for_cache = bool(value)
        self._update_waiting()

    def _observe_eof(self, _name: str, value: Any) -> None:
        with self._lock:
            ended = bool(value) and self._live and not self._eof
            self._eof = bool(value)
        if ended:
            self._emit(Ended())

    def _on_mpv_event(self, event: Any) -> None:
        eid = event.event_id.value
        if eid == mpv.MpvEventID.FILE_LOADED:
            with self._lock:
                # A late event of a replaced file must not revive it: only the file libmpv opened
                # for the current session counts.
                self._live = self._session is not None and self._session.opened
                self._seek_wake.notify_all()
        elif eid == mpv.MpvEventID.START_FILE:
            with self._lock:
                self._last_time_pos = None  # later values belong to the file now starting
        elif eid == mpv.MpvEventID.PLAYBACK_RESTART:
            # First frame shown (after a load or a seek). After a load, report where: the
            # time-pos change that came before file-loaded was held back. Only the value observed
            # since start-file is used, and libmpv is never called from here (terminate() may be
            # tearing the handle down).
            with self._lock:
                first = self._loading
                self._loading = False
                pos = self._last_time_pos if first and self._live else None
            self._update_waiting()
            if pos is not None:
                self._emit(Position(pos + self._offset()))
        elif eid == mpv.MpvEventID.END_FILE:
            data = event.data
            session = self._session
            if data is None or data.reason != mpv.MpvEventEndFile.ERROR or session is None:
                return
            if session.entry_id is not None and data.playlist_entry_id != session.entry_id:
                return  # a replaced session failing on its way out
            self._emit(Error(f"the preview stream could not be played: {mpv_error_string(data.error)}"))

    def _on_stream_state(self, session: _Session) -> None:
        """A reader of ``session`` started or stopped blocking for data (libmpv thread)."""
        if session is not self._session:
            return
        if session.blocked and self._loading:
            # libmpv reads ahead everything available before showing the first frame, so a short
            # block while loading is normal: report it only if it lasts.
            timer = threading.Timer(_WAITING_AFTER + 0.01, self._update_waiting)
            timer.daemon = True
            timer.start()
        self._update_waiting()

    def _update_waiting(self) -> None:
        now = time.monotonic()
        with self._lock:
            session = self._session
            starving = self._loading and session is not None and session.blocked
            starving = starving and session is not None and now - session.blocked_since >= _WAITING_AFTER
            pending = self._pending_seek
            seeking = pending is not None and now - pending.since >= _WAITING_AFTER
            waiting = self._paused_for_cache or starving or seeking
            changed = waiting != self._waiting
            self._waiting = waiting
        if changed:
            self._emit(Waiting(waiting))

    def _render_loop(self) -> None:
        renderer = self._renderer
        assert renderer is not None
        while True:
            self._render_wake.wait()
            self._render_wake.clear()
            if self._closed:
                return
            try:
                if not renderer.update():
                    continue
                width, height = self._frame_size
                frame = renderer.render(width, height)
            except RenderError as exc:
                self._emit(Error(str(exc)))
                continue
            callback = self._on_frame
            if callback is not None and not self._closed:
                try:
                    callback(frame)
                except Exception:
                    logger.exception("frame callback failed")


class _Shuttle:
    """Reverse playback: exact backward seeks paced by the wall clock, on its own thread."""

    TICK = 1 / 30

    def __init__(self, player: Player, start: float, rate: float) -> None:
        self._player = player
        self._start = start
        self._rate = rate
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="livecut-shuttle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self) -> None:
        began = time.monotonic()
        while not self._stop.wait(self.TICK):
            target = max(0.0, self._start - self._rate * (time.monotonic() - began))
            try:
                self._player._request_seek(target, exact=True)
            except PlayerError as exc:
                logger.info("reverse shuttle stopped: %s", exc)
                self._player._shuttle_finished(self)
                return
            if target <= 0:
                self._player._shuttle_finished(self)
                return
