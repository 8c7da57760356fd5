"""Segment-bar snapshots made without an engine: the planned segments, or a test's chosen states."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.cells.plan import PlanSettings, Segment, SegmentState, plan
from core.model.timeline import Timeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StaticSnapshot:
    """A snapshot built without an engine (satisfies ``core.preview.seam.SnapshotView``)."""

    segments: tuple[Segment, ...] = ()
    states: tuple[SegmentState, ...] = ()
    progress: tuple[float, ...] = ()
    ready: int = 0
    encoding: int = 0
    bytes: int = 0
    encoder: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def planned_snapshot(timeline: Timeline, cell_frames: int) -> StaticSnapshot:
    """The timeline's segments with no engine behind them: pending, or offline."""
    try:
        segments = tuple(plan(timeline, PlanSettings(cell_frames, "no-engine"), lambda ref: ref.id))
    except Exception:  # a plan must never take the editor down
        log.exception("cannot plan the timeline")
        segments = ()
    states = tuple(SegmentState.OFFLINE if s.offline else SegmentState.PENDING for s in segments)
    return StaticSnapshot(segments, states, tuple(0.0 for _ in segments))
