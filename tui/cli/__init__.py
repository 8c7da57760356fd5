"""The ``livecut`` command line (``python -m tui.cli`` runs it too); see ``tui.cli.main``."""

from __future__ import annotations

from tui.cli.main import main

__all__ = ["main"]
