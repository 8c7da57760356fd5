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
    h_src, w_src = rgb.shape[:2]
    w, h = fit(w_src, h_src, cols, rows)
    if w <= 0 or h <= 0:
        return ""
    small = resize_nearest(rgb, w, h)
    lines = ["\x1b[H"]
    for y in range(0, h, 2):
        top, bottom = small[y], small[y + 1] if y + 1 < h else small[y]
        parts: list[str] = []
        last: tuple[int, ...] | None = None
        for x in range(w):
            key = (*top[x].tolist(), *bottom[x].tolist())
            if key != last:
                parts.append("\x1b[38;2;{};{};{}m\x1b[48;2;{};{};{}m".format(*key))
                last = key
            parts.append(UPPER_HALF)
        parts.append("\x1b[0m\x1b[K\r\n")
        lines.append("".join(parts))
    return "".join(lines)
