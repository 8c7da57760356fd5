"""The preview pane: the latest frame drawn with half blocks or terminal graphics, or a line
saying why there is none.

Why it keeps only the latest frame: frames arrive as coalesced messages from the player's
render thread; the pane converts one frame to strips when it arrives or when the pane is
resized (``tui.draw.halfblock.render`` is pure and cached per size), and repaints from those strips.
Over SSH the terminal link, not the decoder, is the bottleneck, so frames closer together than
``max_fps`` allows are held back and only the newest is drawn.

Graphics (kitty, sixel, iTerm2; ``tui.draw.graphics``): the pane's cells are painted blank by
Textual and the picture is written over them through Textual's own driver, so its bytes are
ordered with Textual's. A new frame is written directly, without a Textual repaint. Whenever
Textual does repaint the pane (``render_lines``: resize, a dialog closing, a theme change) the
picture is written again after that refresh, since text drawn over a sixel or iTerm2 picture
wipes it. While another screen (a dialog, help) is on top nothing is written and a kitty picture,
which would float above the dialog, is deleted; on unmount every picture is deleted. When
Textual's writer still has output queued (a slow link), a frame is skipped, never queued.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from typing import ClassVar

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from tui.draw import Graphics, halfblock
from tui.draw.graphics import GraphicsOutput
from tui.draw.termcaps import DEFAULT_CELL, Caps, Choice, choose, detect

log = logging.getLogger(__name__)

_frozen_after_first_frame = False


def resolve_graphics(requested: Graphics, timeout: float | None = None) -> Choice:
    """Decide the pane's output before Textual starts (it would eat the terminal's replies).

    Asks the terminal on ``sys.__stdin__``/``__stdout__`` (the tty the terminal guard gave
    Textual); without a terminal (tests, pipes) the answer is half blocks without asking.
    """
    try:
        fd_in, fd_out = sys.__stdin__.fileno(), sys.__stdout__.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return Choice("halfblock", "", Caps(), DEFAULT_CELL)
    try:
        return detect(requested, fd_in, fd_out, *(() if timeout is None else (timeout,)))
    except OSError:
        log.exception("cannot ask the terminal what it draws")
        return choose("halfblock", Caps())


def default_max_fps() -> float:
    """Frames per second the pane draws at most: lower over SSH, where bytes are dear."""
    return 12.0 if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY") else 30.0


class PreviewPane(Widget):
    """Shows ``frame`` (H×W×3 uint8) fitted to the pane, or ``placeholder`` text."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"preview--placeholder", "preview--hint"}

    def __init__(
        self,
        *,
        id: str | None = None,
        max_fps: float | None = None,
        graphics: Graphics = "auto",
        choice: Choice | None = None,
        max_bytes_per_second: float | None = None,
    ) -> None:
        super().__init__(id=id)
        self.graphics: Graphics = graphics
        """What the user asked for (``--graphics``)."""
        self.choice: Choice = choice or choose("halfblock", Caps())
        """What is drawn (``resolve_graphics``); ``auto`` without a choice means half blocks."""
        self.output: GraphicsOutput | None = (
            GraphicsOutput(self.choice, max_bytes_per_second=max_bytes_per_second)
            if self.choice.mode != "halfblock"
            else None
        )
        self.max_pixels: tuple[int, int] | None = None
        """The preview stream's size: frames are never asked for larger than this."""
        self._emit_queued = False
        self._covered = False
        self.max_bytes_per_second = max_bytes_per_second
        """Cap on picture bytes (config ``max_bytes_per_second``): graphics skip frames over it;
        half blocks space their frames by the estimated bytes of the last one."""
        self._byte_interval = 0.0
        self.skipped_backlog = 0
        """Frames not written because Textual's writer still had output queued."""
        self.frame: np.ndarray | None = None
        self.placeholder: tuple[str, str] = ("", "")
        """Two lines shown when there is no frame: what is under the playhead, and why no picture."""
        self.max_fps = max_fps or default_max_fps()
        self._strips: list[Strip] | None = None
        self._strips_size: tuple[int, int] = (0, 0)
        self._row_keys: list[bytes] = []
        self._keys_size: tuple[int, int] = (0, 0)
        self._pending: np.ndarray | None = None
        self._last_draw = 0.0
        self._timer: Timer | None = None

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) in pixels the pane can show: two pixels per cell row for half blocks,
        the terminal's cell size for graphics (capped by ``max_pixels``)."""
        if self.output is None:
            return self.size.width, self.size.height * 2
        cw, ch = self.choice.cell_px
        w, h = self.size.width * cw, self.size.height * ch
        limit = self.max_pixels or self._stream_size()
        if limit is not None:
            scale = min(1.0, limit[0] / max(w, 1), limit[1] / max(h, 1))
            w, h = int(w * scale), int(h * scale)
        return w, h

    def _stream_size(self) -> tuple[int, int] | None:
        """The preview stream's size, from the project on the editor screen (its
        ``document.project``): a frame larger than the stream only costs bytes."""
        project = getattr(getattr(self.screen, "document", None), "project", None)
        height = getattr(project, "preview_height", None)
        if not isinstance(height, int) or height <= 0:
            return None
        width = getattr(project, "width", 16)
        aspect = width / max(getattr(project, "height", 9), 1) if isinstance(width, int) else 16 / 9
        return round(height * aspect), height

    def show_frame(self, rgb: np.ndarray | None) -> None:
        """Draw ``rgb`` now, or as soon as ``max_fps`` allows (newest frame wins)."""
        if rgb is None:
            self.frame, self._strips, self._pending, self._keys_size = None, None, None, (0, 0)
            self.refresh()
            return
        wait = self._last_draw + max(1 / self.max_fps, self._byte_interval) - time.monotonic()
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

    def _repaint_changed_rows(self, rgb: np.ndarray) -> None:
        """Half blocks: render now and mark only the rows that differ from the last frame dirty,
        so Textual re-renders, and the terminal receives, just those rows."""
        width, height = self.size
        old_keys = self._row_keys if self._keys_size == (width, height) else None
        strips, keys = halfblock.render_keyed(rgb, width, height, Style(bgcolor=self.rich_style.bgcolor))
        self._strips, self._strips_size = strips, (width, height)
        self._row_keys, self._keys_size = keys, (width, height)
        if old_keys is None:
            self.refresh()
            return
        changed = [y for y, (new, old) in enumerate(zip(keys, old_keys, strict=True)) if new != old]
        if self.max_bytes_per_second:  # about 40 bytes of colour codes per segment Textual writes
            sent = sum(len(strips[y]) for y in changed) * 40  # len: segments
            self._byte_interval = sent / self.max_bytes_per_second
        if len(changed) == height:
            self.refresh()
        elif changed:
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def _draw(self, rgb: np.ndarray) -> None:
        global _frozen_after_first_frame
        had_frame = self.frame is not None
        if not _frozen_after_first_frame:
            # The engine and the player (threads, libmpv, caches) exist for the whole session once
            # a frame arrives: freezing them keeps every later full collection short, as the app
            # does for what it builds at mount.
            _frozen_after_first_frame = True
            gc.freeze()
        self.frame = rgb
        self._drop_strips()
        self._last_draw = time.monotonic()
        if self.output is None and had_frame:
            self._repaint_changed_rows(rgb)
        elif self.output is None or not had_frame:
            self.refresh()  # graphics: blank the placeholder first; render_lines queues the picture
        else:
            self._emit(force=False)

    # -- graphics ----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        rate = getattr(getattr(self.app, "config", None), "max_bytes_per_second", None)
        if isinstance(rate, int) and rate > 0 and not self.max_bytes_per_second:
            self.max_bytes_per_second = float(rate)
        if self.output is not None:
            self.app.screen_change_signal.subscribe(self, self._screen_changed)
            if self.max_bytes_per_second and not self.output.max_bytes_per_second:
                self.output.max_bytes_per_second = self.max_bytes_per_second

    def on_unmount(self) -> None:
        if self.output is not None:
            self._write(self.output.clear())

    def _screen_changed(self, screen: Screen[object]) -> None:
        covered = screen is not self.screen
        if covered == self._covered or self.output is None:
            return
        self._covered = covered
        if covered:
            self._write(self.output.clear())  # a kitty picture would float above the dialog
        else:
            self.output.forget()
            self._queue_emit()

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.output is not None and self.frame is not None:
            if self.choice.mode != "kitty":  # kitty pictures lie above the text, others are overdrawn
                self.output.forget()  # Textual is drawing these cells: the picture must go on again
            self._queue_emit()
        return super().render_lines(crop)

    def _queue_emit(self) -> None:
        if not self._emit_queued:
            self._emit_queued = True
            self.call_after_refresh(self._emit_after_refresh)

    def _emit_after_refresh(self) -> None:
        self._emit_queued = False
        self._emit(force=self.choice.mode != "kitty")

    def _emit(self, *, force: bool) -> None:
        if self.output is None or self.frame is None or self._covered or self.app.screen is not self.screen:
            return
        if not force and self._backlog() > 1:
            self.skipped_backlog += 1
            self._pending = self.frame  # retried when the writer has caught up
            if self._timer is None:
                self._timer = self.set_timer(1 / self.max_fps, self._flush)
            return
        region = self.content_region
        data = self.output.frame(self.frame, region.x, region.y, region.width, region.height, force=force)
        if data:
            self._write(data)

    def _driver(self) -> object | None:
        app = self.app
        if app.is_headless:
            return None
        return app._driver  # None before start and after stop

    def _backlog(self) -> int:
        """Writes queued in Textual's writer thread (not yet taken by the terminal)."""
        thread = getattr(self._driver(), "_writer_thread", None)
        queue = getattr(thread, "_queue", None)
        return int(queue.qsize()) if queue is not None else 0

    def _write(self, data: str) -> None:
        driver = self._driver()
        if data and driver is not None:
            driver.write(data)  # type: ignore[attr-defined]

    def _drop_strips(self) -> None:
        """Forget the last frame's strips, breaking the reference cycles Textual's strip caches
        make (``halfblock.release``: without it full garbage collections froze the UI)."""
        if self._strips is not None:
            cached = getattr(getattr(self, "_styles_cache", None), "_cache", None)
            halfblock.release([*self._strips, *(cached.values() if isinstance(cached, dict) else ())])
        self._strips = None

    def notify_style_update(self) -> None:
        self._drop_strips()  # the letterbox colour comes from the theme
        self._keys_size = (0, 0)
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self.frame is None:
            return self._placeholder_line(y, width, height)
        if self.output is not None:
            return Strip.blank(width, self.rich_style)
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
