"""The preview pane: the latest frame drawn with half blocks or terminal graphics, or a line
saying why there is none.

Why it keeps only the latest frame: frames arrive as coalesced messages from the player's render
thread, and over SSH the terminal link, not the decoder, is the bottleneck, so frames closer
together than ``max_fps`` allows are held back and only the newest is drawn.

Why pictures are written past Textual: Textual writes every segment with its full style, and a
video frame is thousands of segments (1.8 MB/s and ~10 ms of the UI thread per frame at 160×45).
So on a real terminal every picture, half blocks included, is encoded on a worker thread
(``tui.terminal.latest``: newest frame wins, stale ones are dropped) into compact escape codes
(``tui.terminal.blockwriter`` for half blocks: only changed cells, paced by bytes;
``tui.terminal.graphics`` for kitty, sixel, iTerm2), and the UI thread only writes the ready bytes
through Textual's driver, so they are ordered with Textual's own output. The UI thread never
waits for an encoding.

Textual still paints the pane when *it* repaints it (first frame, resize, a dialog closing, a theme
change): half blocks from ``tui.widgets.halfblock`` strips of the current frame, graphics as blank
cells. After such a repaint the terminal's copy of the picture is not what the encoder last sent,
so a *generation* counter is bumped: the worker then forgets what it sent, a result of an older
generation is dropped, and the next picture is sent whole (sixel and iTerm2 at once, since text
drawn over them wipes them). While another screen (a dialog, help) is on top nothing is written
and a kitty picture, which would float above the dialog, is deleted; on unmount every picture is
deleted. When Textual's writer still has output queued (a slow link), a frame is skipped, never
queued. Headless (Pilot tests, no bytes written) half blocks are Textual strips refreshed per row.

Textual internals: writing in order with Textual's output needs its driver (``App._driver``),
knowing the terminal is behind needs the driver's writer queue, and repainting from a new frame
needs the widget's line cache (``_styles_cache``); Textual offers no public way to any of them.
``tests/tui/test_textual_private.py`` checks each name (and that the pane uses no other private
one), and ``pyproject.toml`` pins Textual to the tested range.

Why ``gc.freeze()`` at the first frame (once per process, ``FREEZE_AT_FIRST_FRAME``): by then the
engine, the player and their caches exist for the whole session, and a playing preview churns
small objects, so full collections come every second or two and walk everything tracked. Frozen,
they skip ~20 000 long-lived objects. Measured headless with the real engine and libmpv at 160×45
(6 s of playback, two runs each, a loaded 2-core machine): full-collection pauses of 32-150 ms
(medians 80 and 104 ms) with the freeze against 53-308 ms (medians 138 and 184 ms) without.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from tui.terminal import Graphics
from tui.terminal.blockwriter import Area, BlockWriter, Colours
from tui.terminal.graphics import GraphicsOutput
from tui.terminal.latest import LatestWorker
from tui.terminal.termcaps import DEFAULT_CELL, Caps, GraphicsChoice, choose, detect
from tui.widgets import halfblock

log = logging.getLogger(__name__)


class _Once:
    """A step done once per process, whichever pane gets there first (``gc.freeze`` at the first
    frame: a second pane, or a test's next app, must not freeze again)."""

    def __init__(self) -> None:
        self.done = False

    def first(self) -> bool:
        """True the first time only."""
        first, self.done = not self.done, True
        return first


FREEZE_AT_FIRST_FRAME = _Once()


def resolve_graphics(requested: Graphics, timeout: float | None = None) -> GraphicsChoice:
    """Decide the pane's output before Textual starts (it would eat the terminal's replies).

    Asks the terminal on ``sys.__stdin__``/``__stdout__`` (the tty the terminal guard gave
    Textual); without a terminal (tests, pipes) the answer is half blocks without asking.
    """
    try:
        fd_in, fd_out = sys.__stdin__.fileno(), sys.__stdout__.fileno()  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError):
        return GraphicsChoice("halfblock", "", Caps(), DEFAULT_CELL)
    try:
        return detect(requested, fd_in, fd_out, *(() if timeout is None else (timeout,)))
    except OSError:
        log.exception("cannot ask the terminal what it draws")
        return choose("halfblock", Caps())


HALFBLOCK_BYTES_PER_SECOND = 320_000.0
"""Half-block picture bytes a second when the config sets no cap: the rest of the screen (status
line, timeline) needs its share of 0.5 MB/s, a rate an SSH link carries. A frame that would go
over it sends its worst cells first and the rest a frame or two later (``BlockWriter``)."""


