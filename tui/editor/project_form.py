"""The project settings form as plain values: each field's text checked against the model's limits.

Why apart from the dialog (``tui.screens.project_settings``): what a field accepts, and the sentence
that says why not, is the part worth testing without a terminal, and the limits must be the ones
``core.model.project`` enforces when it loads a file, so a value the dialog takes always saves and
loads back. The export size must also be even: H.264 in 4:2:0 needs it, and the export would
otherwise round it silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from core.model.project import MAX_AREA, MAX_PREVIEW_HEIGHT, MAX_SIZE
from core.model.timeline import GAP, Timeline
from core.timebase import frame_at_rate, parse_fps
from tui.editor.document import ProjectSettings

FIELDS = ("name", "fps", "size", "preview_height")
"""The form's fields, in order (the dialog's input ids)."""
MAX_NAME = 100
"""Longest project name: it names the export file and shows in the status line."""
MIN_PREVIEW_HEIGHT = 16
"""Lowest preview height: below it a preview shows nothing recognisable."""
T = TypeVar("T")
_SIZE = re.compile(r"^\s*(\d+)\s*[x×*, ]\s*(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Checked:
    """The form's verdict: the settings when every field is right, else one sentence per wrong field."""

    settings: ProjectSettings | None
    errors: Mapping[str, str] = field(default_factory=dict)


def rate_text(fps: Fraction) -> str:
    """A rate as the field shows it: ``25``, ``30000/1001``."""
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def rate_hint(fps: Fraction) -> str:
    """A rate for people: ``29.97 fps`` (``30000/1001``)."""
    return f"{float(fps):.3f}".rstrip("0").rstrip(".") + " fps"


def field_texts(settings: ProjectSettings) -> dict[str, str]:
    """What each field starts with."""
    return {
        "name": settings.name,
        "fps": rate_text(settings.fps),
        "size": f"{settings.width}×{settings.height}",
        "preview_height": str(settings.preview_height),
    }


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise ValueError("give the project a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"at most {MAX_NAME} characters (this is {len(name)})")
    if any(not ch.isprintable() for ch in name):
        raise ValueError("control characters cannot be part of a name")
    return name


def parse_rate(text: str) -> Fraction:
    """``25``, ``29.97``, ``30000/1001``, ``24000/1001``, ``59.94 fps``…; decimals of NTSC rates snap
    to the exact rate as the model does (``core.timebase.parse_fps``)."""
    value = text.strip().lower().removesuffix("fps").strip()
    if not value:
        raise ValueError("give a frame rate, e.g. 25, 29.97 or 30000/1001")
    try:
        return parse_fps(value)
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a frame rate between 0 and 1000: try 25, 29.97 or 30000/1001"
        ) from None


def parse_size(text: str) -> tuple[int, int]:
    """``1920×1080`` (or ``1920x1080``, ``1920 1080``): even, at most ``MAX_SIZE`` a side and
    ``MAX_AREA`` pixels."""
    m = _SIZE.match(text)
    if not m:
        raise ValueError("write the size as width×height, e.g. 1920×1080 (x works too)")
    width, height = int(m.group(1)), int(m.group(2))
    for side, value in (("width", width), ("height", height)):
        if not 2 <= value <= MAX_SIZE:
            raise ValueError(f"the {side} must be between 2 and {MAX_SIZE} (it is {value})")
        if value % 2:
            raise ValueError(f"the {side} must be even for H.264 ({value - 1} or {value + 1}?)")
    if width * height > MAX_AREA:
        raise ValueError(f"{width}×{height} is more than H.264 can encode ({MAX_AREA} pixels at most)")
    return width, height


def parse_preview_height(text: str) -> int:
    value = text.strip().lower().removesuffix("p").strip()
    if not value.isdigit():
        raise ValueError("give the preview's height in pixels, e.g. 360")
    height = int(value)
    if not MIN_PREVIEW_HEIGHT <= height <= MAX_PREVIEW_HEIGHT:
        raise ValueError(f"between {MIN_PREVIEW_HEIGHT} and {MAX_PREVIEW_HEIGHT} (the export has the full size)")
    return height


