"""A typed facade over one libmpv handle that plays a growing fragmented-MP4 stream.

Why it is shaped so:

* **One handle, one owner.** libmpv is expensive to create and python-mpv's handle is untyped and
  thread-hostile at shutdown, so ``Player`` wraps exactly one ``mpv.MPV`` for its whole life. The
  thread that creates it owns it and must ``close()`` it (terminating from another thread, or
  leaving it to the garbage collector, can deadlock python-mpv's event thread).
* **A small state machine over parts with one job each.** This module keeps the player's state
  and its public API; every mechanism lives beside it with its own reasons: the ``livecut://``
  stream protocol that feeds sessions to libmpv (``core.player.protocol``), the state that libmpv's
  threads update and the events it turns into (``core.player.state``), seeks that wait until
  their data is cached (``core.player.seek``), the emulated reverse shuttle
  (``core.player.shuttle``), the render thread of ``terminal`` mode (``core.player.frameloop``), the
  libmpv options (``core.player.options``), libmpv's log (``core.player.log``), and the events and
  the error (``core.player.events``, re-exported here).
* **Events, not polling.** Everything the caller hears comes as an event to one ``on_event``
  callback; the TUI turns events into Textual messages. Nothing here knows about widgets.
* **Seconds at the edge, frames for the engine.** libmpv speaks float seconds; ``seek_frame`` and
  ``position_frame`` convert with the project's ``Fraction`` fps. A session can start at any
  timeline time (``start_offset_seconds``): positions and seeks are in timeline seconds.
"""

from __future__ import annotations

import functools
import itertools
import locale
import logging
import os
import threading
from collections.abc import Callable
from fractions import Fraction
from types import TracebackType

import mpv
import numpy as np

from core.modes import VideoOutput
from core.player.events import Ended, Failed, Paused, PlayerError, PlayerEvent, PlayerTime, Speed, Waiting
from core.player.frameloop import FrameLoop
from core.player.log import MPV_LOG_OPTIONS, MpvLog
from core.player.options import mpv_options
from core.player.probe import WindowOutput, window_output
from core.player.protocol import PROTOCOL, PlayerSession, StreamProtocol
from core.player.seek import Seeker
from core.player.shuttle import Shuttle
from core.player.state import PlaybackState
from core.stream.bytestream import GrowingStream

__all__ = [
    "MAX_SPEED",
    "PROTOCOL",
    "Ended",
    "Failed",
    "Paused",
    "Player",
    "PlayerError",
    "PlayerEvent",
    "PlayerTime",
    "Speed",
    "VideoOutput",
    "Waiting",
    "detect_display",
]

logger = logging.getLogger(__name__)


MAX_SPEED = 4.0
"""Largest shuttle speed, forwards and backwards."""


def detect_display() -> bool:
    """True when a graphical display is reachable locally (X11 or Wayland, and not over SSH)."""
    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    over_ssh = bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))
    return has_display and not over_ssh


