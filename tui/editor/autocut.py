"""The editor's automatic cuts (#29): what the dialog's fields mean, what is analysed, what would go.

Why apart from the screen: the analysis (``core.analysis``) runs on a worker thread and the edit
(``core.model.cuts.autocut``) is one value, so everything between them is plain code a test can run
without Textual: reading the dialog's fields with the command line's defaults and limits, limiting
the proposal to the selected clips, and the sentence that says what would go before it is applied.

A ``Proposal`` remembers the timeline it was computed on: the editor stays usable while the
analysis runs, and a proposal for a timeline that has changed since is refused, not applied to
frames it was not measured on.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.analysis.scenes import DEFAULT_THRESHOLD, find_scene_cuts
from core.analysis.silence import DEFAULT_DB, DEFAULT_MARGIN, DEFAULT_SECONDS, SilenceSettings, find_silences
from core.model.cuts import autocut
from core.model.timeline import Timeline
from tui.editor.editing import Cursor, is_picked

Kind = Literal["silence", "scenes"]

TITLES: dict[Kind, str] = {"silence": "Remove silences…", "scenes": "Split at scene changes…"}

FIELDS: dict[Kind, tuple[tuple[str, str, float, float, float], ...]] = {
    # name, caption, default, low, high: the command line's defaults and limits (``livecut autocut``)
    "silence": (
        ("db", "Threshold dBFS", DEFAULT_DB, -200.0, 0.0),
        ("seconds", "Minimum seconds", DEFAULT_SECONDS, 0.01, 3600.0),
        ("margin", "Margin seconds", DEFAULT_MARGIN, 0.0, 3600.0),
    ),
    "scenes": (("threshold", "Threshold", DEFAULT_THRESHOLD, 0.01, 255.0),),
}


@dataclass(frozen=True)
class Request:
    """What to analyse: the kind and its settings (``values`` by the names of ``FIELDS``)."""

    kind: Kind
    values: tuple[tuple[str, float], ...]

    def value(self, name: str) -> float:
        return dict(self.values)[name]


def field_texts(kind: Kind) -> dict[str, str]:
    return {name: f"{default:g}" for name, _, default, _, _ in FIELDS[kind]}


def check(kind: Kind, texts: dict[str, str]) -> tuple[Request | None, dict[str, str]]:
    """The request the fields say, or None and what is wrong with each wrong field."""
    values: list[tuple[str, float]] = []
    errors: dict[str, str] = {}
    for name, _, _, low, high in FIELDS[kind]:
        text = texts.get(name, "").strip()
        try:
            value = float(text)
        except ValueError:
            errors[name] = f"{text!r} is not a number"
            continue
        if not math.isfinite(value) or not low <= value <= high:
            errors[name] = f"{text} is outside {low:g}..{high:g}"
            continue
        values.append((name, value))
    return (None if errors else Request(kind, tuple(values))), errors


def spans(tl: Timeline, cur: Cursor) -> tuple[tuple[int, int], ...]:
    """Timeline frames of the selection: the ``v``-marked clips, else the tab-selected one; empty: none
    is selected (the whole timeline)."""
    placed = list(tl.placed())
    if cur.marked:
        chosen = sorted(i for i in cur.marked if i < len(tl.clips))
    elif is_picked(tl, cur):
        chosen = [cur.picked] if cur.picked is not None else []
    else:
        return ()
    return tuple((placed[i].start, placed[i].end) for i in chosen)


def _inside(ranges: tuple[tuple[int, int], ...], within: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    out = []
    for first, end in ranges:
        for lo, hi in within:
            a, b = max(first, lo), min(end, hi)
            if a < b:
                out.append((a, b))
    return tuple(sorted(out))


@dataclass(frozen=True)
class Proposal:
    """What an analysis found for ``timeline``: ranges to remove, frames to split at."""

    request: Request
    timeline: Timeline
    removed: tuple[tuple[int, int], ...] = ()
    splits: tuple[int, ...] = ()
    scope: str = "the timeline"

    @property
    def result(self) -> Timeline:
        return autocut(self.timeline, self.splits, self.removed)

    @property
    def empty(self) -> bool:
        return not self.removed and not self.splits

    @property
    def label(self) -> str:
        """The history's label (what undo says it undoes)."""
        if self.request.kind == "silence":
            return f"remove {len(self.removed)} silences"
        return f"split at {len(self.splits)} scene changes"

    def summary(self) -> str:
        """``3 stretches, 4.20 s removed (12.00 s → 7.80 s)`` / ``2 splits``, and where."""
        fps = self.timeline.fps
        if self.request.kind == "silence":
            gone = sum(b - a for a, b in self.removed)
            before, after = self.timeline.duration, self.timeline.duration - gone
            n = len(self.removed)
            return (
                f"{n} {'stretch' if n == 1 else 'stretches'}, {float(gone / fps):.2f} s removed "
                f"({float(before / fps):.2f} s → {float(after / fps):.2f} s) in {self.scope}"
            )
        n = len(self.splits)
        return f"{n} {'split' if n == 1 else 'splits'} in {self.scope}"


def analyse(
    request: Request,
    timeline: Timeline,
    within: tuple[tuple[int, int], ...],
    folder: Path,
    cancel: threading.Event | None = None,
    progress: Callable[[float], None] | None = None,
) -> Proposal:
    """Run the analysis (on a worker thread: it decodes what is not cached; raises ``Cancelled``)."""
    scope = "the timeline" if not within else f"{len(within)} selected clip{'s' if len(within) > 1 else ''}"
    if request.kind == "silence":
        settings = SilenceSettings(
            db=request.value("db"), min_silence=request.value("seconds"), margin=request.value("margin")
        )
        ranges = find_silences(timeline, settings, folder, cancel, progress).ranges
        return Proposal(request, timeline, removed=_inside(ranges, within) if within else ranges, scope=scope)
    frames = find_scene_cuts(timeline, request.value("threshold"), folder, cancel, progress).frames
    if within:
        frames = tuple(f for f in frames if any(lo < f < hi for lo, hi in within))
    return Proposal(request, timeline, splits=frames, scope=scope)
