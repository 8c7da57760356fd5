"""The status line: play state, playhead / duration, selection, messages, file and dirty marker.

Why one line with fixed parts: it is read at a glance while the hands stay on the keys, so every
part stays in the same place; the message part gives way first when the terminal is narrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.widget import Widget


@dataclass(frozen=True)
class Status:
    """What the status line shows."""

    transport: str = "‖ paused"
    position: str = "00:00:00:00 / 00:00:00:00"
    selection: str = ""
    message: str = ""
    note: str = ""
    """Standing notice (e.g. "preview engine unavailable"), shown when there is no message."""
    title: str = ""
    dirty: bool = False
    hint: str = ""
    """Where help is (``? help``), shown at the right."""


class StatusLine(Widget):
    """One row at the bottom of the editor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--transport", "status--position", "status--selection", "status--message", "status--note",
        "status--title", "status--dirty", "status--hint",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = Status()

    def show(self, status: Status) -> None:
        if status != self.status:
            self.status = status
            self.refresh()

    def render(self) -> Text:
        s = self.status
        style = self.get_component_rich_style
        width = self.size.width
        right = Text.assemble(
            (f"{s.hint}  " if s.hint else "", style("status--hint")),
            ("● " if s.dirty else "", style("status--dirty")),
            (s.title, style("status--title")),
        )
        left = Text.assemble(
            (f" {s.transport} ", style("status--transport")),
            (f" {s.position} ", style("status--position")),
            (f" {s.selection}" if s.selection else "", style("status--selection")),
        )
        room = width - right.cell_len - 1
        extra, extra_style = (s.message, "status--message") if s.message else (s.note, "status--note")
        spare = room - left.cell_len - 2
        if extra and spare >= min(12, len(extra)):
            tail = Text(f"  {extra}", style(extra_style))
            tail.truncate(spare + 2, overflow="ellipsis")
            left.append_text(tail)
        if left.cell_len > room:
            left.truncate(max(0, room), overflow="ellipsis")
        left.pad_right(max(0, room - left.cell_len))
        return Text.assemble(left, right, " ")