class Player:
    """Plays ``GrowingStream`` sessions with libmpv; see the module docstring for the contract.

    ``on_event`` and ``on_frame`` are called from libmpv's and the player's own threads: keep
    them quick and thread-safe (post a message, set a flag). Every other method is meant for the
    owning thread, although libmpv commands are safe from any thread.
    """

    def __init__(
        self,
        *,
        vo: VideoOutput = "none",
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
        if vo not in ("window", "terminal", "none"):
            raise ValueError(f"unknown video output {vo!r}")
        if vo == "window" and not detect_display():
            raise PlayerError("no graphical display is available for a video window")
        window: WindowOutput | None = None
        if vo == "window":
            # Only an output the display check proved: libmpv's own walk over its outputs can
            # hang, or take over the terminal, on displays without a usable GPU.
            checked = window_output()
            if checked.output is None:
                raise PlayerError(f"no video window here: {checked.reason}")
            window = checked.output
        self._check_size(frame_size)
        self._owner = threading.get_ident()
        self._on_event = on_event
        self._frame_size = frame_size
        self._closed = False
        self._speed = 1.0
        self._shuttle: Shuttle | None = None
        self._session_numbers = itertools.count(1)
        # State shared with libmpv's threads, guarded by one lock (never held while calling libmpv).
        lock = threading.Lock()
        self._seeker = Seeker(
            lock,
            is_live=lambda: self._state.live,
            cache_state=lambda: self._mpv.demuxer_cache_state,
            command=self._command,
            on_error=self._emit_error,
            on_change=lambda: self._state.update_waiting(),
        )
        self._state = PlaybackState(lock, self._seeker, emit=self._emit, shuttling=lambda: self._shuttle is not None)
        self._protocol = StreamProtocol(self._state.on_stream_state)
        self._frames: FrameLoop | None = None

        options = mpv_options(
            vo=vo,
            audio=audio,
            cache_bytes=cache_bytes,
            cache_pause_wait=cache_pause_wait,
            decoder_threads=decoder_threads,
            window=window,
        )
        # python-mpv (and libmpv's option parser) need the C numeric locale.
        locale.setlocale(locale.LC_NUMERIC, "C")
        try:
            self._mpv = mpv.MPV(log_handler=MpvLog(logger, self._log_expected), **MPV_LOG_OPTIONS, **options)
        except Exception as exc:
            raise PlayerError(f"libmpv could not start: {exc}") from exc

        try:
            self._protocol.register(self._mpv)
            if vo == "terminal":
                self._frames = FrameLoop(
                    self._mpv, size=lambda: self._frame_size, on_frame=on_frame, on_error=self._emit_error
                )
            self._seeker.start()
            state = self._state
            self._mpv.observe_property("time-pos", state.observe_time)
            self._mpv.observe_property("pause", state.observe_pause)
            self._mpv.observe_property("paused-for-cache", state.observe_cache)
            self._mpv.observe_property("eof-reached", state.observe_eof)
            self._mpv.event_callback("start-file", "file-loaded", "end-file", "playback-restart")(state.on_mpv_event)
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
        self._closed = True
        self._seeker.stop()
        if self._frames is not None:
            self._frames.stop()
        self._stop_shuttle()
        self._protocol.close_all()  # unblock libmpv threads waiting in read()
        if self._frames is not None:
            self._frames.close()  # frees the renderer before terminate(), as libmpv requires
        self._seeker.join(timeout=5)
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
        session = PlayerSession(next(self._session_numbers), stream, float(start_offset_seconds), [])
        old = self._state.begin(session)
        self._protocol.add(session)
        try:
            result = self._mpv.command("loadfile", session.url, "replace")
            if isinstance(result, dict) and isinstance(result.get("playlist_entry_id"), int):
                session.entry_id = result["playlist_entry_id"]
        except Exception as exc:
            raise PlayerError(f"libmpv could not load the preview stream: {exc}") from exc
        finally:
            if old is not None:
                self._protocol.drop(old)
        if start_seconds is not None:
            self.seek(start_seconds)
        self._state.update_waiting()

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
        self._request_seek(seconds - self._state.offset(), exact)

    def seek_frame(self, frame: int, fps: Fraction) -> None:
        """Jump exactly to timeline frame ``frame`` at ``fps``."""
        self.seek(float(Fraction(frame) / Fraction(fps)), exact=True)

    def frame_step(self) -> None:
        """Show the next frame and pause."""
        self._require_open()
        self._stop_shuttle()
        self._seeker.cancel()
        self._command("frame-step")

    def frame_back_step(self) -> None:
        """Show the previous frame and pause."""
        self._require_open()
        self._stop_shuttle()
        self._seeker.cancel()
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
            self._seeker.cancel()
            start = self._mpv.time_pos
            if start is None:
                self._mpv.pause = True
            else:
                seek = functools.partial(self._request_seek, exact=True)
                shuttle = Shuttle(float(start), -x, seek=seek, on_finished=self._shuttle_finished)
                with self._state.lock:
                    self._shuttle = shuttle  # first, so the pause observer stays quiet
                self._mpv.pause = True
                shuttle.start()
                if not was_reversing:
                    self._emit(Paused(False))
        self._emit(Speed(x))

    def set_frame_size(self, width: int, height: int) -> None:
        """Size of the frames delivered in ``terminal`` mode from the next frame on (a paused
        player re-renders at once)."""
        self._check_size((width, height))
        self._frame_size = (width, height)
        if self._frames is not None:
            self._frames.wake()

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
        """(width, height) of the frames delivered in ``terminal`` mode."""
        return self._frame_size

    @property
    def position(self) -> float | None:
        """Timeline seconds of the displayed frame (the target while seeking), or None."""
        self._require_open()
        pos = self._mpv.time_pos
        if pos is None:
            return None
        return float(pos) + self._state.offset()

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
        return self._seeker.pending is not None or bool(self._mpv.seeking)

    @property
    def waiting(self) -> bool:
        """True while playback or a seek waits for stream data."""
        return self._state.waiting

    @property
    def ended(self) -> bool:
        """True when playback sits at the end of a finished stream."""
        self._require_open()
        return bool(self._state.live and self._mpv.eof_reached)

    def seekable_range(self) -> tuple[float, float] | None:
        """Timeline seconds (first, last) that can be sought to without new data, or None."""
        self._require_open()
        state = self._mpv.demuxer_cache_state
        if not isinstance(state, dict) or not state.get("seekable-ranges"):
            return None
        ranges = [(float(r["start"]), float(r["end"])) for r in state["seekable-ranges"]]
        offset = self._state.offset()
        return min(r[0] for r in ranges) + offset, max(r[1] for r in ranges) + offset

    # --- internals: commands, seeks, shuttle -----------------------------------------------------

    def _require_open(self) -> None:
        if self._closed:
            raise PlayerError("the player was already closed")

    @staticmethod
    def _check_size(size: tuple[int, int]) -> None:
        width, height = size
        if width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive, got {width}x{height}")

    def _command(self, *args: str) -> None:
        """Run a playback command; a no-op until the current session's file is open."""
        if not self._state.live:
            return
        try:
            self._mpv.command(*args)
        except Exception as exc:
            raise PlayerError(f"libmpv refused {args[0]}: {exc}") from exc

    def _request_seek(self, stream_seconds: float, exact: bool) -> None:
        """Queue a seek and issue it at once if its target is cached (any thread)."""
        if self._state.session is not None:
            self._seeker.request(stream_seconds, exact)

    def _stop_shuttle(self, *, announce: bool = True) -> bool:
        """Stop a reverse shuttle; True if one ran. libmpv is paused under a shuttle, so that
        is reported unless the caller reports the new state itself."""
        with self._state.lock:
            shuttle, self._shuttle = self._shuttle, None
        if shuttle is None:
            return False
        shuttle.stop()
        if announce:
            self._emit(Paused(True))
        return True

    def _shuttle_finished(self, shuttle: Shuttle) -> None:
        """Called by the shuttle thread when it reached the start (or lost its data)."""
        with self._state.lock:
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

    def _emit_error(self, exc: Exception) -> None:
        self._emit(Failed(str(exc)))

    def _log_expected(self, url: str | None) -> bool:
        """True when libmpv's log lines about the session at ``url`` (None: no session opened yet)
        are expected noise: it was replaced or aborted, or the player is closing."""
        return self._closed or (url is not None and self._state.is_stale(url))
