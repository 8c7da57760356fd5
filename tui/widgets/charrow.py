"""A row of character cells, each with its own style, turned into one ``Strip``.

Why: the timeline and the segment bar are drawn column by column (each column is a slice of
time), which is simplest as two parallel lists; merging runs of equal style into one segment
keeps what Textual has to compose per refresh small.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip


class CellRow:
    """``width`` cells of (character, style) to paint into, then ``strip()``."""

    def __init__(self, width: int, style: Style, char: str = " ") -> None:
        self.width = max(0, width)
        self.chars = [char] * self.width
        self.styles = [style] * self.width

    def fill(self, c0: int, c1: int, style: Style, char: str | None = None) -> None:
        for c in range(max(0, c0), min(self.width, c1)):
            self.styles[c] = style
            if char is not None:
                self.chars[c] = char

    def put(self, c: int, char: str, style: Style | None = None) -> None:
        if 0 <= c < self.width:
            self.chars[c] = char
            if style is not None:
                self.styles[c] = style

    def text(self, c0: int, c1: int, text: str) -> None:
        """Write ``text`` from column ``c0``, cut at ``c1`` (single-width characters only)."""
        for i, char in enumerate(text[: max(0, c1 - c0)]):
            self.put(c0 + i, char)

    def strip(self) -> Strip:
        segments: list[Segment] = []
        run: list[str] = []
        style: Style | None = None
        for char, cell_style in zip(self.chars, self.styles, strict=True):
            if cell_style is not style and cell_style != style and run:
                segments.append(Segment("".join(run), style))
                run = []
            style = cell_style
            run.append(char)
        if run:
            segments.append(Segment("".join(run), style))
        return Strip(segments, self.width)
