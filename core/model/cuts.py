"""Many cuts at once: remove timeline ranges (ripple) and split clips at timeline frames.

What ``core.analysis`` proposes (silences to remove, scene changes to split at) becomes ONE new
``Timeline`` value here, so the editor can apply it as one undoable edit and the command line can
save it. Pure functions over the model's values, like the edits of ``core.model.timeline``; each
walks the clips once, however many ranges there are (an hour of talk has hundreds of pauses).

Every clip keeps its media, gain and mute; only in/out change, inside what it already showed, so a
preview or export of the result reuses every cell (nothing is re-encoded). Markers follow the
ripple: one after a removed range moves up by its length, one inside it moves to the cut; two that
land on one frame keep the first.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import replace

from core.errors import EditError
from core.model.timeline import GAP, Clip, Marker, Timeline, gap


def _normalised(ranges: Iterable[tuple[int, int]], duration: int) -> list[tuple[int, int]]:
    """Ranges clamped to ``[0, duration)``, sorted, overlapping or touching ones merged, empty ones dropped."""
    out: list[tuple[int, int]] = []
    for first, end in sorted(ranges):
        if end < first:
            raise EditError(f"a range to remove needs start ≤ end (got {first}..{end})")
        first, end = max(0, first), min(duration, end)
        if end <= first:
            continue
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((first, end))
    return out


def remove_ranges(timeline: Timeline, ranges: Iterable[tuple[int, int]]) -> Timeline:
    """``timeline`` without timeline frames ``[start, end)`` of each range; later material moves up."""
    cuts = _normalised(ranges, timeline.duration)
    if not cuts:
        return timeline
    clips: list[Clip] = []
    for placed in timeline.placed():
        pos = placed.start
        for first, end in cuts:
            if end <= pos or first >= placed.end:
                continue
            if first > pos:
                clips.append(_part(placed.clip, pos - placed.start, first - placed.start))
            pos = max(pos, end)
        if pos < placed.end:
            clips.append(_part(placed.clip, pos - placed.start, placed.end - placed.start))
    starts = [first for first, _ in cuts]
    removed_before = [0]
    for first, end in cuts:
        removed_before.append(removed_before[-1] + end - first)

    def moved(frame: int) -> int:
        i = bisect.bisect_right(starts, frame) - 1
        if i < 0:
            return frame
        first, end = cuts[i]
        if frame < end:  # inside a removed range: to the cut
            return first - removed_before[i]
        return frame - removed_before[i + 1]

    markers: dict[int, Marker] = {}
    for marker in timeline.markers:
        markers.setdefault(moved(marker.frame), Marker(moved(marker.frame), marker.name))
    return replace(timeline, clips=tuple(clips), markers=tuple(sorted(markers.values())))


def _part(clip: Clip, first: int, end: int) -> Clip:
    """Frames ``[first, end)`` of ``clip``, counted from its start (a gap is only its length)."""
    if clip.media == GAP:
        return gap(end - first)
    return replace(clip, in_=clip.in_ + first, out=clip.in_ + end)


def split_at(timeline: Timeline, frames: Iterable[int]) -> Timeline:
    """``timeline`` with its clips cut at each timeline frame (frames at an edit point or outside are ignored)."""
    points = sorted(set(frames))
    if not points:
        return timeline
    clips: list[Clip] = []
    for placed in timeline.placed():
        lo = bisect.bisect_right(points, placed.start)
        hi = bisect.bisect_left(points, placed.end)
        offset = 0
        for point in points[lo:hi]:
            clips.append(_part(placed.clip, offset, point - placed.start))
            offset = point - placed.start
        clips.append(_part(placed.clip, offset, placed.clip.length) if offset else placed.clip)
    return replace(timeline, clips=tuple(clips))


def autocut(timeline: Timeline, splits: Sequence[int] = (), removals: Sequence[tuple[int, int]] = ()) -> Timeline:
    """One edit: split at ``splits``, then remove ``removals`` (both in ``timeline``'s frames)."""
    return remove_ranges(split_at(timeline, splits), removals)
