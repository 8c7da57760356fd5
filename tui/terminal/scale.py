"""Fitting and scaling a frame to terminal cells: the pure numpy half of terminal drawing.

Shared by the Textual strips of ``tui.widgets.halfblock`` and the escape-code writers
``tui.terminal.blockwriter``, which must not import Textual (``livecut play``).
"""

from __future__ import annotations

import numpy as np

UPPER_HALF = "▀"


def fit(src_w: int, src_h: int, cols: int, rows: int) -> tuple[int, int]:
    """Pixel size (w, h) of the largest picture with ``src``'s aspect in ``cols`` × ``rows`` cells.

    ``h`` is even (two pixels per row of cells); both are at least 1×2 when there is any room.
    """
    if src_w <= 0 or src_h <= 0 or cols <= 0 or rows <= 0:
        return 0, 0
    max_h = rows * 2
    w = cols
    h = round(src_h * w / src_w)
    if h > max_h:
        h = max_h
        w = max(1, min(cols, round(src_w * h / src_h)))
    h = max(2, h - h % 2)
    return w, h


def centre(w: int, h: int, cols: int, rows: int) -> tuple[int, int]:
    """(left column, top cell row) of a ``w``×``h``-pixel picture (``fit``) centred in ``cols`` ×
    ``rows`` cells. One rule for the Textual strips and the block writer: the writer takes what
    Textual painted as its starting point, so both must put the picture in the same cells."""
    return (cols - w) // 2, (rows - h // 2) // 2


def resize_nearest(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    """``rgb`` (H×W×3) scaled to h×w×3 by nearest neighbour (pixel centres)."""
    src_h, src_w = rgb.shape[:2]
    if (src_w, src_h) == (w, h):
        return rgb
    ys = ((np.arange(h) * 2 + 1) * src_h // (2 * h)).clip(0, src_h - 1)
    xs = ((np.arange(w) * 2 + 1) * src_w // (2 * w)).clip(0, src_w - 1)
    scaled: np.ndarray = rgb[ys[:, None], xs[None, :]]
    return scaled


def pack_pairs(rgb: np.ndarray) -> np.ndarray:
    """(h/2)×w int64 array: upper pixel's 24-bit colour << 24 | lower pixel's colour."""
    px = rgb.astype(np.int64)
    packed = (px[..., 0] << 16) | (px[..., 1] << 8) | px[..., 2]
    return (packed[0::2] << 24) | packed[1::2]
