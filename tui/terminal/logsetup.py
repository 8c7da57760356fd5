"""Logging to a file in the log folder (``core.locations.log_dir``: the XDG state dir unless
``LIVECUT_LOG_DIR`` moves it): the TUI owns the screen, so nothing logs to it."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from core.locations import log_dir


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Send the root logger to ``livecut.log`` (rotating); returns its path, or None if unwritable."""
    root = logging.getLogger()
    if any(getattr(h, "_livecut", False) for h in root.handlers):
        return None
    try:
        directory = log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(directory / "livecut.log", maxBytes=2_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        return None
    handler._livecut = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    return directory / "livecut.log"