RESEND_AFTER = 0.1
"""Seconds after a half-block picture the byte budget cut short before the rest of it is sent,
unless a new frame came first (while playing one always does: the budget's cut cells ride along
with the next frame)."""


def default_max_fps() -> float:
    """Frames per second the pane draws at most: lower over SSH, where bytes are dear."""
    return 12.0 if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY") else 30.0


@dataclass(frozen=True)
class _Job:
    """One picture to encode on the worker thread: the frame, where it goes, and for which
    generation of the terminal's copy."""

    rgb: np.ndarray
    area: Area
    generation: int
    force: bool
    painted: np.ndarray | None = None
    """The frame Textual painted the whole pane from in this generation (half blocks): the worker
    starts from it instead of sending the next frame whole."""


class PictureReady(Message):
    """Bytes for a picture, encoded on the worker thread (posted from there)."""

    def __init__(self, data: str | None, generation: int, more: bool) -> None:
        super().__init__()
        self.data = data
        self.generation = generation
        self.more = more
        """Cells of this frame were left for later by the byte budget: send the frame again."""


_BORDER_TITLE = Widget.__dict__["border_title"]


class PreviewPane(Widget):
    """Shows ``frame`` (H×W×3 uint8) fitted to the pane, or ``placeholder`` text."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"preview--placeholder", "preview--hint"}

    def __init__(
        self,
        *,
        id: str | None = None,
        max_fps: float | None = None,
        graphics: Graphics = "auto",
        choice: GraphicsChoice | None = None,
        max_bytes_per_second: float | None = None,
    ) -> None:
        super().__init__(id=id)
        self.graphics: Graphics = graphics
        """What the user asked for (``--graphics``)."""
        self.choice: GraphicsChoice = choice or choose("halfblock", Caps())
        """What is drawn (``resolve_graphics``); ``auto`` without a choice means half blocks."""
        self.output: GraphicsOutput | None = (
            GraphicsOutput(self.choice, max_bytes_per_second=max_bytes_per_second)
            if self.choice.mode != "halfblock"
            else None
        )
        self.blocks: BlockWriter | None = None
        """Half blocks written directly (set at mount on a real terminal with 256 or more colours)."""
        self.max_pixels: tuple[int, int] | None = None
        """The preview stream's size: frames are never asked for larger than this."""
        self._emit_queued = False
        self._covered = False
        self.max_bytes_per_second = max_bytes_per_second
        """Cap on picture bytes (config ``max_bytes_per_second``): graphics skip frames over it;
        half blocks send their worst cells first and the rest later."""
        self.skipped_backlog = 0
        """Frames not written because Textual's writer still had output queued."""
        self.frame: np.ndarray | None = None
        self.placeholder: tuple[str, str] = ("", "")
        """Two lines shown when there is no frame: what is under the playhead, and why no picture."""
        self.max_fps = max_fps or default_max_fps()
        self._strips: list[Strip] | None = None
        self._strips_size: tuple[int, int] = (0, 0)
        self._strips_frame: np.ndarray | None = None
        self._row_keys: list[bytes] = []
        self._keys_size: tuple[int, int] = (0, 0)
        self._pending: np.ndarray | None = None
        self._slot = 0.0
        """Earliest time the next picture may go out (``max_fps``; see ``_drawn``)."""
        self._timer: Timer | None = None
        self._resend_timer: Timer | None = None
        self._worker: LatestWorker[_Job, tuple[str | None, bool]] | None = None
        self._generation = 0
        """Bumped whenever the terminal's copy of the picture is no longer what the worker last
        encoded (Textual drew over it, it was deleted, the frame went away)."""
        self._worker_generation = -1
        self._painted_frame: np.ndarray | None = None
        """The frame Textual last rendered the pane's lines from (direct half blocks)."""
        self._pad: tuple[int, int, int] | None = None
        self._painted: tuple[np.ndarray, int] | None = None
        """That frame and the generation it started, when Textual repainted the whole pane."""

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

    @property
    def border_title(self) -> str | None:
        title: str | None = _BORDER_TITLE.__get__(self, type(self))
        return title

    @border_title.setter
    def border_title(self, title: str | None) -> None:
        """Set the title, repainting only when it changed. Why: Textual repaints the whole widget
        whenever a title is set, and the editor sets it on every player state message (several
        a second while playing over cells being encoded); each repaint of a playing pane costs
        a frame of strips on the UI thread and a picture sent again."""
        if title != _BORDER_TITLE.__get__(self, type(self)):
            _BORDER_TITLE.__set__(self, title)

    @property
    def direct(self) -> bool:
        """Pictures are encoded on the worker thread and written to the terminal by the pane."""
        return self._worker is not None

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
            self._generation += 1
            self.refresh()
            return
        wait = self._slot - time.monotonic()
        if wait <= 0 or self.frame is None:
            self._draw(rgb)
            return
        self._pending = rgb
        if self._timer is None:
            self._timer = self.set_timer(wait, self._flush)

    def _drawn(self) -> None:
        """A picture went out: the next may follow one interval after it, or sooner after a late
        one (one frame of credit). Why the credit: a 30 fps video against a 30 fps cap arrives with
        jitter, and a strict interval dropped every frame that came a few ms early (27 of 30 fps,
        with 67 ms holes)."""
        interval = 1 / self.max_fps
        self._slot = max(self._slot, time.monotonic() - interval) + interval

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
        """Headless half blocks: render now and mark only the rows that differ from the last frame
        dirty, so Textual re-renders just those rows."""
        width, height = self.size
        old_keys = self._row_keys if self._keys_size == (width, height) else None
        strips, keys = halfblock.render_keyed(rgb, width, height, Style(bgcolor=self.rich_style.bgcolor))
        self._strips, self._strips_size, self._strips_frame = strips, (width, height), rgb
        self._row_keys, self._keys_size = keys, (width, height)
        if old_keys is None:
            self.refresh()
            return
        changed = [y for y, (new, old) in enumerate(zip(keys, old_keys, strict=True)) if new != old]
        if len(changed) == height:
            self.refresh()
        elif changed:
            self.refresh(*(Region(0, y, width, 1) for y in changed))

    def _draw(self, rgb: np.ndarray) -> None:
        had_frame = self.frame is not None
        if FREEZE_AT_FIRST_FRAME.first():
            gc.freeze()  # the engine and the player now exist for the session: see the module docstring
        self.frame = rgb
        if not self.direct:
            self._drawn()
        if self._resend_timer is not None:  # a new frame carries the cells left out of the last one
            self._resend_timer.stop()
            self._resend_timer = None
        if self.direct:
            if had_frame:
                self._emit(force=False)
            else:
                self.refresh()  # Textual paints the first picture (or blanks); render_lines queues the rest
            return
        self._drop_strips()
        if self.output is None and had_frame:
            self._repaint_changed_rows(rgb)
        else:
            self.refresh()

    # -- direct output -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        rate = getattr(getattr(self.app, "config", None), "max_bytes_per_second", None)
        if isinstance(rate, int) and rate > 0 and not self.max_bytes_per_second:
            self.max_bytes_per_second = float(rate)
        if self.output is not None:
            if self.max_bytes_per_second and not self.output.max_bytes_per_second:
                self.output.max_bytes_per_second = self.max_bytes_per_second
        elif not self.app.is_headless and self.app.console.color_system in ("truecolor", "256"):
            colours: Colours = "truecolor" if self.app.console.color_system == "truecolor" else "256"
            self.blocks = BlockWriter(
                colours=colours, max_bytes_per_second=self.max_bytes_per_second or HALFBLOCK_BYTES_PER_SECOND
            )
        if self.output is not None or self.blocks is not None:
            self.app.screen_change_signal.subscribe(self, self._screen_changed)
            if not self.app.is_headless:
                self._worker = LatestWorker(self._encode, self._deliver, name="preview-picture")

    def on_unmount(self) -> None:
        if self._worker is not None:
            self._worker.close()
        if self.output is not None:
            self._write(self.output.clear())

    def _screen_changed(self, screen: Screen[object]) -> None:
        covered = screen is not self.screen
        if covered == self._covered or not self.direct:
            return
        self._covered = covered
        self._generation += 1
        if covered:
            if self.output is not None:
                self._write(self.output.clear())  # a kitty picture would float above the dialog
        else:
            self._queue_emit()

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.direct and self.frame is not None:
            if self.blocks is not None:
                if self._painted_frame is not self.frame:  # Textual's cached lines show an older frame
                    self._styles_cache.clear()
                    self._painted_frame = self.frame
                self._generation += 1  # the encoder's idea of the screen is wrong from here on
                whole = crop.size == self.outer_size
                self._painted = (self.frame, self._generation) if whole else None
            else:
                if self.choice.mode != "kitty":  # kitty pictures lie above the text, others are overdrawn
                    self._generation += 1  # Textual is drawing these cells: the picture must go on again
                self._queue_emit()
        return super().render_lines(crop)

    def _queue_emit(self) -> None:
        if not self._emit_queued:
            self._emit_queued = True
            self.call_after_refresh(self._emit_after_refresh)

    def _emit_after_refresh(self) -> None:
        self._emit_queued = False
        self._emit(force=self.choice.mode not in ("kitty", "halfblock"))

    def _emit(self, *, force: bool) -> None:
        """Hand the current frame to the worker (or hold it while the terminal is behind)."""
        if self._worker is None or self.frame is None or self._covered or self.app.screen is not self.screen:
            return
        if not force and self._backlog() > 1:
            self.skipped_backlog += 1
            self._pending = self.frame  # retried when the writer has caught up
            if self._timer is None:
                self._timer = self.set_timer(1 / self.max_fps, self._flush)
            return
        region = self.content_region
        if self._pad is None:  # the letterbox colour; computing the style per frame showed in profiles
            bg = self.rich_style.bgcolor
            rgb = bg.get_truecolor() if bg is not None else (0, 0, 0)
            self._pad = (rgb[0], rgb[1], rgb[2])
        area = Area(region.x, region.y, region.width, region.height, self._pad)
        painted = self._painted[0] if self._painted is not None and self._painted[1] == self._generation else None
        self._worker.submit(_Job(self.frame, area, self._generation, force, painted))

    def _encode(self, job: _Job) -> tuple[str | None, bool]:
        """Worker thread: the bytes for ``job`` (None: nothing to send) and whether cells were
        left for later."""
        if job.generation != self._worker_generation:
            self._worker_generation = job.generation
            if self.blocks is not None:
                self.blocks.forget()
                if job.painted is not None:
                    self.blocks.assume(job.painted, job.area)
            if self.output is not None:
                self.output.forget()
        a = job.area
        if self.blocks is not None:
            before = self.blocks.deferred_cells
            data = self.blocks.frame(job.rgb, a)
            return data, self.blocks.deferred_cells != before
        if self.output is not None:
            return self.output.frame(job.rgb, a.col, a.row, a.cols, a.rows, force=job.force), False
        return None, False

    def _deliver(self, job: _Job, result: tuple[str | None, bool]) -> None:
        """Worker thread: post the bytes to the UI thread, which writes them."""
        data, more = result
        if data or more:
            self.post_message(PictureReady(data, job.generation, more))

    def on_picture_ready(self, message: PictureReady) -> None:
        message.stop()
        if message.generation != self._generation:
            # stale: the worker starts over when it sees the new generation. If this was the
            # picture of the last frame (paused), no newer frame will come to start it over: a
            # generation bumped by a restyle (the bin's input closing after ``a``) left the
            # previous picture on screen (#26 item 4, suspected), so send the current frame again
            self._queue_emit()
            return
        if self._covered or self.app.screen is not self.screen:
            self._generation += 1  # not written: what the worker thinks is on screen is not
            return
        if message.data:
            self._write(message.data)
            self._drawn()  # max_fps spaces pictures written, not frames received
        if message.more and self._resend_timer is None:
            self._resend_timer = self.set_timer(RESEND_AFTER, self._resend)

    def _resend(self) -> None:
        """The byte budget left cells of a still frame out: send them now."""
        self._resend_timer = None
        self._emit(force=False)

    def _terminal_driver(self) -> object | None:
        """Textual's driver, which writes to the terminal (``App._driver``: Textual has no public
        way to write bytes in order with its own output; ``tests/tui/test_textual_private.py``)."""
        app = self.app
        if app.is_headless:
            return None
        return app._driver  # None before start and after stop

    def _backlog(self) -> int:
        """Writes queued in Textual's writer thread (not yet taken by the terminal)."""
        thread = getattr(self._terminal_driver(), "_writer_thread", None)
        queue = getattr(thread, "_queue", None)
        return int(queue.qsize()) if queue is not None else 0

    def _write(self, data: str) -> None:
        driver = self._terminal_driver()
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
        self._generation += 1
        self._pad = None
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self.frame is None:
            return self._placeholder_line(y, width, height)
        if self.output is not None:
            return Strip.blank(width, self.rich_style)
        if self._strips is None or self._strips_size != (width, height) or self._strips_frame is not self.frame:
            self._drop_strips()
            base = self.rich_style
            self._strips = halfblock.render(self.frame, width, height, Style(bgcolor=base.bgcolor))
            self._strips_size, self._strips_frame = (width, height), self.frame
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
