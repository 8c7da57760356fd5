"""The preview pane: the latest frame drawn with half blocks, or a line saying why there is none.

Why it keeps only the latest frame: frames arrive as coalesced messages from the player's
render thread; the pane converts one frame to strips when it arrives or when the pane is
resized (``tui.draw.halfblock.render`` is pure and cached per size), and repaints from those strips.
Over SSH the terminal link, not the decoder, is the bottleneck, so frames closer together than
``max_fps`` allows are held back and only the newest is drawn.
"""

from __future__ import annotations

import os
import time
from typing import ClassVar

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from tui.draw import Graphics, halfblock


def default_max_fps() -> float:
    """Frames per second the pane draws at most: lower over SSH, where bytes are dear."""
    return 12.0 if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY") else 30.0


class PreviewPane(Widget):
    """Shows ``frame`` (H×W×3 uint8) fitted to the pane, or ``placeholder`` text."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"preview--placeholder", "preview--hint"}

    def __init__(self, *, id: str | None = None, max_fps: float | None = None, graphics: Graphics = "auto") -> None:
        super().__init__(id=id)
        self.graphics: Graphics = graphics
        """What the user asked for (``--graphics``); only half blocks are drawn so far."""
        self.frame: np.ndarray | None = None
        self.placeholder: tuple[str, str] = ("", "")
        """Two lines shown when there is no frame: what is under the playhead, and why no picture."""
        self.max_fps = max_fps or default_max_fps()
        self._strips: list[Strip] | None = None
        self._strips_size: tuple[int, int] = (0, 0)
        self._pending: np.ndarray | None = None
        self._last_draw = 0.0
        self._timer: Timer | None = None

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) in pixels the pane can show: two pixels per cell row."""
        return self.size.width, self.size.height * 2

    def show_frame(self, rgb: np.ndarray | None) -> None:
        """Draw ``rgb`` now, or as soon as ``max_fps`` allows (newest frame wins)."""
        if rgb is None:
            self.frame, self._strips, self._pending = None, None, None
            self.refresh()
            return
        wait = self._last_draw + 1 / self.max_fps - time.monotonic()
        if wait <= 0 or self.frame is None:
            self._draw(rgb)
            return
        self._pending = rgb
        if self._timer is None:
            self._timer = self.set_timer(wait, self._flush)

    def show_placeholder(self, title: str, hint: str) -> None:
        if (title, hint) != self.placeholder:
            self.placeholder = (title, hint)
            if self.frame is None:
                self.refresh()

    def _flush(self) -> None:
        self._timer = None
        if self._pending is not None:
            rgb, self._pending = self._pending, None
            self._draw(rgb)

    def _draw(self, rgb: np.ndarray) -> None:
        self.frame = rgb
        self._strips = None
        self._last_draw = time.monotonic()
        self.refresh()

    def notify_style_update(self) -> None:
        self._strips = None  # the letterbox colour comes from the theme
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self.frame is None:
            return self._placeholder_line(y, width, height)
        if self._strips is None or self._strips_size != (width, height):
            base = self.rich_style
            self._strips = halfblock.render(self.frame, width, height, Style(bgcolor=base.bgcolor))
            self._strips_size = (width, height)
        return self._strips[y] if y < len(self._strips) else Strip.blank(width)

    def _placeholder_line(self, y: int, width: int, height: int) -> Strip:
        title, hint = self.placeholder
        middle = height // 2 - 1
        if y == middle:
            text, style = title, self.get_component_rich_style("preview--placeholder")
        elif y == middle + 1:
            text, style = hint, self.get_component_rich_style("preview--hint")
        else:
            return Strip.blank(width, self.rich_style)
        line = Text(text[:width], style=style, justify="center", no_wrap=True)
        line.pad_left(max(0, (width - line.cell_len) // 2))
        line.pad_right(max(0, width - line.cell_len))
        return Strip(line.render(self.app.console), width).apply_style(self.rich_style)
