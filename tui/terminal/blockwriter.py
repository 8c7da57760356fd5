"""Half-block pictures written as compact escape codes: only the cells that changed, colour codes
only where the colour changes, and no more bytes a second than a budget allows.

Why not Textual strips for every frame: Textual writes each segment with its full style (two
truecolour codes, about 40 bytes), and decoded video makes almost every cell pair its own segment,
so a playing 160×45 preview cost 1.8 MB/s and ~10 ms of the UI thread per frame. This writer is
pure (numpy and string building, no Textual), so it runs on a worker thread; the pane writes the
bytes through Textual's driver like a graphics picture. What it sends per frame:

* **only changed cells**: each cell (two pixels) is compared with what was last *sent* for it,
  and counts as changed when a channel differs by more than ``tolerance``. Compression noise
  therefore never resends a cell, and a cell drifting slowly is resent once it is off by more
  than the tolerance. Runs of changed cells are written after a cursor move (``CUP``, or ``CUF``
  within a row); a single unchanged cell between two runs is rewritten rather than skipped;
* **few colour codes**: colours are quantised (``levels`` per channel), so neighbouring cells
  share colours, and a cell is drawn as ``▀``, ``▄``, ``█`` or a space, whichever needs the
  fewest colour changes from the current foreground and background; an SGR is written only when
  one of them changes;
* **paced by bytes**: with ``max_bytes_per_second`` a credit of bytes refills over time, and a
  frame that would overspend it (or a tenth of a second's worth) sends its worst cells first
  (largest error) and leaves the rest for the next frames: the frame rate stays, detail in motion
  and the cells of a cut catch up a few frames later.

``colours``: ``truecolor`` (24-bit SGR) or ``256`` (the xterm 6×6×6 cube and grey ramp), the
colour system Textual uses for the rest of the screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tui.terminal.scale import centre, fit, resize_nearest

Colours = Literal["truecolor", "256"]

SYNC_BEGIN = "\x1b[?2026h"
SYNC_END = "\x1b[?2026l"
FRAME_BEGIN = SYNC_BEGIN + "\x1b7"
"""Every frame starts with these bytes (synchronised output, cursor saved) and ends with
``FRAME_END``; a terminal without synchronised output ignores the mode."""
FRAME_END = "\x1b[0m\x1b8" + SYNC_END

UPPER, LOWER, FULL = "▀", "▄", "█"
DEFAULT_TOLERANCE = 12
"""Channel difference (0-255) below which a cell is not resent: above H.264's noise at preview
quality (±6), below what the eye notices on a two-pixel cell."""
DEFAULT_LEVELS = 12
"""Colour levels per channel (truecolor; 0 and 255 are levels): neighbouring cells share colours,
so colour codes are fewer. Measured on the demo media at 156×41 cells, 30 fps, mean error of the
screen against the video (0-255): without a byte cap 16 levels cost 1.07 MB/s (error 4.5) and 12
levels 0.92 MB/s (5.9); under a 320 kB/s cap the count mattered little (10: 14.7, 12: 16.6,
16: 16.9), the cap decides how far behind moving detail is. 12 is also what the Textual strips
(``tui.widgets.halfblock``) use."""
_GAP = 1
"""Unchanged cells between two changed runs that are rewritten instead of skipped (a cursor move
costs about as much as one cell)."""
_XTERM_LEVELS = np.array([0, 95, 135, 175, 215, 255], dtype=np.int16)


@dataclass(frozen=True)
class Area:
    """The cell rectangle the picture fills (0-based screen cells), letterboxed with ``pad``."""

    col: int
    row: int
    cols: int
    rows: int
    pad: tuple[int, int, int] = (0, 0, 0)


class BlockWriter:
    """Turns frames into the bytes that update one half-block picture on the terminal.

    Not thread-safe: one thread calls ``frame`` (the pane's encoder thread). ``forget`` may be
    called from there too, before a frame, when the terminal's copy was drawn over.
    """

    def __init__(
        self,
        *,
        colours: Colours = "truecolor",
        levels: int = DEFAULT_LEVELS,
        tolerance: int = DEFAULT_TOLERANCE,
        max_bytes_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.colours: Colours = colours
        self.tolerance = tolerance
        self.max_bytes_per_second = max_bytes_per_second
        self.step = -(-255 // (levels - 1))
        """Distance between two colour levels (0 and 255 are levels): a channel is off by at most
        half of it."""
        nearest = np.rint(np.arange(256) * (levels - 1) / 255)
        self._quant = np.rint(nearest * 255 / (levels - 1)).astype(np.uint8)
        self._sent: np.ndarray | None = None
        """rows×cols×6 int16: the colours (upper RGB, lower RGB) last sent for every cell."""
        self._area: Area | None = None
        self._clock = clock
        self._credit = 0.0
        self._credit_at = clock()
        self._bytes_per_cell = 12.0
        self._sgr: dict[int, str] = {}
        self.sent_bytes = 0
        self.sent_frames = 0
        self.deferred_cells = 0
        """Changed cells left for a later frame by the byte budget."""

    def forget(self) -> None:
        """The terminal's copy is unknown (Textual drew over part of it): the next frame is sent
        whole."""
        self._sent = None

    def assume(self, rgb: np.ndarray, area: Area) -> None:
        """The terminal shows ``rgb`` in ``area`` (Textual repainted the whole pane from it): the
        next frame is sent as changes from it, not whole. Textual's colours are quantised
        (``tui.widgets.halfblock``) within about the tolerance of these."""
        self._sent, self._area = self.cells(rgb, area), area

    # -- frames ------------------------------------------------------------------------------
    def cells(self, rgb: np.ndarray, area: Area) -> np.ndarray:
        """rows×cols×6: the frame fitted and centred in the area, as (upper, lower) pixel pairs."""
        cols, rows = area.cols, area.rows
        grid = np.empty((rows * 2, cols, 3), dtype=np.uint8)
        grid[:] = np.array(area.pad, dtype=np.uint8)
        w, h = fit(rgb.shape[1], rgb.shape[0], cols, rows)
        if w and h:
            left, top_row = centre(w, h, cols, rows)
            top = top_row * 2
            grid[top : top + h, left : left + w] = resize_nearest(np.ascontiguousarray(rgb[..., :3]), w, h)
        return np.concatenate([grid[0::2], grid[1::2]], axis=2).astype(np.int16)

    def frame(self, rgb: np.ndarray, area: Area) -> str | None:
        """The bytes that bring the terminal from the last frame sent to ``rgb``; None when nothing
        changed enough (or the area is empty)."""
        if area.cols <= 0 or area.rows <= 0:
            return None
        new = self.cells(rgb, area)
        if self._sent is None or self._area != area:
            changed = np.ones(new.shape[:2], dtype=bool)
        else:
            error = np.abs(new - self._sent).max(axis=2)
            changed = error > self.tolerance
            budget = self._budget()
            count = int(changed.sum())
            if budget is not None and count * self._bytes_per_cell > budget:
                keep = max(0, int(budget / self._bytes_per_cell))
                self.deferred_cells += count - keep
                if keep == 0:
                    return None
                threshold = np.partition(error[changed], count - keep)[count - keep]
                changed &= error >= threshold
        if not changed.any():
            return None
        changed = _close_gaps(changed)
        sent = new if self._sent is None or self._area != area else self._sent
        sent[changed] = new[changed]
        self._sent, self._area = sent, area
        body = self._encode(new, changed, area)
        n = int(changed.sum())
        self._bytes_per_cell = 0.7 * self._bytes_per_cell + 0.3 * (len(body) / max(n, 1))
        out = FRAME_BEGIN + body + FRAME_END
        self.sent_bytes += len(out)
        self.sent_frames += 1
        if self.max_bytes_per_second:  # a whole frame may overspend; the debt is capped so that
            # pictures resume within a tenth of a second
            self._credit = max(-self.max_bytes_per_second / 10, self._credit - len(out))
        return out

    def _budget(self) -> float | None:
        """Bytes this frame may use (None: no cap): the credit, which refills at the rate up to a
        quarter of a second's worth, but at most a tenth of a second's worth per frame. Why the
        per-frame limit: a cut changes every cell, and spending the whole credit on it left the
        next frames nothing (150 ms without a picture); limited, the cut's cells arrive over three
        or four frames, worst first, and every frame still goes out."""
        rate = self.max_bytes_per_second
        now = self._clock()
        if not rate:
            self._credit_at = now
            return None
        self._credit = min(rate / 4, self._credit + rate * (now - self._credit_at))
        self._credit_at = now
        return max(0.0, min(self._credit, rate / 10))

    # -- encoding ----------------------------------------------------------------------------
    def _packed(self, new: np.ndarray, changed: np.ndarray) -> tuple[list[int], list[int]]:
        """The changed cells' (upper, lower) colours as ints (24-bit RGB or a 256-palette index),
        in row-major order."""
        px = new[changed].astype(np.int32)
        if self.colours == "256":
            return _xterm256(px[:, :3]).tolist(), _xterm256(px[:, 3:]).tolist()
        q = self._quant[px]
        up = (q[:, 0].astype(np.int32) << 16) | (q[:, 1].astype(np.int32) << 8) | q[:, 2]
        lo = (q[:, 3].astype(np.int32) << 16) | (q[:, 4].astype(np.int32) << 8) | q[:, 5]
        return up.tolist(), lo.tolist()

    def _colour(self, value: int) -> str:
        """The SGR parameters of one colour, without the 38/48 prefix (cached)."""
        code = self._sgr.get(value)
        if code is None:
            rgb = f"2;{value >> 16};{(value >> 8) & 255};{value & 255}"
            code = f"5;{value}" if self.colours == "256" else rgb
            self._sgr[value] = code
        return code

    def _encode(self, new: np.ndarray, changed: np.ndarray, area: Area) -> str:
        ups, los = self._packed(new, changed)
        ys, xs = np.nonzero(changed)
        colour = self._colour
        parts: list[str] = []
        fg = bg = -1
        last_y = last_x = -2
        i = 0
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
            if y != last_y:
                parts.append(f"\x1b[{area.row + y + 1};{area.col + x + 1}H")
            elif x != last_x + 1:
                parts.append(f"\x1b[{x - last_x - 1}C")
            last_y, last_x = y, x
            up, lo = ups[i], los[i]
            i += 1
            if up == lo:
                if bg == up:
                    parts.append(" ")
                elif fg == up:
                    parts.append(FULL)
                else:
                    parts.append(f"\x1b[48;{colour(up)}m ")
                    bg = up
                continue
            upper_cost = (fg != up) + (bg != lo)
            lower_cost = (fg != lo) + (bg != up)
            if lower_cost < upper_cost:
                up, lo = lo, up
                glyph = LOWER
            else:
                glyph = UPPER
            if fg != up and bg != lo:
                parts.append(f"\x1b[38;{colour(up)};48;{colour(lo)}m")
            elif fg != up:
                parts.append(f"\x1b[38;{colour(up)}m")
            elif bg != lo:
                parts.append(f"\x1b[48;{colour(lo)}m")
            fg, bg = up, lo
            parts.append(glyph)
        return "".join(parts)


def _close_gaps(changed: np.ndarray) -> np.ndarray:
    """``changed`` with gaps of at most ``_GAP`` unchanged cells between changed cells filled."""
    out = changed.copy()
    for gap in range(1, _GAP + 1):
        # cell x is filled when x-k and x+gap+1-k are changed for some k in 1..gap
        for k in range(1, gap + 1):
            left = changed[:, : -(gap + 1)] if gap + 1 < changed.shape[1] else None
            if left is None:
                continue
            right = changed[:, gap + 1 :]
            out[:, k : k + left.shape[1]] |= left & right
    return out


def _xterm256(px: np.ndarray) -> np.ndarray:
    """N×3 RGB → the nearest xterm-256 index (6×6×6 cube 16-231 or grey ramp 232-255)."""
    levels = _XTERM_LEVELS
    idx = np.abs(px[:, :, None] - levels[None, None, :]).argmin(axis=2)
    cube = levels[idx]
    cube_err = ((cube - px) ** 2).sum(axis=1)
    grey_i = np.clip((px.mean(axis=1) - 3) // 10, 0, 23).astype(np.int32)
    grey = 8 + 10 * grey_i
    grey_err = ((px - grey[:, None]) ** 2).sum(axis=1)
    cube_ix = 16 + 36 * idx[:, 0] + 6 * idx[:, 1] + idx[:, 2]
    index: np.ndarray = np.where(grey_err < cube_err, 232 + grey_i, cube_ix)
    return index
