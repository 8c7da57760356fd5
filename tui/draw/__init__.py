"""Drawing frames into a terminal: ``scale`` (pure numpy), ``ansi`` (plain escape sequences for
``livecut play``), ``halfblock`` (Textual strips for the editor's preview pane)."""

from __future__ import annotations

from typing import Literal

Graphics = Literal["auto", "kitty", "sixel", "iterm", "halfblock"]
"""How a frame reaches the terminal: a graphics protocol, or half-block characters (``auto``:
ask the terminal what it can do)."""
GRAPHICS_CHOICES: tuple[Graphics, ...] = ("auto", "kitty", "sixel", "iterm", "halfblock")
