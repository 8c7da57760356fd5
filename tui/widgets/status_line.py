"""The status line: play state, playhead / duration, selection, messages, file and dirty marker.

Why one line with fixed parts: it is read at a glance while the hands stay on the keys, so every
part stays in the same place; the message part gives way first when the terminal is narrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget

from core.media.limiter import CEILING_DBTP
from core.text import printable


@dataclass(frozen=True)
class Status:
    """What the status line shows."""

    transport: str = "‖ paused"
    position: str = "00:00:00:00 / 00:00:00:00"
    selection: str = ""
    """Which clip the keys act on, and how it was chosen (``clip 2/5 selected: a.mp4 [start``)."""
    selection_short: str = ""
    """The same without the clip's name, used when the full one would push a notice off the line;
    kept beside a message (what the keys act on never leaves the line)."""
    selection_over_note: bool = False
    """The full selection goes before the notice (the source view: its marks are the point)."""
    message: str = ""
    note: str = ""
    """Standing notice (e.g. "preview engine unavailable"), shown when there is no message."""
    job: str = ""
    """Background work under way (``export 42% → film.mp4 · 1 queued``), shown beside the file name."""
    title: str = ""
    dirty: bool = False
    hint: str = ""
    """Where help is (``? help``), shown at the right."""


class StatusLine(Widget):
    """One row at the bottom of the editor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--transport",
        "status--position",
        "status--selection",
        "status--message",
        "status--note",
        "status--job",
        "status--title",
        "status--dirty",
        "status--hint",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = Status()

    def show(self, status: Status) -> None:
        # names reach this line (the file, a clip's media, messages naming paths): a control
        # character in one would be written to the terminal raw and could clear the screen
        status = replace(
            status,
            selection=printable(status.selection),
            selection_short=printable(status.selection_short),
            message=printable(status.message),
            note=printable(status.note),
            title=printable(status.title),
        )
        if status != self.status:
            self.status = status
            self.refresh()

    def render(self) -> Text:
        s = self.status
        style = self.get_component_rich_style
        core = Text.assemble(
            (f" {s.transport} ", style("status--transport")), (f" {s.position} ", style("status--position"))
        )
        right = Text.assemble(("● " if s.dirty else "", style("status--dirty")), (s.title, style("status--title")), " ")
        room = self.size.width - core.cell_len - right.cell_len
        # What else fits, most important first: an export under way, a message, the selection,
        # the help hint, a notice. The short selection (``clip 2/5``, ``SOURCE a.mp4``) says what
        # the keys act on: a message never pushes it out (#26: the source view's label vanished
        # behind the mark message).
        message = notice = selection = hint = job = ""
        if s.job and len(s.job) + 2 <= room:
            job = f"{s.job}  "
            room -= len(job)
        kept = len(s.selection_short) + 1 if s.selection_short and len(s.selection_short) + 1 <= room else 0
        if s.message and room - kept >= min(14, len(s.message) + 2):
            message = _fit(f"  {s.message}", room - kept - _GAP)  # a cut message never runs into the file name
            room -= len(message)
        chosen = s.selection
        if not message and s.note and s.selection_short and not s.selection_over_note:
            needs = len(s.selection) + 1 + (len(s.hint) + 3 if s.hint else 0) + min(14, len(s.note) + 2)
            chosen = s.selection_short if needs > room else s.selection
        if chosen and len(chosen) + 1 > room:
            chosen = s.selection_short
        if chosen and len(chosen) + 1 <= room:
            selection = f" {chosen}"
            room -= len(selection)
        if s.hint and len(s.hint) + 3 <= room:  # never flush against the part before it
            hint = f"{s.hint}  "
            room -= len(hint)
        if not message and s.note and room >= min(14, len(s.note) + 2):
            notice = _fit(f"  {s.note}", room - _GAP)  # never run into the help hint
            room -= len(notice)
        left = Text.assemble(
            core,
            (selection, style("status--selection")),
            (message, style("status--message")),
            (notice, style("status--note")),
            " " * max(0, room),
            (hint, style("status--hint")),
            (job, style("status--job")),
        )
        line = Text.assemble(left, right)
        line.truncate(self.size.width, overflow="ellipsis")
        return line


_BARS = "▁▂▃▄▅▆▇█"
METER_FLOOR_DB = -48.0
"""Quieter than this shows the lowest bar; 0 dBFS the highest."""


def level_meter(level: float) -> str:
    """``♪▆ -9 dB``: a linear peak (1.0 = full scale) as one bar and its dBFS, for the status line.

    Over the mix limiter's ceiling (``core.media.limiter``) the meter shows what plays, the
    ceiling, and by how much the limiter turns the sound down there: ``♪█ -1 dB limit -11``.
    """
    if level <= 0:
        return "♪▁ -∞ dB"
    db = 20 * math.log10(level)
    if db > CEILING_DBTP:
        return f"♪{_BARS[-1]} {CEILING_DBTP:.0f} dB limit -{db - CEILING_DBTP:.0f}"
    step = min(len(_BARS) - 1, max(0, round((db - METER_FLOOR_DB) / -METER_FLOOR_DB * (len(_BARS) - 1))))
    return f"♪{_BARS[step]} {db:+.0f} dB" if db > 0 else f"♪{_BARS[step]} {db:.0f} dB"


_GAP = 2
"""Columns always left between the left parts and the file name."""


def _fit(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(0, room - 1)] + "…"
