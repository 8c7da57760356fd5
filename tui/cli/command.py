"""The shape of one sub-command: a name, a help line, its arguments and what it runs.

Each ``tui/cli/<name>.py`` module defines one ``COMMAND``; ``tui.cli.main`` lists them. A command
imports core lazily inside ``run`` so that ``livecut --help`` and a mistyped argument stay fast,
and none of them imports Textual (a test proves it in a fresh interpreter).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One ``livecut NAME ...`` sub-command."""

    name: str
    """What the user types after ``livecut``."""
    help: str
    """One line for ``--help``."""
    setup: Callable[[argparse.ArgumentParser], None]
    """Adds the command's arguments to its parser."""
    run: Callable[[argparse.Namespace], int]
    """Does the work; returns the exit code (a ``LivecutError`` becomes one line and exit 1)."""
    prepare: Callable[[list[str]], list[str]] | None = None
    """Rewrites the command's arguments before argparse reads them, for what argparse cannot take
    as written (``autocut --silence -40:0.5``: a value that looks like an option)."""
