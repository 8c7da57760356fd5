"""A stand-in player: a thread that advances the playhead at the shuttle speed.

Used when there is no engine or no libmpv, while the window preview is still being checked for,
and after a player stopped answering, so J/K/L and space still move the playhead and the editor
stays usable for editing by eye on the timeline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction

from textual.message import Message

from tui.bridge.messages import PreviewEnded, PreviewPosition


class ClockPlayer:
    """Stand-in player without libmpv: a thread that advances the playhead at the shuttle speed."""

    TICK = 1 / 20

    def __init__(self, post: Callable[[Message], object], fps: Fraction) -> None:
        self._post = post
        self._fps = fps
        self._lock = threading.Lock()
        self._speed = 0.0
        self._anchor = (0, 0.0)
        self._last = 0
        self._duration = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set_duration(self, frames: int) -> None:
        with self._lock:
            self._duration = frames

    def seek(self, frame: int) -> None:
        with self._lock:
            self._anchor = (frame, time.monotonic())
            self._last = frame

    @property
    def frame(self) -> int:
        """Where the clock's playhead is now."""
        with self._lock:
            if self._speed == 0:
                return self._last
            start, t0 = self._anchor
            frame = start + int((time.monotonic() - t0) * self._speed * float(self._fps))
            return max(0, min(frame, max(0, self._duration - 1)))

    @property
    def speed(self) -> float:
        """The shuttle speed (0: paused)."""
        with self._lock:
            return self._speed

    def play(self, speed: float) -> None:
        with self._lock:
            self._anchor = (self._last, time.monotonic())
            self._speed = speed
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="livecut-clock", daemon=True)
            self._thread.start()
        self._wake.set()

    def pause(self) -> None:
        with self._lock:
            self._speed = 0.0

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                speed = self._speed
            if speed == 0:
                self._wake.wait()
                self._wake.clear()
                continue
            self._stop.wait(self.TICK)
            with self._lock:
                if self._speed == 0:
                    continue
                start, t0 = self._anchor
                frame = start + int((time.monotonic() - t0) * self._speed * float(self._fps))
                end = max(0, self._duration - 1)
                ended = frame >= end if self._speed > 0 else frame <= 0
                frame = max(0, min(frame, end))
                self._last = frame
                if ended:
                    self._speed = 0.0
            self._post(PreviewPosition(frame))
            if ended:
                self._post(PreviewEnded())
