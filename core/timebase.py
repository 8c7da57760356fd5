"""Integer time: frames at the project rate.

Inside the engine every position is a frame count at the project's rational frame rate, so
edits never accumulate float error and two positions compare exactly. Seconds, PyAV pts and
``HH:MM:SS:FF`` timecode exist only at the edges, converted by the helpers here.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_TIMECODE = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2})[:;](\d{1,3})$")
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)s$")
_RATE = re.compile(r"^[+-]?(?:\d{1,20}(?:\.\d{0,20})?|\.\d{1,20})(?:[eE][+-]?\d{1,3})?(?:/\d{1,20})?$")
"""What a rate may look like as text, checked before any Fraction or float work: ``Fraction``
of ``"1e999999999"`` builds a billion-digit integer (minutes of CPU, hundreds of MB), so the
digits and the exponent are bounded here (a bound far above any real rate)."""
MAX_RATE_TEXT = 64


def parse_fps(value: str | int | float | Fraction) -> Fraction:
    """Parse a frame rate such as ``"30"``, ``"30000/1001"`` or ``"29.97"`` into a Fraction.

    Raises ValueError with a readable message for anything that is not a positive rate.
    """
    try:
        if isinstance(value, Fraction):
            fps = value
        elif isinstance(value, bool):
            raise ValueError
        elif isinstance(value, (int, float)):
            fps = Fraction(value).limit_denominator(1001)
        else:
            text = value.strip()
            if len(text) > MAX_RATE_TEXT or not _RATE.match(text):
                raise ValueError
            fps = Fraction(text) if "/" in text else Fraction(text).limit_denominator(1001)
    except (ValueError, ZeroDivisionError, TypeError, AttributeError, OverflowError):
        raise ValueError(f'{_shown(value)} is not a frame rate (use e.g. "30" or "30000/1001")') from None
    if fps <= 0 or fps > 1000:
        raise ValueError(f"{_shown(value)} is not a frame rate between 0 and 1000")
    return snap_fps(fps)


def _shown(value: object) -> str:
    """The rejected value for a message: its repr, cut to a line's worth."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_NTSC = tuple(Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120))


def snap_fps(fps: Fraction) -> Fraction:
    """Snap a measured or decimal rate to the NTSC rate it approximates (29.97 → 30000/1001).

    Real files and decimal strings give rates like 2997/100 or 90000/3013; treating them as the
    exact broadcast rate keeps timecode and cell boundaries where users expect them.
    """
    rounded = Fraction(round(fps))
    if rounded and abs(fps - rounded) / rounded < Fraction(1, 2000):
        return rounded
    for ntsc in _NTSC:
        if abs(fps - ntsc) / ntsc < Fraction(1, 2000):
            return ntsc
    return fps


COMMON_RATES = tuple(
    sorted(
        {Fraction(n) for n in (10, 12, 15, 20, 24, 25, 30, 48, 50, 60, 90, 100, 120, 240)}
        | {Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120, 240)}
    )
)
"""Rates cameras, phones and editors record at; a project made from a clip snaps to the nearest."""
_PROJECT_SNAP = Fraction(1, 500)
"""How near (0.2 %) a clip's rate must be to a common rate for a project made from it to take
that rate: wide enough for a phone's measured 10000/333 (30.03, 0.1 % off 30), narrow enough to
keep a Pixel's real 90000/3013 (29.87, 0.3 % off 29.97)."""


def project_rate(fps: Fraction) -> Fraction:
    """The rate of a project made from a clip measured at ``fps``: the nearest common rate within
    0.2 %, else ``fps`` itself (10.5 fps stays 10.5).

    Phones stamp frames off their grid and measured rates land just off a whole number
    (90000/8993 for 10 fps); a project at such a rate would have odd cell boundaries and timecode.
    """
    nearest = min(COMMON_RATES, key=lambda rate: abs(fps - rate))
    return nearest if abs(fps - nearest) <= nearest * _PROJECT_SNAP else fps


def frames_to_seconds(frames: int, fps: Fraction) -> Fraction:
    """Exact seconds of ``frames`` frames."""
    return Fraction(frames) / fps


def seconds_to_frames(seconds: Fraction | float, fps: Fraction) -> int:
    """The frame shown at ``seconds`` (floor, with a tiny tolerance for float input)."""
    value = (
        Fraction(seconds) * fps if not isinstance(seconds, float) else Fraction(seconds).limit_denominator(10**9) * fps
    )
    return math.floor(value + Fraction(1, 10**6))


def frame_at_rate(frame: int, old: Fraction, new: Fraction) -> int:
    """The frame at rate ``new`` nearest the time of ``frame`` at rate ``old`` (halves round up):
    a project whose rate changes keeps every position at its time, not at its frame number."""
    return math.floor(frame * new / old + Fraction(1, 2))


def displayed_frame(seconds: float, fps: Fraction) -> int:
    """The frame a player reports showing at ``seconds`` (float, from libmpv): the nearest one.

    A player's clock is a float sum of the frame's timestamp and a session offset, so it can land
    a hair below the frame's exact time; rounding (not flooring) absorbs that.
    """
    return round(Fraction(seconds).limit_denominator(10**6) * fps)


def frames_to_pts(frames: int, fps: Fraction, time_base: Fraction) -> int:
    """PyAV pts of frame ``frames`` in a stream with ``time_base`` (rounded to nearest)."""
    return round(Fraction(frames) / fps / time_base)


def pts_to_seconds(pts: int, time_base: Fraction) -> Fraction:
    return Fraction(pts) * time_base


def nominal_fps(fps: Fraction) -> int:
    """Frames per timecode second: 30 for 30000/1001, 24 for 24000/1001."""
    return max(1, math.ceil(fps - Fraction(1, 100)))


def frames_to_timecode(frames: int, fps: Fraction) -> str:
    """``HH:MM:SS:FF`` (non-drop-frame, counting ``nominal_fps`` frames per second)."""
    sign = "-" if frames < 0 else ""
    frames = abs(frames)
    base = nominal_fps(fps)
    ff = frames % base
    total_s = frames // base
    return f"{sign}{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}:{ff:02d}"


def timecode_to_frames(text: str, fps: Fraction) -> int:
    """Inverse of :func:`frames_to_timecode`; ValueError when malformed."""
    m = _TIMECODE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a timecode HH:MM:SS:FF")
    hh, mm, ss, ff = (int(g) for g in m.groups())
    base = nominal_fps(fps)
    if mm >= 60 or ss >= 60 or ff >= base:
        raise ValueError(f"{text!r} is not a valid timecode at {fps} fps")
    return ((hh * 60 + mm) * 60 + ss) * base + ff


def parse_time(value: object, fps: Fraction) -> int:
    """Frames from an int, ``"5.5s"`` (seconds) or ``"HH:MM:SS:FF"``; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        m = _SECONDS.match(text)
        if m:
            return seconds_to_frames(Fraction(m.group(1)), fps)
        return timecode_to_frames(text, fps)
    raise ValueError(f'{value!r} is not a time (frames, "5.5s" or "HH:MM:SS:FF")')


def format_seconds(frames: int, fps: Fraction) -> str:
    """Short human length such as ``12.4s`` or ``3m05s``."""
    seconds = float(frames_to_seconds(frames, fps))
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"
