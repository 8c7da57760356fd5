"""The live preview: engine + stream assembler + libmpv player, driven in timeline frames.

A front end owns one ``Preview``. It restarts a stream *session* at the playhead whenever the
timeline changes or a seek leaves what the current session has received, so the player always
plays the newest timeline and never waits on segments behind the playhead. Seeking into a
segment that is not encoded yet moves the engine's priority there and the session waits at it
("loading"), then plays as soon as the cell arrives.

Events go out in timeline frames (``core.preview.seam``); the player's seconds are converted
here and nowhere else.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.cells.plan import segment_at
from core.engine.engine import Engine
from core.model.timeline import Timeline
from core.modes import VideoOutput
from core.player.player import Ended, Error, Paused, Player, PlayerEvent, PlayerTime, Waiting
from core.preview import seam
from core.preview.seam import Position, PreviewEvent
from core.stream.assembler import Assembler, StreamSession
from core.stream.bytestream import GrowingStream
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
    ) -> None:
        self.engine = engine
        self.fps: Fraction = engine.fps
        self.assembler = Assembler(engine.store, engine.fps)
        self._on_event = on_event
        self._lock = threading.Lock()
        self._session: StreamSession | None = None
        self._timeline: Timeline = engine.timeline
        self._frame = 0
        frame_size = (max(16, frame_size[0]), max(16, frame_size[1]))  # before layout a pane may be 0×0
        self.player = Player(
            vo=mode,
            audio=audio and audio_device_available(),
            frame_size=frame_size,
            on_frame=on_frame,
            on_event=self._player_event,
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
        elif isinstance(event, Waiting):
            self._emit(seam.Waiting(event.waiting))
        elif isinstance(event, Paused):
            self._emit(seam.Paused(event.paused))
        elif isinstance(event, Ended):
            self._emit(seam.Ended())
        elif isinstance(event, Error):
            self._emit(seam.Failed(event.message))

    def _emit(self, event: PreviewEvent) -> None:
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("preview event callback failed")

    # -- sessions ----------------------------------------------------------------------------------
    @property
    def frame(self) -> int:
        with self._lock:
            return self._frame

    def _restart(self, frame: int) -> None:
        segs = self.engine.segments
        with self._lock:
            old, self._session = self._session, None
            timeline = self._timeline
        if not segs:
            if old is not None:
                old.cancel()
            return
        start = segment_at(segs, frame)
        if start is None:
            start = len(segs) - 1
        sink = GrowingStream()
        session = self.assembler.session(timeline, segs, start, sink, self.engine.resolve).start_thread()
        with self._lock:
            self._session = session
            self._frame = frame
        self.engine.set_playhead(frame)
        self.player.load(sink)
        if old is not None:  # only now: libmpv has let go of the old stream, so its abort is unseen
            old.cancel()
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
        """Inside what the session received: a libmpv seek; elsewhere: a new session from there."""
        frame = max(0, min(frame, max(0, self._timeline.duration - 1)))
        if self._sync(frame):
            pass
        elif self._received(frame):
            with self._lock:
                self._frame = frame
            self.engine.set_playhead(frame)
            self.player.seek_frame(frame, self.fps)
        else:
            self._restart(frame)
        self._emit(Position(frame))

    def step(self, frames: int) -> None:
        self.seek(self.frame + frames)

    def play(self) -> None:
        self._sync()
        if self._session is None:
            self._restart(self.frame)
        self.player.play()

    def pause(self) -> None:
        self.player.pause()

    def toggle(self) -> None:
        if self.player.paused:
            self.play()
        else:
            self.pause()

    def set_speed(self, x: float) -> None:
        self._sync()
        if self._session is None:
            self._restart(self.frame)
        self.player.set_speed(x)

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.cancel()
        self.player.close()
        self.assembler.close()

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
