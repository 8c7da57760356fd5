"""The segment status bar: every preview segment's state on the timeline's scale, plus a summary.

Why it reads a snapshot: the engine's state changes on worker threads many times a second; the
UI receives a coalesced "changed" message and hands the bar one immutable snapshot
(``SnapshotView``: segments, states, progress, totals), so the bar never races the engine and
tests can feed it any mix of states with no encoder and no clock.

Where several segments share a column, the column shows the one that most needs attention
(failed > offline > encoding > queued > pending > lower > ready): a column is green only when all
of it is ready. "Lower" is ready at a lower rung of the quality ladder (it plays, softer): the
ready colour with a shaded glyph, and the summary counts it apart. States differ by glyph as well as by colour, for colour-blind users and monochrome
terminals. An encoding segment fills with its progress.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from core.cells.plan import SegmentState
from core.preview.seam import SnapshotView
from tui.bridge.snapshot import StaticSnapshot
from tui.editor.viewport import Scale
from tui.widgets.charrow import CellRow

PRIORITY = {
    SegmentState.READY: 0,
    SegmentState.LOWER: 1,
    SegmentState.PENDING: 2,
    SegmentState.QUEUED: 3,
    SegmentState.ENCODING: 4,
    SegmentState.OFFLINE: 5,
    SegmentState.FAILED: 6,
}
GLYPH = {
    SegmentState.READY: "█",
    SegmentState.LOWER: "▓",
    SegmentState.PENDING: "·",
    SegmentState.QUEUED: "░",
    SegmentState.ENCODING: "▒",
    SegmentState.OFFLINE: "╳",
    SegmentState.FAILED: "!",
}
_EIGHTHS = " ▁▂▃▄▅▆▇█"


def human_bytes(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


LEGEND: tuple[tuple[SegmentState, str], ...] = (
    (SegmentState.READY, "ready: plays at full quality"),
    (SegmentState.LOWER, "ready at a lower quality rung (sharpened when idle)"),
    (SegmentState.ENCODING, "encoding (fills as it goes)"),
    (SegmentState.QUEUED, "queued for a worker"),
    (SegmentState.PENDING, "pending: needed, not queued yet"),
    (SegmentState.FAILED, "failed: plays black (the status line says why)"),
    (SegmentState.OFFLINE, "offline: the media file is missing"),
)
"""Every state the bar draws, with its glyph: the ``?`` help shows it."""


def summary(snapshot: SnapshotView, note: str = "") -> str:
    """``█ 38/52 ready · ▒ 2 encoding · · 12 pending · 14.2 MB · libx264``: every state is named
    with its glyph (a legend in place), and the counts add up to the total."""
    total = len(snapshot.segments)
    if not total:
        return note or "no segments"
    states = list(snapshot.states)
    count = {state: states.count(state) for state in GLYPH}
    parts = [f"{GLYPH[SegmentState.READY]} {count[SegmentState.READY]}/{total} ready"]
    words = {
        SegmentState.LOWER: "at lower quality",
        SegmentState.ENCODING: "encoding",
        SegmentState.QUEUED: "queued",
        SegmentState.PENDING: "pending",
        SegmentState.FAILED: "failed",
        SegmentState.OFFLINE: "offline",
    }
    for state, word in words.items():
        if count[state]:
            text = f"{GLYPH[state]} {count[state]} {word}"
            if state == SegmentState.FAILED:
                first = next(iter(snapshot.errors.values()), "")
                text += f": {first}" if first else ""
            parts.append(text)
    if snapshot.bytes:
        parts.append(human_bytes(snapshot.bytes))
    if snapshot.encoder:
        parts.append(snapshot.encoder)
    if note:
        parts.append(note)
    return " · ".join(parts)


class SegmentBar(Widget):
    """One row of segment states under the timeline and one summary row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "segbar--empty",
        "segbar--summary",
        "segbar--pending",
        "segbar--queued",
        "segbar--encoding",
        "segbar--progress",
        "segbar--ready",
        "segbar--lower",
        "segbar--failed",
        "segbar--offline",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshot: SnapshotView = StaticSnapshot()
        self.scale = Scale()
        self.note = ""
        """Shown at the end of the summary (e.g. "preview engine unavailable")."""

    def show(self, snapshot: SnapshotView, scale: Scale, note: str = "") -> None:
        if (snapshot, scale, note) != (self.snapshot, self.scale, self.note):
            self.snapshot, self.scale, self.note = snapshot, scale, note
            self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._bar(width)
        if y == 1:
            row = CellRow(width, self.get_component_rich_style("segbar--summary"))
            row.text(0, width, summary(self.snapshot, self.note))
            return row.strip()
        return Strip.blank(width)

    def column_states(self, width: int) -> list[tuple[SegmentState | None, float]]:
        """(state, progress) shown in each column; None where there is no segment."""
        cols: list[tuple[SegmentState | None, float]] = [(None, 0.0)] * width
        snap = self.snapshot
        progress = list(snap.progress)
        for i, (seg, state) in enumerate(zip(snap.segments, snap.states, strict=False)):
            c0, c1 = self.scale.span(seg.at, seg.end)
            if c1 <= 0 or c0 >= width:
                continue
            done = progress[i] if i < len(progress) else 0.0
            span = c1 - c0
            for c in range(max(c0, 0), min(c1, width)):
                current = cols[c][0]
                if current is None or PRIORITY[state] > PRIORITY[current]:
                    if state == SegmentState.ENCODING and span > 1:
                        cols[c] = (state, 1.0 if (c - c0 + 0.5) / span <= done else 0.0)
                    else:
                        cols[c] = (state, done)
        return cols

    def _bar(self, width: int) -> Strip:
        styles = {state: self.get_component_rich_style(f"segbar--{state.value}") for state in SegmentState}
        progress_style: Style = self.get_component_rich_style("segbar--progress")
        empty = self.get_component_rich_style("segbar--empty")
        row = CellRow(width, empty)
        for c, (state, done) in enumerate(self.column_states(width)):
            if state is None:
                continue
            if state == SegmentState.ENCODING:
                if done >= 1.0:
                    row.put(c, "█", progress_style + Style(color=progress_style.bgcolor))
                elif done > 0.0:
                    row.put(c, _EIGHTHS[max(1, int(done * 8))], styles[state] + Style(color=progress_style.bgcolor))
                else:
                    row.put(c, GLYPH[state], styles[state])
            elif state == SegmentState.READY:
                row.put(c, GLYPH[state], styles[state] + Style(color=styles[state].bgcolor))
            elif state == SegmentState.LOWER:  # the ready colour, shaded: it plays, but softer
                ready = styles[SegmentState.READY]
                row.put(c, GLYPH[state], ready + Style(color=ready.bgcolor, bgcolor=empty.bgcolor))
            else:
                row.put(c, GLYPH[state], styles[state])
        return row.strip()
