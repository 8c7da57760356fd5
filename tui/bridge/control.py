"""Preview commands off the UI thread, coalesced, each with a deadline.

A seek or an edit restarts the preview stream: re-plan, start an assembler session, make
libmpv load it. That is 10–40 ms of work, and on the UI thread it showed up directly in
keypress → screen latency. So the bridge hands those calls to this one thread and returns.
Order is kept (play after seek stays after it), and superseded work is dropped: a newer seek
replaces queued seeks, a newer timeline replaces queued timelines and seeks — holding an arrow
key must not queue a restart per frame.

Why a deadline: libmpv can block for good inside a call (a video output that never comes up on
a display without a usable GPU, a driver that hangs). A command that has not returned after its
deadline marks the control as *stuck*: queued work is dropped, later submissions are refused,
and ``on_stuck`` tells the owner, which stops using that player (the bridge falls back to its
stand-in clock). The thread itself cannot be interrupted inside native code; it is a daemon and
is abandoned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

SUPERSEDES = {"seek": {"seek"}, "timeline": {"timeline", "seek"}}
"""Queued kinds that a new command of this kind makes pointless."""

DEADLINE = 3.0
"""Seconds a preview command may run (a stream restart takes tens of ms)."""
DEADLINES = {"start": 15.0, "close": 5.0}
"""Kinds that may take longer: starting libmpv (and its window), shutting it down."""


class PreviewControl:
    """One daemon thread running submitted preview commands in order, plus a watchdog."""

    def __init__(
        self,
        on_stuck: Callable[[str, float], None] | None = None,
        *,
        deadline: float = DEADLINE,
        deadlines: dict[str, float] | None = None,
    ) -> None:
        self._queue: deque[tuple[str, Callable[[], None]]] = deque()
        self._cv = threading.Condition()
        self._busy = False
        self._closed = False
        self._stuck = False
        self._current: tuple[str, float] | None = None
        """Kind and start time of the running command."""
        self._on_stuck = on_stuck
        self._deadline = deadline
        self._deadlines = DEADLINES if deadlines is None else deadlines
        self._thread = threading.Thread(target=self._run, name="livecut-preview-control", daemon=True)
        self._thread.start()
        self._watchdog = threading.Thread(target=self._watch, name="livecut-preview-watchdog", daemon=True)
        self._watchdog.start()

    @property
    def stuck(self) -> bool:
        """True once a command overran its deadline: nothing more runs here."""
        return self._stuck

    @property
    def thread(self) -> threading.Thread:
        """The thread commands run on (the owner of what they create)."""
        return self._thread

    def submit(self, kind: str, command: Callable[[], None]) -> bool:
        """Queue ``command``; False when it was refused (closed or stuck)."""
        with self._cv:
            if self._closed or self._stuck:
                return False
            dropped = SUPERSEDES.get(kind, set())
            if dropped:
                self._queue = deque(item for item in self._queue if item[0] not in dropped)
            self._queue.append((kind, command))
            self._cv.notify_all()
            return True

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every submitted command has run (tests, and before closing); False on
        timeout or when stuck."""
        with self._cv:
            self._cv.wait_for(lambda: self._stuck or (not self._queue and not self._busy), timeout)
            return not self._stuck and not self._queue and not self._busy

    def _limit(self, kind: str) -> float:
        return self._deadlines.get(kind, self._deadline)

    def _run(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._queue or self._closed or self._stuck)
                if not self._queue or self._stuck:
                    return
                kind, command = self._queue.popleft()
                self._busy = True
                self._current = (kind, time.monotonic())
                self._cv.notify_all()  # the watchdog starts timing it
            try:
                command()
            except Exception:
                log.exception("preview command %s failed", kind)
            with self._cv:
                self._busy = False
                self._current = None
                self._cv.notify_all()
                if self._stuck:
                    log.warning("preview command %s returned after its deadline; the player stays abandoned", kind)
                    return

    def _watch(self) -> None:
        with self._cv:
            while not self._closed:
                current = self._current
                if current is None:
                    self._cv.wait()
                    continue
                kind, started = current
                left = started + self._limit(kind) - time.monotonic()
                if left > 0:
                    self._cv.wait(left)
                    continue
                self._stuck = True
                self._queue.clear()
                self._cv.notify_all()
                break
            else:
                return
        elapsed = time.monotonic() - started
        log.error("preview command %s did not return within %.1f s: the player is abandoned", kind, elapsed)
        if self._on_stuck is not None:
            try:
                self._on_stuck(kind, elapsed)
            except Exception:
                log.exception("on_stuck failed")

    def close(self, timeout: float = 5.0) -> bool:
        """Run what is queued, then stop the threads; False when the command thread is stuck
        (it is left behind)."""
        self.wait_idle(timeout)
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        if not self._stuck:
            self._thread.join(timeout)
        self._watchdog.join(1.0)
        return not self._stuck and not self._thread.is_alive()
