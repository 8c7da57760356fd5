"""The timeline: a timecode ruler over clips drawn as blocks proportional to their length.

Why it is drawn by hand (``render_line``) rather than built from child widgets: every column is
a slice of time on the shared ``Scale``, the playhead is one column through every row, and the
segment bar below must line up exactly; one widget painting cells keeps that exact and makes a
redraw cost a few hundred cells. It shows what it is given (``TimelineState``) and owns no
editing logic. Gaps are drawn dotted on the background. The clip the keys act on is drawn in the
selected colour; a clip selected with tab is also bracketed (``⎡⎢⎣`` … ``⎤⎥⎦`` over its rows) and
clips marked with ``v`` are in the accent colour with a ``✓`` before their name, so the selection
reads without colour too (a monochrome terminal, a screen dump). Colours come from component
classes styled in ``app.tcss`` with theme variables.
Each clip's last row (when the clips have three) shows its sound's peaks with ``▁``…``█``, one
column at a time at the current zoom, scaled by the clip's gain. Markers are drawn on the ruler (``◆`` and the start of their name) over the timecode labels: a
marker is placed on purpose, a label can be read a tick further.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from core.media.waveform import Waveform
from core.model.timeline import GAP, Placed, Timeline
from core.text import printable
from core.timebase import format_seconds, frames_to_timecode, nominal_fps
from tui.editor.editing import Edge
from tui.editor.viewport import Scale
from tui.widgets.charrow import CellRow

_NO_SCALE = Scale()
_TICK_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_TICK_FRAMES = (1, 2, 5, 10)
_LABEL_COLS = 14
"""A tick, an ``HH:MM:SS:FF`` label and a gap: labels never touch."""
"""Columns a ruler label needs: tick, ``MM:SS:FF`` and a gap."""
_LEVELS = " ▁▂▃▄▅▆▇█"
"""Waveform characters from silence to full scale."""
_MARKER_NAME_COLS = 16
"""At most this much of a marker's name is written on the ruler."""
_MARKED = "✓"
"""Before the name of a clip marked with ``v``."""


def brackets(rows: int) -> tuple[str, str]:
    """The left and right bracket columns of a selected clip ``rows`` rows tall, top to bottom."""
    if rows <= 1:
        return "[", "]"
    return "⎡" + "⎢" * (rows - 2) + "⎣", "⎤" + "⎥" * (rows - 2) + "⎦"


def short_timecode(frame: int, fps: Fraction) -> str:
    """The one timecode format of the editor, ``HH:MM:SS:FF``, as the status line shows it: a
    shorter ``MM:SS:FF`` read ``00:00:05`` (five frames) as five seconds at full zoom."""
    return frames_to_timecode(frame, fps)


def tick_interval(fpc: float, fps_nominal: int) -> int:
    """Frames between labelled ruler ticks so labels never overlap."""
    for frames in (*_TICK_FRAMES, *(s * fps_nominal for s in _TICK_SECONDS)):
        if frames >= _LABEL_COLS * fpc and (frames < fps_nominal or frames % fps_nominal == 0):
            return frames
    return 3600 * fps_nominal * max(1, round(_LABEL_COLS * fpc / (3600 * fps_nominal)))


@dataclass(frozen=True)
class TimelineState:
    """Everything the timeline draws."""

    timeline: Timeline
    playhead: int = 0
    selected: int | None = None
    """The clip the keys act on (drawn in the selected colour)."""
    edge: Edge | None = None
    scale: Scale = _NO_SCALE
    marked: frozenset[int] = frozenset()
    """Clips in the multi-selection (``v``)."""
    loop: tuple[int, int] | None = None
    """The timeline's in/out range ``[start, end)`` (the loop range), shaded on the ruler."""
    waveforms: tuple[tuple[str, Waveform], ...] = ()
    """Peak envelopes by media id, drawn in each clip's last row (three rows or more)."""
    picked: bool = False
    """``selected`` was selected with tab (bracketed), not just under the playhead."""


