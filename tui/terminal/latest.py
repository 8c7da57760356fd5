"""A thread that works on the newest job only: picture encoding off the UI thread.

Why: encoding a picture (half-block codes, a PNG for kitty, sixel bands) takes 2-10 ms, which on
Textual's event loop delays keys and screen updates, and on ``livecut play``'s loop delays the next
frame. Video wants the newest frame, not every frame: a job submitted while another is waiting
replaces it (the replaced one is dropped, never queued), so however slow the encoding, the
picture is at most one job behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")


class LatestWorker(Generic[J, R]):
    """Runs ``work(job)`` on one daemon thread and hands ``(job, result)`` to ``deliver`` (on that
    thread; ``deliver`` posts to the UI). ``submit`` never blocks."""

    def __init__(self, work: Callable[[J], R], deliver: Callable[[J, R], None], *, name: str = "picture") -> None:
        self._work = work
        self._deliver = deliver
        self._job: J | None = None
        self._has_job = False
        self._closed = False
        self._cond = threading.Condition()
        self.dropped = 0
        """Jobs replaced by a newer one before they started."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: J) -> None:
        with self._cond:
            if self._has_job:
                self.dropped += 1
            self._job, self._has_job = job, True
            self._cond.notify()

    def idle(self) -> bool:
        """No job waiting (one may be running)."""
        with self._cond:
            return not self._has_job

    def close(self, timeout: float = 1.0) -> None:
        """Stop after the running job (a waiting one is dropped)."""
        with self._cond:
            self._closed = True
            self._has_job = False
            self._job = None
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._has_job and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job, self._job, self._has_job = self._job, None, False
            assert job is not None
            try:
                result = self._work(job)
            except Exception:  # a bad frame must not end the preview
                log.exception("encoding a picture failed")
                continue
            try:
                self._deliver(job, result)
            except Exception:
                log.exception("delivering a picture failed")
