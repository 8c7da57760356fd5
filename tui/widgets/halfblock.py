"""Draw an RGB frame in a terminal with half blocks: two pixels per character cell.

Why this shape: over SSH or without a display, the only picture a terminal reliably shows is
coloured text. ``▀`` with the foreground set to the upper pixel and the background to the lower
one doubles the vertical resolution, and terminal cells being about twice as tall as wide makes
those pixels roughly square. The function is pure (array in, ``Strip`` rows out) so it is tested
on tiny arrays, and cheap enough to run per frame:

* scaling is nearest-neighbour with precomputed index vectors (one numpy gather);
* each pixel pair is packed into one 48-bit integer, and runs of equal pairs along a row become
  a single ``Segment``, so flat areas cost one segment, not one per cell;
* ``Style`` objects are cached by that integer (building a Rich style is the slow part), and a
  pair whose halves are equal is drawn as a space with only a background.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.terminal.scale import UPPER_HALF, centre, fit, pack_pairs, resize_nearest

_LEVELS = 12
_QUANT = ((np.arange(256) * _LEVELS // 256) * 255 // (_LEVELS - 1)).astype(np.uint8)
"""Colour levels per channel. Few, because decoded video is noisy: every distinct (upper,
lower) pair needs its own Rich ``Style``, and the styles that miss the cache below churn
through it, are promoted to the oldest GC generation and set off full collections (100-400 ms
on the UI thread during playback, measured with a loop-lag watchdog). On test-pattern frames
with ±6 of noise (about what H.264 leaves), 100 frames at 100×40 cells: 32 levels missed
199 000 times (23 ms a frame), 16 levels 53 000 (6.6 ms), 12 levels 7 900 (2.8 ms), which
then fit in the cache. 1 728 colours is plenty for a picture of two pixels per cell.
0 and 255 map to themselves.

The style cache below is bounded at 8192 pairs: every entry is a few GC-tracked objects
(tuple, ``Style``, ``Color``s), and at 65 536 entries it was ~390 000 of the ~430 000 objects a
full collection had to scan during playback; at 8192 a collection is several times shorter, while a miss costs only a couple of microseconds."""


@lru_cache(maxsize=8192)
def _pair_style(pair: int) -> tuple[str, Style]:
    top, bottom = pair >> 24, pair & 0xFFFFFF
    bg = Color.from_rgb(bottom >> 16, (bottom >> 8) & 0xFF, bottom & 0xFF)
    if top == bottom:
        return " ", Style(bgcolor=bg)
    fg = Color.from_rgb(top >> 16, (top >> 8) & 0xFF, top & 0xFF)
    return UPPER_HALF, Style(color=fg, bgcolor=bg)


def row_strip(pairs: np.ndarray, pad_left: int = 0, pad_right: int = 0, pad_style: Style | None = None) -> Strip:
    """One row of packed pairs as a ``Strip``, runs of equal pairs merged into one segment."""
    segments: list[Segment] = []
    if pad_left:
        segments.append(Segment(" " * pad_left, pad_style))
    n = len(pairs)
    if n:
        starts = np.flatnonzero(np.diff(pairs)) + 1
        bounds = [0, *starts.tolist(), n]
        values = pairs[bounds[:-1]].tolist()
        for value, a, b in zip(values, bounds[:-1], bounds[1:], strict=True):
            char, style = _pair_style(value)
            segments.append(Segment(char * (b - a), style))
    if pad_right:
        segments.append(Segment(" " * pad_right, pad_style))
    return Strip(segments, pad_left + n + pad_right)


def render(rgb: np.ndarray, cols: int, rows: int, pad_style: Style | None = None) -> list[Strip]:
    """``rows`` strips of ``cols`` cells showing ``rgb`` fitted and centred (letterboxed)."""
    return render_keyed(rgb, cols, rows, pad_style)[0]


def render_keyed(
    rgb: np.ndarray, cols: int, rows: int, pad_style: Style | None = None
) -> tuple[list[Strip], list[bytes]]:
    """``render`` plus one key per row (its colour pairs' bytes): equal keys at the same size mean
    equal rows, so a caller repaints, and the terminal receives, only the rows that changed."""
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"expected an H×W×3 RGB array, got shape {rgb.shape}")
    blank = Strip([Segment(" " * max(cols, 0), pad_style)], max(cols, 0))
    w, h = fit(rgb.shape[1], rgb.shape[0], cols, rows)
    if w == 0:
        return [blank] * max(rows, 0), [b""] * max(rows, 0)
    picture = _QUANT[resize_nearest(np.ascontiguousarray(rgb[..., :3]), w, h)]
    pairs = pack_pairs(picture)
    left, top = centre(w, h, cols, rows)
    right = cols - w - left
    body = [row_strip(row, left, right, pad_style) for row in pairs]
    bottom = rows - top - len(body)
    keys = [b""] * top + [row.tobytes() for row in pairs] + [b""] * bottom
    return [blank] * top + body + [blank] * bottom, keys


_STRIP_CACHES = (
    "_divide_cache",
    "_crop_cache",
    "_style_cache",
    "_filter_cache",
    "_line_length_cache",
    "_crop_extend_cache",
    "_offsets_cache",
)


def release(strips: Iterable[Strip]) -> int:
    """Empty the memo caches of ``strips`` and of every strip derived from them; returns how many.

    Why: ``Strip.crop_extend`` to a strip's own size (which the compositor does with every line)
    caches the strip in *itself*, so every strip drawn is a reference cycle, freed only by the
    cyclic garbage collector.
    A playing preview drops a few thousand such strips (and their segments: ~40 000 objects a
    second at 160×45) and those cycles are what made full collections of 100-400 ms freeze the
    UI every 1-2 s. Emptying the caches when a frame's strips are replaced breaks the cycles, so
    reference counting frees the strips at once. Only caches are touched: a strip still on
    screen stays valid and rebuilds what it needs.
    """
    stack = list(strips)
    seen: set[int] = set()
    while stack:
        strip = stack.pop()
        if id(strip) in seen:
            continue
        seen.add(id(strip))
        for name in _STRIP_CACHES:
            cache = getattr(strip, name, None)
            entries = getattr(cache, "_cache", None)
            if not entries:
                continue
            for value in list(entries.values()):
                if isinstance(value, Strip):
                    stack.append(value)
                elif isinstance(value, list):
                    stack.extend(v for v in value if isinstance(v, Strip))
            cache.clear()  # type: ignore[union-attr]
    return len(seen)
