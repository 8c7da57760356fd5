"""livecut's engine: everything that works without a terminal.

Nothing under ``core`` may import ``textual``, ``rich`` or ``tui``; a test enforces it so the
CLI's headless commands, the tests and any later front end drive the same engine.
"""

from __future__ import annotations

__version__ = "0.1.0"
ENGINE_VERSION = 4
"""Bumped whenever an encode would produce different bytes; part of every cell key."""
