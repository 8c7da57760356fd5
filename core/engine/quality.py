"""Quality adaptation: the ladder of preview rungs and the controller that picks one.

Heavy footage (4K60, long-GOP, 10-bit) can encode slower than real time on a small machine, so
cold playback would starve. The engine can then make the cells ahead of the playhead at a lower
*rung*: a smaller canvas and a higher CRF, which costs less to scale and to encode (decoding the
source costs the same at every rung, which is what bounds the lowest rung, see ``LADDER``).

The controller is fed measurements, never guesses: each finished cell gives one sample of how
many source seconds a worker encodes per wall second at that rung (the cell's frames over the
time from its start to its arrival, so decode, scale, encode and contention with the other
workers are all in it), smoothed by an exponential moving average per rung. The first cells seed
it. ``decide`` drops one rung when the pool's estimated throughput at the current rung is below
real time *and* the stream ready ahead of the playhead is short (playback would starve), once
that rung has a measurement of its own (so one slow figure drops one rung, not all of them); it
climbs one rung only after the buffer has stayed comfortably long for ``CLIMB_HOLD_S`` and the
better rung's own estimate is comfortably above real time. The two margins and the hold are the
hysteresis (as in WebRTC's overuse detector and hls.js's bandwidth estimator): a steady load
settles on one rung and stays there. A better rung's estimate is refreshed whenever cells are
made at it, which happens when the engine sharpens idle cells (``Engine``), so the controller
notices when the load got lighter.

A user can pin a rung (``auto`` lets the controller choose).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.cells.encode import PreviewProfile, preview_canvas
from core.modes import QUALITY_CHOICES, RUNG_NAMES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder, relative to the project's preview profile."""

    name: str
    divisor: int
    """The preview height is divided by this."""
    crf: int
    preset: str = "ultrafast"


LADDER: tuple[Rung, ...] = (
    Rung("full", 1, 26),
    Rung("half", 2, 28),
    Rung("quarter", 4, 30),
)
"""Top rung first. The top rung is the project's preview profile exactly as before adaptation
existed (so its cells keep their keys); the lower ones cut scaled pixels by 4× and 16×."""

if tuple(r.name for r in LADDER) != RUNG_NAMES:  # pragma: no cover - a ladder edit must rename both
    raise AssertionError("core.modes.RUNG_NAMES must name LADDER's rungs in order")

ALPHA = 0.3
"""Weight of a new sample in the moving average of a rung's speed."""
DROP_MARGIN = 1.1
"""Drop when the pool's estimated speed at the current rung is below this × real time..."""
LOW_WATER_S = 4.0
"""...and less than this many seconds of stream are ready ahead of the playhead."""
CLIMB_MARGIN = 1.6
"""Climb only when the better rung's estimate is at least this × real time..."""
HIGH_WATER_S = 8.0
"""...and at least this many seconds were ready ahead of the playhead..."""
CLIMB_HOLD_S = 5.0
"""...for this long without a break."""


