"""Reverse shuttle, emulated: exact backward seeks paced by the wall clock, on their own thread.

Why it is shaped so: libmpv cannot play backwards smoothly, so for a negative speed the player
pauses libmpv and a ``Shuttle`` walks the playhead back by issuing an exact seek every tick, to
where the wall clock says playback should be. The preview is all-intra, so each seek decodes a
single frame. The shuttle knows nothing about the player: it gets a ``seek`` callable (the
player's pending-seek queue, which drops targets overtaken by newer ones) and an ``on_finished``
callback for when it reaches the start or its data is gone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from core.player.events import PlayerError

logger = logging.getLogger(__name__)


class Shuttle:
    """Reverse playback from ``start`` (stream seconds) at ``rate`` seconds per second."""

    TICK = 1 / 30

    def __init__(
        self,
        start: float,
        rate: float,
        *,
        seek: Callable[[float], None],
        on_finished: Callable[[Shuttle], None],
    ) -> None:
        self._start = start
        self._rate = rate
        self._seek = seek
        self._on_finished = on_finished
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
                self._seek(target)
            except PlayerError as exc:
                logger.info("reverse shuttle stopped: %s", exc)
                self._on_finished(self)
                return
            if target <= 0:
                self._on_finished(self)
                return
