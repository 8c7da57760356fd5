"""Seeks that stay inside the data libmpv has received: resolution and the pending-seek thread.

Why it is shaped so:

* **Seeks stay inside the received data.** The preview stream is non-seekable (see
  ``core.player.protocol``); libmpv's demuxer cache makes what it received seekable. A seek past the
  cache makes libmpv read forward and *discard* the skipped bytes, which then can never be
  sought back to. So a seek is issued only once its target is cached (``resolve_seek``); until
  then it is pending, which also makes "seek right after load" and "seek into the fragment that
  is still being encoded" just work.
* **At most one pending seek.** A newer seek replaces the pending one, so a burst of seeks (a
  held arrow key, the reverse shuttle) never queues up stale targets.
* **A thread polls, because libmpv will not tell.** libmpv publishes ``demuxer-cache-state``
  changes only every 250 ms, so the ``Seeker`` thread retries the pending seek with a short
  back-off instead of waiting for property changes.
* **The player's lock, not its own.** The pending seek is part of the player's state (whether the
  player is waiting, what a new session resets), so ``Seeker`` shares the player's lock and
  reaches libmpv only through callbacks the player passes in; it never calls libmpv with that
  lock held.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.player.events import PlayerError

WAIT = None
"""``resolve_seek``'s answer when the target's data has not arrived yet."""


@dataclass(frozen=True)
class PendingSeek:
    """A seek waiting for the file to open or for its target to reach libmpv's cache."""

    seconds: float
    """Target in stream seconds."""
    exact: bool
    """Exact (hr-seek) or keyframe seek."""
    since: float
    """``time.monotonic()`` when it was requested."""


def resolve_seek(target: float, cache_state: Any) -> float | None:
    """Where to seek for ``target`` given libmpv's ``demuxer-cache-state``; ``None``: not yet.

    A seek outside the cached ranges makes libmpv read forward and *discard* the bytes it skips
    on a non-seekable stream, so the skipped part could never be sought back to. We only seek
    inside a cached range; past its end we wait for the data (or clamp to the last frame once
    the stream is fully cached). Raises ``PlayerError`` for a target whose data is gone.
    """
    if not isinstance(cache_state, dict):
        return WAIT
    ranges = sorted(
        (float(r["start"]), float(r["end"])) for r in cache_state.get("seekable-ranges") or [] if isinstance(r, dict)
    )
    if not ranges:
        return WAIT
    for start, end in ranges:
        if start - 1e-3 <= target <= end + 1e-3:
            return target
    first, last = ranges[0][0], ranges[-1][1]
    if target > last:
        return last if cache_state.get("eof-cached") else WAIT
    if target < first and cache_state.get("bof-cached"):
        return first
    raise PlayerError("that position is no longer held by the player: start a new stream session there")


class Seeker:
    """Holds at most one pending seek and issues it as soon as libmpv has cached its target.

    ``lock`` is the player's lock: it guards ``pending`` together with the player's own state.
    The callbacks: ``is_live()`` (called with ``lock`` held, so it must only read a flag) says
    whether the current session's file is open in libmpv; ``cache_state()`` returns libmpv's
    ``demuxer-cache-state``; ``command(*args)`` runs a libmpv command; ``on_error`` gets a seek the
    thread found unreachable; ``on_change()`` runs after every attempt so the player can update
    its waiting state.
    """

    def __init__(
        self,
        lock: threading.Lock,
        *,
        is_live: Callable[[], bool],
        cache_state: Callable[[], Any],
        command: Callable[..., None],
        on_error: Callable[[PlayerError], None],
        on_change: Callable[[], None],
    ) -> None:
        self._lock = lock
        self._is_live = is_live
        self._cache_state = cache_state
        self._command = command
        self._on_error = on_error
        self._on_change = on_change
        self.pending: PendingSeek | None = None
        """The seek not issued yet (guarded by ``lock``)."""
        self._stopped = False
        # Seeks are resolved and issued under _seek_lock, by the caller or by the seek thread.
        self._seek_lock = threading.Lock()
        self._wake = threading.Condition(lock)
        self._thread = threading.Thread(target=self._run, name="livecut-seek", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (``join`` waits for it)."""
        with self._lock:
            self._stopped = True
            self._wake.notify_all()

    def join(self, timeout: float) -> None:
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def request(self, stream_seconds: float, exact: bool) -> None:
        """Make ``stream_seconds`` the pending seek and issue it at once if its target is cached
        (any thread). Raises ``PlayerError`` for a target whose data is gone."""
        with self._seek_lock:
            with self._lock:
                self.pending = PendingSeek(max(0.0, stream_seconds), exact, time.monotonic())
                self._wake.notify_all()
            self._apply()
        self._on_change()

    def cancel(self) -> None:
        """Forget the pending seek."""
        with self._seek_lock, self._lock:
            self.pending = None
        self._on_change()

    def clear_locked(self) -> None:
        """Forget the pending seek; ``lock`` must be held (a new session starts)."""
        self.pending = None

    def retry_locked(self) -> None:
        """Wake the thread to try the pending seek now; ``lock`` must be held (a file opened)."""
        self._wake.notify_all()

    def _apply(self) -> bool:
        """Issue the pending seek if libmpv can serve it now; ``_seek_lock`` must be held.

        True when nothing is left pending. Raises ``PlayerError`` for an unreachable target.
        """
        with self._lock:
            pending = self.pending
            if pending is None:
                return True
            if not self._is_live():
                return False
        try:
            target = resolve_seek(pending.seconds, self._cache_state())
        except PlayerError:
            with self._lock:
                self.pending = None
            raise
        if target is WAIT:
            return False
        with self._lock:
            self.pending = None
        mode = "absolute+exact" if pending.exact else "absolute+keyframes"
        self._command("seek", f"{target:.6f}", mode)
        return True

    def _run(self) -> None:
        """Seek thread: retries a pending seek until its data is cached (polling, because
        libmpv publishes ``demuxer-cache-state`` changes only every 250 ms)."""
        delay = 0.005
        while True:
            with self._lock:
                while self.pending is None and not self._stopped:
                    self._wake.wait()
                    delay = 0.005
                if self._stopped:
                    return
            try:
                with self._seek_lock:
                    done = self._apply()
            except PlayerError as exc:
                self._on_error(exc)
                done = True
            self._on_change()
            if not done:
                with self._lock:
                    if not self._stopped:
                        self._wake.wait(delay)
                delay = min(delay * 2, 0.05)
