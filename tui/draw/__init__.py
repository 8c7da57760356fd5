"""Drawing frames into a terminal: ``scale`` (pure numpy), ``blockwriter`` (half blocks as compact
escape codes, only changed cells, paced by bytes: the editor's preview pane and ``livecut play``),
``halfblock`` (the same picture as Textual strips, for Textual's own repaints of the pane and
headless runs), ``encode`` / ``graphics`` (kitty, sixel, iTerm2), ``termcaps`` (asking the
terminal), and ``latest`` (the encoder thread: newest frame wins)."""

from __future__ import annotations

from typing import Literal

Graphics = Literal["auto", "kitty", "sixel", "iterm", "halfblock"]
"""How a frame reaches the terminal: a graphics protocol, or half-block characters (``auto``:
ask the terminal what it can do)."""
GRAPHICS_CHOICES: tuple[Graphics, ...] = ("auto", "kitty", "sixel", "iterm", "halfblock")
