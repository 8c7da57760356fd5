"""The live preview: engine + stream assembler + libmpv player, driven in timeline frames.

A front end owns one ``Preview``. It restarts a stream *session* at the playhead whenever the
timeline changes or a seek leaves what the current session has received, so the player always
plays the newest timeline and never waits on segments behind the playhead. Seeking into a
segment that is not encoded yet moves the engine's priority there and the session waits at it
("loading"), then plays as soon as the cell arrives.

Events go out in timeline frames (``core.preview.seam``); the player's seconds are converted
here and nowhere else. The other playback events (``core.playback``) are the player's own,
passed on unchanged.

Memory is bounded by configuration, not by how long someone plays (``PREVIEW_WINDOW_MB`` in
``core.stream.window``, shared with the browser preview): libmpv's
demuxer cache holds at most the window behind the playhead (what can be sought to) and the window
ahead of it, and the session's ``GrowingStream`` keeps nothing behind libmpv's reader and makes the
assembler wait once it is a slice of the window ahead. A seek outside what libmpv still holds is a
new session from the cells on disk (about 10 ms).

Quality adaptation: a session plays one rung of the quality ladder (``core.engine.quality``), so
there is one assembler per rung. When the engine tells a session to change rung before a segment,
the session's stream ends there; once the playhead reaches that frame (or the player reaches the
end of the stream) a new session starts at it at the new rung, keeping the play/pause state.
libmpv reconfigures its video output for the new picture size and scales it to the pane as it
does for any file, so a lower rung never plays stretched wrongly, only softer.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.cells.plan import Segment, segment_at
from core.engine.engine import Engine
from core.model.timeline import Timeline
from core.modes import VideoOutput
from core.playback import Ended, Failed, Paused, Position, PreviewEvent, Waiting
from core.player.player import Player, PlayerError, PlayerEvent, PlayerTime
from core.stream.assembler import Assembler, StreamSession
from core.stream.bytestream import GrowingStream
from core.stream.window import MIB, preview_window_bytes, stream_window
from core.timebase import displayed_frame

log = logging.getLogger(__name__)


class Preview:
    """Owns the player and the current stream session (create and close on the main thread)."""

    def __init__(
        self,
        engine: Engine,
        mode: VideoOutput = "none",
        frame_size: tuple[int, int] = (320, 180),
        on_frame: Callable[[np.ndarray], None] | None = None,
        on_event: Callable[[PreviewEvent], None] | None = None,
        *,
        audio: bool = True,
        window_bytes: int | None = None,
    ) -> None:
        """``window_bytes`` (default: ``preview_window_bytes()``) bounds the preview's memory; see
        ``PREVIEW_WINDOW_MB``."""
        self.engine = engine
        self.window_bytes = preview_window_bytes() if window_bytes is None else max(MIB, int(window_bytes))
        self.fps: Fraction = engine.fps
        self.assembler = Assembler(engine.store, engine.fps)
        """The top rung's assembler (``assemblers[0]``)."""
        self.assemblers: dict[int, Assembler] = {0: self.assembler}
        self._switching = False
        self._on_event = on_event
        self._lock = threading.Lock()
        self._session: StreamSession | None = None
        self._timeline: Timeline = engine.timeline
        self._frame = 0
        self._loop: tuple[int, int] | None = None
        """The range ``[in, out)`` played over and over (``set_loop``), or None."""
        self._held_pause = True
        """True while the player is paused by ``pause`` (not by reaching a loop's out point)."""
        frame_size = (max(16, frame_size[0]), max(16, frame_size[1]))  # before layout a pane may be 0×0
        self.player = Player(
            vo=mode,
            audio=audio and audio_device_available(),
            frame_size=frame_size,
            on_frame=on_frame,
            on_event=self._player_event,
            cache_bytes=self.window_bytes,
        )
        self.player.pause()

    # -- events ------------------------------------------------------------------------------------
    def _player_event(self, event: PlayerEvent) -> None:
        if isinstance(event, PlayerTime):
            frame = max(0, displayed_frame(event.seconds, self.fps))
            with self._lock:
                self._frame = frame
            self.engine.set_playhead(frame)
            self._emit(Position(frame))
            self._maybe_switch(frame)
        elif isinstance(event, Paused) and event.paused and self._at_loop_end():
            pass  # libmpv pauses at the end of a loop's stream (keep-open): the wrap plays on
        elif isinstance(event, Waiting | Paused):
            self._emit(event)
        elif isinstance(event, Ended) and self._at_loop_end():
            threading.Thread(target=self._wrap, name="livecut-loop-wrap", daemon=True).start()
        elif isinstance(event, Ended | Failed) and not self._maybe_switch(None):
            # (a stream that ended for a rung change, even before its first frame, is no end and no failure)
            self._emit(event)

    def _emit(self, event: PreviewEvent) -> None:
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("preview event callback failed")

    # -- sessions ----------------------------------------------------------------------------------
    @property
    def rung(self) -> int:
        """The rung of the quality ladder the current session plays (0: full quality)."""
        with self._lock:
            return self._session.rung if self._session is not None else 0

    def _maybe_switch(self, frame: int | None) -> bool:
        """Start the next rung's session once the playhead reaches where the current one ended
        for a change of rung (``frame`` None: the player reached the end of the stream)."""
        with self._lock:
            session = self._session
            if self._switching:
                return True  # the next rung's session is starting: the end of this one is no end
            if session is None:
                return False
            at, rung = session.state.switch_frame, session.state.switch_rung
            if at is None or rung is None or (frame is not None and frame < at - 1):
                return False
            self._switching = True
        threading.Thread(target=self._switch, args=(session, at, rung), name="livecut-rung-switch", daemon=True).start()
        return True

    def _switch(self, session: StreamSession, at: int, rung: int) -> None:
        try:
            with self._lock:
                current = self._session is session
            if current:
                log.info("preview: rung %d from frame %d", rung, at)
                self._restart(at, rung)
        except Exception:
            log.exception("switching the preview's rung failed")
        finally:
            with self._lock:
                self._switching = False

    # -- loop ------------------------------------------------------------------------------------
    def set_loop(self, start: int | None, end: int | None) -> None:
        """Play timeline frames ``[start, end)`` over and over (None: no loop).

        Why the stream and not the position reports: a seek back issued when the player reports
        the out point lands a frame or two late (the player shows ``out`` or skips ``out - 1``),
        and libmpv's own A-B loop drops the last frame now and then. So a loop's session *ends*
        at ``out``: the player shows every frame up to ``out - 1`` and stops at the end of the
        stream, and only then does the preview seek back to ``in`` and play on. Each pass plays
        exactly ``[in, out)``.
        """
        loop = None if start is None or end is None or end <= start else (max(0, start), end)
        with self._lock:
            if loop == self._loop:
                return
            self._loop = loop
            here = self._frame
        if loop is not None and not loop[0] <= here < loop[1]:
            here = loop[0]
        if self._session is not None or loop is not None:
            self._restart(here)  # a stream that ends at the new out point (or no longer ends there)

    def _until(self, frame: int) -> int | None:
        """Where a session starting at ``frame`` ends: the loop's out point when inside it."""
        with self._lock:
            loop = self._loop
        return loop[1] if loop is not None and loop[0] <= frame < loop[1] else None

    def _at_loop_end(self) -> bool:
        """True when the current session is a loop's and the player reached its end."""
        with self._lock:
            session, loop, frame = self._session, self._loop, self._frame
            held = self._held_pause
        if session is None or loop is None or session.until != loop[1] or held:
            return False
        # a session that ends early for a change of rung is no loop end (``_maybe_switch``)
        return session.state.switch_frame is None and frame >= loop[0]

    def _wrap(self) -> None:
        """Back to the loop's in point, playing (off libmpv's event thread)."""
        try:
            with self._lock:
                loop = self._loop
            if loop is None:
                return
            self.seek(loop[0])
            with self._lock:
                held = self._held_pause
            if not held:
                self.player.play()
        except Exception:
            log.exception("wrapping the preview's loop failed")

    def _assembler(self, rung: int) -> Assembler:
        with self._lock:
            asm = self.assemblers.get(rung)
            if asm is None:
                asm = self.assemblers[rung] = Assembler(self.engine.store, self.engine.fps)
            return asm

    @property
    def frame(self) -> int:
        with self._lock:
            return self._frame

    def _restart(self, frame: int, rung: int | None = None) -> None:
        segs = self.engine.segments
        with self._lock:
            old, self._session = self._session, None
            timeline = self._timeline
        if not segs:
            if old is not None:
                _drop(old)
            return
        start = segment_at(segs, frame)
        if start is None:
            start = len(segs) - 1
        sink = GrowingStream(stream_window(self.window_bytes))
        r = self.engine.start_rung(segs[start]) if rung is None else rung

        first = segs[start]

        def resolve(seg: Segment, cancel: threading.Event) -> str | None:
            return self.engine.resolve_at(r, seg, cancel, switch_up=seg is not first)

        # the stream opens on the playhead's own frame, so the first picture the player shows
        # is the right one (never the segment's first frame while a seek is on its way)
        until = self._until(frame)
        session = self._assembler(r).session(timeline, segs, start, sink, resolve, r, from_frame=frame, until=until)
        session.start_thread()
        with self._lock:
            self._session = session
            self._frame = frame
        self.engine.set_playhead(frame)
        self.player.load(sink)
        if old is not None:  # only now: libmpv has let go of the old stream, so its abort is unseen
            _drop(old)
        if frame != session.start_frame:
            self.player.seek_frame(frame, self.fps)

    def set_timeline(self, timeline: Timeline, frame: int | None = None) -> None:
        """After an edit: re-plan and restart the stream at ``frame`` (default: where it was)."""
        self.engine.set_timeline(timeline)
        with self._lock:
            self._timeline = timeline
            here = self._frame if frame is None else frame
        self._restart(max(0, min(here, max(0, timeline.duration - 1))))

    def _received(self, frame: int) -> bool:
        with self._lock:
            session = self._session
        if session is None:
            return False
        frags = list(session.state.fragments)
        return bool(frags) and session.start_frame <= frame < frags[-1].end

    def _held(self, frame: int) -> bool:
        """True when a libmpv seek reaches ``frame``: the session received it and libmpv still
        holds it. Before libmpv cached anything, a received frame counts (the seek waits for its
        data); once it has, only its seekable range does — what is behind it was dropped by the
        window, and what is past its end may never be read while libmpv's forward cache is full."""
        if not self._received(frame):
            return False
        held = self.player.seekable_range()
        if held is None:
            return True
        first, last = held
        seconds = float(Fraction(frame) / self.fps)
        slack = float(1 / self.fps)
        return first - slack <= seconds <= last + slack

    def _sync(self, frame: int | None = None) -> bool:
        """Follow an edit made through the engine directly; True when a new session started."""
        timeline = self.engine.timeline
        with self._lock:
            stale = timeline is not self._timeline
            if stale:
                self._timeline = timeline
            here = self._frame if frame is None else frame
        if stale:
            self._restart(max(0, min(here, max(0, timeline.duration - 1))))
        return stale

    def set_frame_size(self, width: int, height: int) -> None:
        if width > 0 and height > 0:
            self.player.set_frame_size(width, height)

    def seek(self, frame: int) -> None:
        """Inside what libmpv holds: a libmpv seek; elsewhere (not received yet, or behind the
        window): a new session from there."""
        frame = max(0, min(frame, max(0, self._timeline.duration - 1)))
        if self._sync(frame):
            pass
        elif self._held(frame):
            with self._lock:
                self._frame = frame
            self.engine.set_playhead(frame)
            try:
                self.player.seek_frame(frame, self.fps)
            except PlayerError:  # libmpv dropped it between the check and the seek
                self._restart(frame)
        else:
            self._restart(frame)
        self._emit(Position(frame))

    def step(self, frames: int) -> None:
        self.seek(self.frame + frames)

    def play(self) -> None:
        with self._lock:
            self._held_pause = False
        self._sync()
        if self._session is None:
            self._restart(self.frame)
        self.player.play()

    def pause(self) -> None:
        with self._lock:
            self._held_pause = True
        self.player.pause()

    def toggle(self) -> None:
        if self.player.paused:
            self.play()
        else:
            self.pause()

    def set_speed(self, x: float) -> None:
        with self._lock:
            self._held_pause = x == 0
        self._sync()
        if self._session is None:
            self._restart(self.frame)
        self.player.set_speed(x)

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            _drop(session)
        self.player.close()
        for asm in list(self.assemblers.values()):
            asm.close()

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _drop(session: StreamSession) -> None:
    """Stop a session for good: cancel its assembler and abort its stream, which also releases an
    ``append`` waiting for the window to move (nobody reads a dropped stream any more)."""
    session.cancel()
    session.sink.abort()


def audio_device_available() -> bool:
    """True when a sound server or ALSA device exists; otherwise audio goes to ``ao=null``.

    Probing by opening an audio output would let libpulse/ALSA print their complaints straight to
    the terminal the TUI owns, so only look for their sockets and devices.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    candidates = [
        Path("/dev/snd"),
        Path(runtime) / "pulse" / "native" if runtime else None,
        Path(runtime) / "pipewire-0" if runtime else None,
    ]
    if os.environ.get("PULSE_SERVER"):
        return True
    return any(c is not None and c.exists() for c in candidates)
