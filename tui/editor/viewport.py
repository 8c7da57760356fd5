"""The horizontal scale shared by the timeline and the segment bar.

Why a separate value: the segment bar must line up column for column with the clips above it,
so both widgets draw from the same ``Scale`` (first visible frame, frames per column) instead of
each computing its own. Frames per column is a ``Fraction`` so "fit" is exact for any duration
and width, and zooming by halves never drifts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

MIN_FPC = Fraction(1, 8)
"""Most zoomed in: eight columns per frame."""


@dataclass(frozen=True)
class Scale:
    """Column ``c`` of the view shows frames ``[first + c*fpc, first + (c+1)*fpc)``."""

    first: int = 0
    """Timeline frame at the left edge."""
    fpc: Fraction = Fraction(1)
    """Frames per column (> 0)."""

    def col(self, frame: int) -> int:
        """Column showing ``frame`` (may be outside the view)."""
        # floor((frame - first) / fpc) in integers: called for every clip edge on every redraw
        return (frame - self.first) * self.fpc.denominator // self.fpc.numerator

    def frame(self, col: int) -> int:
        """First frame shown in column ``col``."""
        return self.first + col * self.fpc.numerator // self.fpc.denominator

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Columns ``[c0, c1)`` for frames ``[start, end)``: a column belongs to the range holding its
        first frame, so neighbours never overlap; a range too short for that still gets one column."""
        c0 = self.col(start)
        return c0, max(self.col(end), c0 + 1)

    def visible_frames(self, width: int) -> Fraction:
        return width * self.fpc


def fit_fpc(duration: int, width: int) -> Fraction:
    """Frames per column that shows the whole timeline (plus its end) in ``width`` columns."""
    return max(MIN_FPC, Fraction(max(duration, 1) + 1, max(width, 1)))


def zoom(fpc: Fraction | None, duration: int, width: int, step: int) -> Fraction | None:
    """Zoom in (``step`` > 0) or out by factors of two; None means "fit" (zooming out stops there)."""
    fit = fit_fpc(duration, width)
    current = fit if fpc is None else fpc
    new = current / 2 if step > 0 else current * 2
    if new >= fit:
        return None
    return max(MIN_FPC, new)


FRAMES_FPC = Fraction(1, 4)
"""The "frames" zoom: four columns per frame, so single frames and their edges can be told apart."""


def clip_fpc(length: int, width: int) -> Fraction:
    """Frames per column that shows a clip of ``length`` frames across ``width`` columns (with a
    column to spare on each side, so its edges show)."""
    return max(MIN_FPC, Fraction(max(length, 1), max(width - 2, 1)))


def follow(scale: Scale, playhead: int, width: int, duration: int) -> Scale:
    """Scroll so the playhead is visible: when it leaves the view, page to put it at a quarter."""
    visible = scale.visible_frames(width)
    last_first = max(0, math.ceil(duration + 1 - visible))
    first = scale.first
    col = scale.col(playhead)
    if col < 0 or col >= width:
        first = playhead - math.floor(visible / 4)
    first = max(0, min(first, last_first))
    return Scale(first, scale.fpc)


def layout(zoom_fpc: Fraction | None, previous: Scale, playhead: int, width: int, duration: int) -> Scale:
    """The scale for a view of ``width`` columns at zoom ``zoom_fpc`` (None: fit) following the playhead."""
    if zoom_fpc is None:
        return Scale(0, fit_fpc(duration, width))
    return follow(Scale(previous.first, zoom_fpc), playhead, width, duration)
