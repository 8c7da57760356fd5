"""Half-block frames as plain ANSI text, for ``livecut play`` outside the editor.

The editor draws through Textual (``tui.draw.halfblock``); the standalone player has no app, so it
writes escape sequences itself: truecolour ``▀`` cells, the upper pixel as foreground and the
lower as background, with colour codes emitted only when they change along a row.
"""

from __future__ import annotations

import numpy as np

from tui.draw.scale import UPPER_HALF, fit, resize_nearest


def frame_to_ansi(rgb: np.ndarray, cols: int, rows: int) -> str:
    """The frame scaled to fit ``cols`` × ``rows`` cells, as rows of ANSI text (cursor homed)."""
    lines = frame_rows(rgb, cols, rows)
    return "\x1b[H" + "".join(line + "\r\n" for line in lines) if lines else ""


def frame_rows(rgb: np.ndarray, cols: int, rows: int) -> list[str]:
    """One string per row of cells (colours reset and the line cleared at its end).

    Foreground and background codes are each written only when they change along the row, so
    flat areas cost one character per cell; callers compare rows with the previous frame's and
    send only those that changed.
    """
    h_src, w_src = rgb.shape[:2]
    w, h = fit(w_src, h_src, cols, rows)
    if w <= 0 or h <= 0:
        return []
    small = resize_nearest(rgb[..., :3], w, h)
    if h % 2:
        small = np.concatenate([small, small[-1:]])
    packed = (small[..., 0].astype(np.int64) << 16) | (small[..., 1].astype(np.int64) << 8) | small[..., 2]
    lines: list[str] = []
    for y in range(0, h, 2):
        top, bottom = packed[y].tolist(), packed[y + 1].tolist()
        parts: list[str] = []
        fg = bg = -1
        for t, b in zip(top, bottom, strict=True):
            if t != fg:
                parts.append(f"\x1b[38;2;{t >> 16};{(t >> 8) & 255};{t & 255}m")
                fg = t
            if b != bg:
                parts.append(f"\x1b[48;2;{b >> 16};{(b >> 8) & 255};{b & 255}m")
                bg = b
            parts.append(UPPER_HALF)
        parts.append("\x1b[0m\x1b[K")
        lines.append("".join(parts))
    return lines