def check(texts: Mapping[str, str]) -> Checked:
    """Every field checked at once, so the user sees every problem together."""
    errors: dict[str, str] = {}

    def attempt(name: str, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(texts.get(name, ""))
        except ValueError as exc:
            errors[name] = str(exc)
            return None

    name = attempt("name", parse_name)
    fps = attempt("fps", parse_rate)
    size = attempt("size", parse_size)
    preview = attempt("preview_height", parse_preview_height)
    if name is None or fps is None or size is None or preview is None:
        return Checked(None, errors)
    return Checked(ProjectSettings(name, fps, size[0], size[1], preview))


@dataclass(frozen=True)
class MovedCut:
    """A cut point whose time a new rate changes: it lands on the nearest frame of that rate."""

    what: str
    """``clip 2's start``, ``clip 2's source in``, ``the end``, ``marker 'x'``."""
    before: Fraction
    """Seconds at the old rate."""
    after: Fraction
    """Seconds at the new rate."""

    def __str__(self) -> str:
        return f"{self.what} {_seconds(self.before)} → {_seconds(self.after)}"


def _seconds(t: Fraction) -> str:
    return f"{float(t):.3f} s"


def moved_cuts(timeline: Timeline, fps: Fraction) -> tuple[MovedCut, ...]:
    """Every cut point ``Timeline.at_rate(fps)`` moves, with its time before and after, in
    timeline order: clip starts, each clip's source in and out, the end, markers. Nothing else
    moves (a point whose time is a whole frame of both rates stays exactly)."""
    if fps == timeline.fps:
        return ()
    new = timeline.at_rate(fps)
    old_fps = timeline.fps
    found: list[MovedCut] = []

    def compare(what: str, old_frame: int, new_frame: int) -> None:
        before, after = Fraction(old_frame) / old_fps, Fraction(new_frame) / fps
        if before != after:
            found.append(MovedCut(what, before, after))

    for i, (a, b, start, new_start) in enumerate(
        zip(timeline.clips, new.clips, timeline.starts(), new.starts(), strict=True)
    ):
        if i:
            compare(f"clip {i + 1}'s start", start, new_start)
        if a.media != GAP:
            compare(f"clip {i + 1}'s source in", a.in_, b.in_)
            compare(f"clip {i + 1}'s source out", a.out, b.out)
    compare("the end", timeline.duration, new.duration)
    for marker in timeline.markers:
        compare(
            f"marker {marker.name!r}" if marker.name else "a marker",
            marker.frame,
            frame_at_rate(marker.frame, old_fps, fps),
        )
    return tuple(found)


SHOWN_MOVES = 3
"""Moved cut points named in the note; the rest are counted."""


def rate_change_note(timeline: Timeline, new: Fraction) -> str:
    """What changing the rate does to ``timeline`` ("" when nothing), said before it is applied:
    the rule, then which cut points move and by how much (#26: a round trip 30 → 25 → 30 used
    to lengthen the timeline by a frame without a word)."""
    old, clips = timeline.fps, len(timeline.clips)
    if old == new or clips == 0:
        return ""
    rule = (
        f"{rate_hint(old)} → {rate_hint(new)}: the {clips} clip{'s' if clips != 1 else ''} keep their source "
        "times and cut points (in/out converted to the nearest frame), not their frame numbers"
    )
    moves = moved_cuts(timeline, new)
    if not moves:
        return rule + "; every cut point stays exactly where it is"
    most = max(abs(m.after - m.before) for m in moves)
    frames = "under a frame" if most < 1 / new else f"{float(most * new):.1f} frames"
    shown = sorted(moves, key=lambda m: m.what != "the end")  # the length first: it is what a round trip changes
    listed = "; ".join(str(m) for m in shown[:SHOWN_MOVES])
    more = f"; and {len(moves) - SHOWN_MOVES} more" if len(moves) > SHOWN_MOVES else ""
    return (
        f"{rule}.\n{len(moves)} cut point{'s' if len(moves) != 1 else ''} move by up to "
        f"{float(most) * 1000:.0f} ms ({frames}): {listed}{more}"
    )
