"""The terminal itself, without Textual: what is asked of it, written to it and kept off it.

Pictures: ``scale`` (pure numpy), ``blockwriter`` (half blocks as compact escape codes, only
changed cells, paced by bytes: the editor's preview pane and ``livecut play``), ``encode`` /
``graphics`` (kitty, sixel, iTerm2), ``latest`` (the encoder thread: newest frame wins).
Capabilities and modes: ``termcaps`` (asking the terminal what it can draw), ``tmuxcolour``
(24-bit colour inside tmux), ``termguard`` (the terminal kept Textual's alone while the editor
runs), ``logsetup`` (logs to a file, never the screen), ``rawmode`` (single keys for ``livecut
play``). ``livecut play`` uses all of these
without Textual; ``tui.widgets.halfblock`` is the Textual-strip twin of ``blockwriter``.
``tests/test_import_hygiene.py`` walks this package and fails if anything in it loads Textual."""

from __future__ import annotations

from typing import Literal

Graphics = Literal["auto", "kitty", "sixel", "iterm", "halfblock"]
"""How a frame reaches the terminal: a graphics protocol, or half-block characters (``auto``:
ask the terminal what it can do)."""
GRAPHICS_CHOICES: tuple[Graphics, ...] = ("auto", "kitty", "sixel", "iterm", "halfblock")
