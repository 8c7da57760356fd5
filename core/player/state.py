"""The player's state shared with libmpv's threads, and libmpv's reports turned into events.

Why it is shaped so:

* **Observers translate, never command.** python-mpv runs property observers and event callbacks
  on its one event thread; they must be quick and must never call libmpv (``terminate()`` may be
  tearing the handle down meanwhile: that segfaults). ``PlaybackState`` holds no libmpv handle,
  so it cannot: it only turns property changes, libmpv events and the stream protocol's blocking
  reports into the events of ``core.player.events``, handed to ``emit``.
* **One lock for what libmpv's threads touch.** The current session, whether its file is open,
  the pending seek (``core.player.seek`` shares the lock) and the waiting state change together;
  the lock is never held while calling libmpv.
* **Late reports of replaced sessions are dropped.** libmpv reports a replaced file's events
  after the new session started: only the file libmpv opened for the current session counts.
* **Waiting is derived, not reported.** libmpv pausing for its cache, a reader blocking while a
  session loads, and a seek waiting for data all mean "waiting"; ``update_waiting`` recomputes
  that one flag, ignores blocks shorter than ``WAITING_AFTER``, and emits ``Waiting`` on change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import mpv

from core.player.events import Ended, Failed, Paused, PlayerEvent, PlayerTime, Waiting
from core.player.protocol import PlayerSession
from core.player.seek import Seeker
from core.player.software import mpv_error_string

WAITING_AFTER = 0.15
"""Seconds a block or a pending seek lasts before it is reported as waiting."""


class PlaybackState:
    """What the player knows about the current session, updated from libmpv's threads.

    ``lock`` is shared with ``seeker``; ``emit`` sends an event to the player's caller;
    ``shuttling()`` tells whether a reverse shuttle runs (libmpv is paused under it, which is not
    a pause the caller asked for).
    """

    def __init__(
        self,
        lock: threading.Lock,
        seeker: Seeker,
        *,
        emit: Callable[[PlayerEvent], None],
        shuttling: Callable[[], bool],
    ) -> None:
        self.lock = lock
        self._seeker = seeker
        self._emit = emit
        self._shuttling = shuttling
        self.session: PlayerSession | None = None
        """The current session (guarded by ``lock``; replaced only by ``begin``)."""
        self.live = False
        """The current session's file is open in libmpv (guarded by ``lock``)."""
        self.waiting = False
        """Playback or a seek waits for stream data (guarded by ``lock``)."""
        self._loading = False  # the current session has not shown its first frame yet
        self._paused_for_cache = False
        self._eof = False
        self._last_time_pos: float | None = None

    def begin(self, session: PlayerSession) -> PlayerSession | None:
        """Make ``session`` current (a new load); return the one it replaces."""
        with self.lock:
            old = self.session
            self.session = session
            self.live = False
            self._loading = True
            self._paused_for_cache = False
            self._eof = False
            self._seeker.clear_locked()
        return old

    def offset(self) -> float:
        """Timeline seconds of the current session's stream time 0."""
        session = self.session
        return session.offset if session is not None else 0.0

    def is_stale(self, url: str) -> bool:
        """True when ``url`` is not the current session's, or the current session's stream was
        aborted: what libmpv reports about it concerns a session nobody plays any more."""
        session = self.session
        return session is not None and (url != session.url or session.stream.aborted)

    # --- libmpv's and the stream protocol's reports --------------------------------------------

    def observe_time(self, _name: str, value: Any) -> None:
        with self.lock:
            self._last_time_pos = None if value is None else float(value)
            live = self.live
        if value is not None and live:
            self._emit(PlayerTime(float(value) + self.offset()))

    def observe_pause(self, _name: str, value: Any) -> None:
        if value is None or self._shuttling():
            return
        self._emit(Paused(bool(value)))

    def observe_cache(self, _name: str, value: Any) -> None:
        with self.lock:
            self._paused_for_cache = bool(value)
        self.update_waiting()

    def observe_eof(self, _name: str, value: Any) -> None:
        with self.lock:
            ended = bool(value) and self.live and not self._eof
            self._eof = bool(value)
        if ended:
            self._emit(Ended())

    def on_mpv_event(self, event: Any) -> None:
        eid = event.event_id.value
        if eid == mpv.MpvEventID.FILE_LOADED:
            with self.lock:
                # A late event of a replaced file must not revive it: only the file libmpv opened
                # for the current session counts.
                self.live = self.session is not None and self.session.opened
                self._seeker.retry_locked()
        elif eid == mpv.MpvEventID.START_FILE:
            with self.lock:
                self._last_time_pos = None  # later values belong to the file now starting
        elif eid == mpv.MpvEventID.PLAYBACK_RESTART:
            # First frame shown (after a load or a seek). After a load, report where: the
            # time-pos change that came before file-loaded was held back. Only the value observed
            # since start-file is used, and libmpv is never called from here (terminate() may be
            # tearing the handle down).
            with self.lock:
                first = self._loading
                self._loading = False
                pos = self._last_time_pos if first and self.live else None
            self.update_waiting()
            if pos is not None:
                self._emit(PlayerTime(pos + self.offset()))
        elif eid == mpv.MpvEventID.END_FILE:
            data = event.data
            session = self.session
            if data is None or data.reason != mpv.MpvEventEndFile.ERROR or session is None:
                return
            if session.entry_id is not None and data.playlist_entry_id != session.entry_id:
                return  # a replaced session failing on its way out
            self._emit(Failed(f"the preview stream could not be played: {mpv_error_string(data.error)}"))

    def on_stream_state(self, session: PlayerSession) -> None:
        """A reader of ``session`` started or stopped blocking for data (libmpv thread)."""
        if session is not self.session:
            return
        if session.blocked and self._loading:
            # libmpv reads ahead everything available before showing the first frame, so a short
            # block while loading is normal: report it only if it lasts.
            timer = threading.Timer(WAITING_AFTER + 0.01, self.update_waiting)
            timer.daemon = True
            timer.start()
        self.update_waiting()

    def update_waiting(self) -> None:
        now = time.monotonic()
        with self.lock:
            session = self.session
            starving = self._loading and session is not None and session.blocked
            starving = starving and session is not None and now - session.blocked_since >= WAITING_AFTER
            pending = self._seeker.pending
            seeking = pending is not None and now - pending.since >= WAITING_AFTER
            waiting = self._paused_for_cache or starving or seeking
            changed = waiting != self.waiting
            self.waiting = waiting
        if changed:
            self._emit(Waiting(waiting))
