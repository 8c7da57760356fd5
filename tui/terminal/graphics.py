"""One picture output on a terminal: where the frame goes, what is sent, and what is skipped.

Shared by the editor's preview pane (which writes through Textual's driver) and ``livecut play``
(which writes to the tty). It turns "show this frame in this cell rectangle" into the bytes to
send, or into nothing:

* **unchanged frames are not resent** (same pixels, same place);
* **paced**: with ``max_bytes_per_second`` a credit of bytes refills over time; a frame that
  arrives while the credit is spent is skipped, never queued, so the picture is at most one
  frame behind the timecode however slow the link;
* **sized**: the picture is the cell rectangle in pixels (the terminal's cell size), fitted to
  the frame's aspect and never larger than the frame itself (the preview stream's size);
* **no flicker**: kitty transmits the new image under a second id, places it, then deletes the
  old one; everything is wrapped in synchronised output (``CSI ? 2026 h/l``, ignored by
  terminals without it) and, inside tmux with passthrough, in ``DCS tmux;`` envelopes.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tui.terminal import encode
from tui.terminal.scale import resize_nearest
from tui.terminal.termcaps import GraphicsChoice, wrap_tmux

SYNC_BEGIN = "\x1b[?2026h"
SYNC_END = "\x1b[?2026l"
KITTY_IDS = (0x4C43, 0x4C44)
"""The two image ids used in turn (``LC``, ``LD``): far from ids other programs pick."""


@dataclass(frozen=True)
class Placement:
    """Where a picture goes: its top-left cell (0-based) and size in cells, and its pixel size."""

    col: int
    row: int
    cols: int
    rows: int
    width: int
    height: int


def place(frame_w: int, frame_h: int, col: int, row: int, cols: int, rows: int, cell: tuple[int, int]) -> Placement:
    """The frame fitted and centred in the ``cols``×``rows`` rectangle at (``col``, ``row``).

    Pixel size: the rectangle in pixels, fitted to the frame's aspect, never above the frame's
    own size (upscaling would only cost bytes); cell size: what that picture covers.
    """
    cw, ch = cell
    if frame_w <= 0 or frame_h <= 0 or cols <= 0 or rows <= 0:
        return Placement(col, row, 0, 0, 0, 0)
    box_w, box_h = cols * cw, rows * ch
    scale = min(box_w / frame_w, box_h / frame_h)
    shown_w, shown_h = frame_w * scale, frame_h * scale  # on screen, in pixels
    pcols = max(1, min(cols, round(shown_w / cw)))
    prows = max(1, min(rows, round(shown_h / ch)))
    scale = min(scale, 1.0)
    width, height = max(1, math.floor(frame_w * scale)), max(1, math.floor(frame_h * scale))
    return Placement(col + (cols - pcols) // 2, row + (rows - prows) // 2, pcols, prows, width, height)


def over_ssh() -> bool:
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


class GraphicsOutput:
    """The bytes for one picture area; keeps what it last sent.

    Over SSH sixel uses the 64-colour palette (``sixel_levels`` 4: about half the bytes of 216).
    """

    def __init__(
        self,
        choice: GraphicsChoice,
        *,
        max_bytes_per_second: float | None = None,
        sixel_levels: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if choice.mode not in ("kitty", "sixel", "iterm"):
            raise ValueError(f"no graphics output for {choice.mode!r}")
        self.choice = choice
        self.max_bytes_per_second = max_bytes_per_second
        self.sixel_levels = sixel_levels or (4 if over_ssh() else 6)
        self.sent_bytes = 0
        self.sent_frames = 0
        self.skipped_frames = 0
        self._last: tuple[np.ndarray, Placement] | None = None
        self._turn = 0
        self._shown_id: int | None = None
        self._clock = clock
        self._credit = 0.0
        self._credit_at = clock()

    # -- pacing ------------------------------------------------------------------------------------
    def _refill(self) -> None:
        now = self._clock()
        rate = self.max_bytes_per_second
        if rate:
            self._credit = min(rate / 4, self._credit + rate * (now - self._credit_at))
        self._credit_at = now

    def can_send(self) -> bool:
        """Whether a frame may go out now (the byte credit is not spent)."""
        if not self.max_bytes_per_second:
            return True
        self._refill()
        return self._credit >= 0

    # -- frames ------------------------------------------------------------------------------------
    def frame(self, rgb: np.ndarray, col: int, row: int, cols: int, rows: int, *, force: bool = False) -> str | None:
        """The bytes that show ``rgb`` in the rectangle, or None (unchanged, or over the byte cap).

        ``force``: send even if unchanged (the terminal's copy was wiped, e.g. text drawn over a
        sixel picture); the byte cap still applies except when forced.
        """
        where = place(rgb.shape[1], rgb.shape[0], col, row, cols, rows, self.choice.cell_px)
        if where.width == 0:
            return None
        if (
            not force
            and self._last is not None
            and self._last[1] == where
            and (self._last[0] is rgb or np.array_equal(self._last[0], rgb))
        ):
            return None
        if not force and not self.can_send():
            self.skipped_frames += 1
            return None
        picture = resize_nearest(np.ascontiguousarray(rgb[..., :3]), where.width, where.height)
        body = self._encode(picture, where)
        out = f"{SYNC_BEGIN}\x1b7\x1b[{where.row + 1};{where.col + 1}H{body}\x1b8{SYNC_END}"
        self._last = (rgb, where)
        self.sent_bytes += len(out)
        self.sent_frames += 1
        if self.max_bytes_per_second:
            self._refill()
            self._credit -= len(out)
        return out

    def _encode(self, picture: np.ndarray, where: Placement) -> str:
        mode = self.choice.mode
        if mode == "kitty":
            image_id = KITTY_IDS[self._turn]
            self._turn ^= 1
            parts = [
                encode.kitty_transmit(picture, image_id),
                encode.kitty_place(image_id, where.cols, where.rows),
            ]
            if self._shown_id is not None and self._shown_id != image_id:
                parts.append(encode.kitty_delete(self._shown_id))
            self._shown_id = image_id
            return "".join(self._wrap(p) for p in parts)
        if mode == "sixel":
            return self._wrap(encode.sixel(picture, levels=self.sixel_levels))
        return self._wrap(encode.iterm(picture, where.cols, where.rows))

    def _wrap(self, sequence: str) -> str:
        return wrap_tmux(sequence) if self.choice.tmux else sequence

    def forget(self) -> None:
        """The terminal no longer shows our picture (text was drawn over it): resend next time."""
        self._last = None

    def clear(self) -> str:
        """The bytes that remove the picture (kitty: delete our images; others: none needed,
        the caller repaints the cells)."""
        self._last = None
        if self.choice.mode != "kitty":
            return ""
        self._shown_id = None
        return "".join(self._wrap(encode.kitty_delete(i)) for i in KITTY_IDS)