class TimelineView(Widget):
    """Ruler (first row) and clip blocks (the other rows)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--ruler",
        "timeline--empty",
        "timeline--clip-1",
        "timeline--clip-2",
        "timeline--clip-3",
        "timeline--clip-4",
        "timeline--selected",
        "timeline--edge",
        "timeline--offline",
        "timeline--playhead",
        "timeline--marker",
        "timeline--marked",
        "timeline--gap",
        "timeline--range",
    }
    DEFAULT_CSS = """
    TimelineView > .timeline--marker {
        color: $warning;
        text-style: bold;
    }
    TimelineView > .timeline--marked {
        background: $accent;
        color: $text;
        text-style: bold;
    }
    TimelineView > .timeline--range {
        background: $secondary;
        color: $text;
    }
    TimelineView > .timeline--gap {
        background: $background;
        color: $foreground-muted;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = TimelineState(Timeline(Fraction(30)))
        self._lines: list[Strip] | None = None
        self._lines_key: tuple[object, ...] | None = None
        self._base: tuple[list[CellRow], list[Strip]] | None = None
        self._base_key: tuple[object, ...] | None = None

    def show(self, state: TimelineState) -> None:
        if state != self.state:
            self.state = state
            self.refresh()

    class Clicked(Message):
        """The user clicked the ruler or a clip: move the playhead to ``frame``."""

        def __init__(self, frame: int) -> None:
            super().__init__()
            self.frame = frame

    def on_click(self, event: events.Click) -> None:
        """A click seeks there, as in every editor (the editor clamps it to the timeline)."""
        event.stop()
        self.post_message(self.Clicked(max(0, self.state.scale.frame(event.x))))

    async def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """The wheel zooms the timeline (the editor's zoom keys, so remaps and limits apply)."""
        event.stop()
        await self.app.run_action("zoom_in", self.screen)

    async def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        await self.app.run_action("zoom_out", self.screen)

    def notify_style_update(self) -> None:
        self._lines = self._base = None
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        key = (self.state, width, height)
        if self._lines is None or self._lines_key != key:
            self._lines = self._build(width, height)
            self._lines_key = key
        return self._lines[y] if 0 <= y < len(self._lines) else Strip.blank(width)

    # -- drawing ---------------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"timeline--{name}")

    def _build(self, width: int, height: int) -> list[Strip]:
        """The lines: the drawing without the playhead (kept while only the playhead moves), with
        the playhead's column laid over it. Why two layers: while playing, the playhead moves
        every frame and drawing ruler, clips and waveforms again cost 3-5 ms of the UI thread per
        frame, time the preview's pictures and keys waited for."""
        if width <= 0 or height <= 0:
            return []
        base_key = (replace(self.state, playhead=0), width, height)
        if self._base is None or self._base_key != base_key:
            ruler = self._ruler(width)
            rows = [CellRow(width, self._style("empty")) for _ in range(height - 1)]
            self._paint_clips(rows, width)
            self._base = ([ruler, *rows], [ruler.strip(), *(row.strip() for row in rows)])
            self._base_key = base_key
        cells, strips = self._base
        col = self.state.scale.col(self.state.playhead)
        if not (0 <= col < width and self.state.timeline.clips):
            return list(strips)
        playhead = self._style("playhead")
        lines = []
        for i, (row, strip) in enumerate(zip(cells, strips, strict=True)):
            char = row.chars[col]
            if i == 0 and char in " ╷":  # over a label the playhead only colours the digit: a label
                char = "▼"  # is never overdrawn
            mark = Strip([Segment(char, playhead)], 1)
            lines.append(Strip.join([strip.crop(0, col), mark, strip.crop(col + 1, width)]))
        return lines

    def _ruler(self, width: int) -> CellRow:
        state = self.state
        tl = state.timeline
        row = CellRow(width, self._style("ruler"))
        fps_n = nominal_fps(tl.fps)
        every = tick_interval(float(state.scale.fpc), fps_n)
        first = state.scale.frame(0)
        frame = (first // every) * every
        last = state.scale.frame(width)
        while frame <= last:
            col = state.scale.col(frame)
            label = short_timecode(frame, tl.fps)
            if col >= 0 and col + 1 + len(label) <= width:  # a label that does not fit is left out, not cut
                row.put(col, "╷")
                row.text(col + 1, width, label)
            elif 0 <= col < width:
                row.put(col, "╷")
            frame += every
        if state.loop is not None:
            c0, c1 = state.scale.span(*state.loop)
            shade = self._style("range")
            for c in range(max(0, c0), min(width, c1)):
                row.styles[c] = row.styles[c] + Style(bgcolor=shade.bgcolor)
        self._markers(row, width)
        return row

    def _markers(self, row: CellRow, width: int) -> None:
        state = self.state
        markers = state.timeline.markers
        style = self._style("ruler") + Style(color=self._style("marker").color, bold=True)
        cols = [state.scale.col(m.frame) for m in markers]
        for i, (marker, col) in enumerate(zip(markers, cols, strict=True)):
            if not 0 <= col < width:
                continue
            stop = min(width, cols[i + 1] if i + 1 < len(cols) else width, col + 1 + _MARKER_NAME_COLS)
            name = "".join(ch for ch in marker.name if cell_len(ch) == 1)
            row.put(col, "◆", style)
            label = (" " + name if name else "")[: max(0, stop - col - 1)]
            for k, ch in enumerate(label):
                row.put(col + 1 + k, ch, style)
            c = col + 1 + len(label)
            while label and c < width and row.chars[c] != "╷":  # no half timecode after the name
                row.put(c, " ")
                c += 1

    def _paint_waveform(self, row: CellRow, placed: Placed, waveform: Waveform, c0: int, c1: int, fps: float) -> None:
        scale = self.state.scale
        gain = placed.clip.audio_gain
        offset = placed.clip.in_ - placed.start  # source frame = timeline frame + offset
        for c in range(c0, c1):
            f0 = max(scale.frame(c), placed.start)
            f1 = min(max(scale.frame(c + 1), f0 + 1), placed.end)
            level = min(1.0, waveform.peak((f0 + offset) / fps, (f1 + offset) / fps) * gain)
            row.chars[c] = _LEVELS[round(level * (len(_LEVELS) - 1))]

    def _paint_clips(self, rows: list[CellRow], width: int) -> None:
        state = self.state
        tl = state.timeline
        scale = state.scale
        media_index = {m.id: i for i, m in enumerate(tl.media)}
        gap = self._style("empty").bgcolor
        waves = dict(state.waveforms)
        fps = float(tl.fps)
        order = [p for p in tl.placed() if p.index != state.selected]
        order += [p for p in tl.placed() if p.index == state.selected]
        for placed in order:
            c0, c1 = scale.span(placed.start, placed.end)
            if c1 <= 0 or c0 >= width:
                continue
            ref = tl.media_by_id(placed.clip.media) if tl.has_media(placed.clip.media) else None
            online = ref is not None and ref.online
            is_gap = placed.clip.media == GAP
            if placed.index == state.selected:
                style = self._style("selected")
            elif placed.index in state.marked:
                style = self._style("marked")
            elif is_gap:
                style = self._style("gap")
            elif not online:
                style = self._style("offline")
            else:
                style = self._style(f"clip-{media_index.get(placed.clip.media, 0) % 4 + 1}")
            name = printable(ref.name if ref else placed.clip.media)  # a file name may hold ESC
            if placed.index in state.marked:
                name = f"{_MARKED}{name}"
            bracketed = state.picked and placed.index == state.selected
            if c1 - c0 <= 2:  # no room for text: skip formatting it (500 clips fit in a few columns)
                label = source = ""
            else:
                label = f"{name} {format_seconds(placed.clip.length, tl.fps)}" if online else f"OFFLINE {name}"
                source = f"{short_timecode(placed.clip.in_, tl.fps)}–{short_timecode(placed.clip.out, tl.fps)}"
                if len(source) > c1 - c0 - 2:  # a cut timecode misleads: the in-point alone, or nothing
                    source = short_timecode(placed.clip.in_, tl.fps)
                    if len(source) > c1 - c0 - 2:
                        source = ""
            if is_gap:
                source = ""
            elif label and (placed.clip.mute or placed.clip.gain_db):
                sound = "MUTE" if placed.clip.mute else f"{placed.clip.gain_db:+.1f}dB"
                label = f"{label} {sound}"
            fill = "╱" if not online else "·" if is_gap else " "
            for r, row in enumerate(rows):
                row.fill(c0, c1, style, fill if r >= 1 else " ")
                if c1 - c0 > 2 and c0 > 0:
                    row.put(c0, "▏", style + Style(color=gap))
                text = label if r == 0 else source if r == 1 and online else ""
                row.text(max(c0, 0) + 1, c1 - 1 if bracketed else c1, text)
            waveform = waves.get(placed.clip.media)
            if waveform is not None and len(rows) >= 3:
                self._paint_waveform(rows[-1], placed, waveform, max(c0, 0), min(c1, width), fps)
            if bracketed:
                self._paint_brackets(rows, c0, c1, style)
            if placed.index == state.selected and state.edge is not None:
                edge_col, mark = (c0, "[") if state.edge == "in" else (c1 - 1, "]")
                for row in rows:
                    row.put(edge_col, mark, self._style("edge"))

    @staticmethod
    def _paint_brackets(rows: list[CellRow], c0: int, c1: int, style: Style) -> None:
        """The selected clip between brackets as tall as the timeline (the edge it does not show is
        off screen; a one-column clip gets its left bracket only)."""
        left, right = brackets(len(rows))
        for r, row in enumerate(rows):
            row.put(c0, left[r], style)
            if c1 - 1 > c0:
                row.put(c1 - 1, right[r], style)