def rung_profiles(
    top: PreviewProfile, project_width: int, project_height: int, ladder: tuple[Rung, ...] = LADDER
) -> tuple[PreviewProfile, ...]:
    """The profile of every rung; rung 0 is ``top`` itself (unchanged, so its keys stay)."""
    out = [top]
    for rung in ladder[1:]:
        width, height = preview_canvas(project_width, project_height, max(2, top.height // rung.divisor))
        out.append(replace(top, width=width, height=height, crf=rung.crf, preset=rung.preset))
    return tuple(out)


def rung_index(name: str) -> int | None:
    """Rung of a ``quality`` setting value (None for ``auto``); ValueError when unknown."""
    if name == "auto":
        return None
    for i, rung in enumerate(LADDER):
        if rung.name == name:
            return i
    raise ValueError(f"quality {name!r} is not one of {', '.join(QUALITY_CHOICES)}")


@dataclass(frozen=True)
class ControllerState:
    """What the controller knows, for the status line, ``encode --json`` and benches."""

    rung: int
    pinned: int | None
    speeds: tuple[float | None, ...]
    """Per-worker source seconds per wall second, per rung (None: not measured yet)."""
    changes: int
    """Rung changes made by the controller so far (pins are not counted)."""


class QualityController:
    """Chooses the rung for new work from measured encode speeds and the buffer ahead (thread-safe)."""

    def __init__(self, rungs: int, workers: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        """``workers``: how many workers make the cells just ahead of the playhead at once (the
        engine passes 1: its scheduler encodes contiguous cells as one run on one worker)."""
        self.rungs = max(1, rungs)
        self.workers = max(1, workers)
        self._clock = clock
        self._lock = threading.Lock()
        self._speeds: list[float | None] = [None] * self.rungs
        self._rung = 0
        self._pinned: int | None = None
        self._comfortable_since: float | None = None
        self.changes = 0

    @property
    def rung(self) -> int:
        """The rung new work is made at (the pinned one when pinned)."""
        with self._lock:
            return self._pinned if self._pinned is not None else self._rung

    def pin(self, rung: int | None) -> None:
        """Pin ``rung`` (None: back to automatic, from the rung the controller had chosen)."""
        if rung is not None and not 0 <= rung < self.rungs:
            raise ValueError(f"rung {rung} is not on a ladder of {self.rungs}")
        with self._lock:
            self._pinned = rung

    @property
    def pinned(self) -> int | None:
        with self._lock:
            return self._pinned

    def record(self, rung: int, source_seconds: float, wall_seconds: float) -> None:
        """One cell of ``source_seconds`` made at ``rung`` in ``wall_seconds`` by one worker."""
        if not 0 <= rung < self.rungs or source_seconds <= 0 or wall_seconds <= 0:
            return
        sample = source_seconds / wall_seconds
        with self._lock:
            old = self._speeds[rung]
            self._speeds[rung] = sample if old is None else old + ALPHA * (sample - old)

    def speed(self, rung: int) -> float | None:
        """Estimated pool throughput at ``rung`` in source seconds per wall second.

        An unmeasured rung is assumed as fast as the nearest measured better rung (a lower rung
        is never slower; assuming no gain keeps the controller from climbing on hope)."""
        with self._lock:
            return self._speed(rung)

    def _speed(self, rung: int) -> float | None:
        for r in range(rung, -1, -1):
            measured = self._speeds[r]
            if measured is not None:
                return measured * self.workers
        return None

    def decide(self, ahead_seconds: float, *, complete: bool = False) -> int:
        """Update the rung from the buffer ahead (``complete``: everything ahead is ready)."""
        now = self._clock()
        with self._lock:
            rung = self._rung
            current = self._speed(rung)
            if complete or ahead_seconds >= HIGH_WATER_S:
                if self._comfortable_since is None:
                    self._comfortable_since = now
            else:
                self._comfortable_since = None
            if self._pinned is not None:
                return self._pinned  # pinned: measure, but do not move
            if (
                rung + 1 < self.rungs
                and self._speeds[rung] is not None  # after a drop, wait for the new rung's own figure
                and current is not None
                and current < DROP_MARGIN
                and ahead_seconds < LOW_WATER_S
                and not complete
            ):
                self._set(rung + 1, f"{current:.2f}x real time, {ahead_seconds:.1f} s ahead")
            elif rung > 0 and self._comfortable_since is not None and now - self._comfortable_since >= CLIMB_HOLD_S:
                better = self._speed(rung - 1)
                if better is not None and better >= CLIMB_MARGIN:
                    self._set(rung - 1, f"rung {rung - 1} estimated at {better:.2f}x real time")
            return self._pinned if self._pinned is not None else self._rung

    def _set(self, rung: int, why: str) -> None:
        log.info("preview quality: rung %d -> %d (%s)", self._rung, rung, why)
        self._rung = rung
        self._comfortable_since = None
        self.changes += 1

    def state(self) -> ControllerState:
        with self._lock:
            return ControllerState(
                self._pinned if self._pinned is not None else self._rung,
                self._pinned,
                tuple(self._speeds),
                self.changes,
            )
