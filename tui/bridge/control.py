"""Preview commands off the UI thread, coalesced.

A seek or an edit restarts the preview stream: re-plan, start an assembler session, make
libmpv load it. That is 10–40 ms of work, and on the UI thread it showed up directly in
keypress → screen latency. So the bridge hands those calls to this one thread and returns.
Order is kept (play after seek stays after it), and superseded work is dropped: a newer seek
replaces queued seeks, a newer timeline replaces queued timelines and seeks — holding an arrow
key must not queue a restart per frame.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

SUPERSEDES = {"seek": {"seek"}, "timeline": {"timeline", "seek"}}
"""Queued kinds that a new command of this kind makes pointless."""


class PreviewControl:
    """One daemon thread running submitted preview commands in order."""

    def __init__(self) -> None:
        self._queue: deque[tuple[str, Callable[[], None]]] = deque()
        self._cv = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="livecut-preview-control", daemon=True)
        self._thread.start()

    def submit(self, kind: str, command: Callable[[], None]) -> None:
        with self._cv:
            if self._closed:
                return
            dropped = SUPERSEDES.get(kind, set())
            if dropped:
                self._queue = deque(item for item in self._queue if item[0] not in dropped)
            self._queue.append((kind, command))
            self._cv.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every submitted command has run (tests, and before closing)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                kind, command = self._queue.popleft()
                self._busy = True
            try:
                command()
            except Exception:
                log.exception("preview command %s failed", kind)
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """Run what is queued, then stop the thread."""
        self.wait_idle(timeout)
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout)
