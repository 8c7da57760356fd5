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
from core.timebase import parse_fps
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


def rate_change_note(old: Fraction, new: Fraction, clips: int) -> str:
    """What changing the rate does to a timeline with ``clips`` clips ("" when nothing)."""
    if old == new or clips == 0:
        return ""
    return (
        f"{rate_hint(old)} → {rate_hint(new)}: the {clips} clip{'s' if clips != 1 else ''} keep their source "
        "times and cut points (in/out converted to the nearest frame), not their frame numbers"
    )
