"""What every command prints, and how: stdout for results, stderr for progress and mistakes.

Why one module: the command modules share it and nothing else, so the CLI has no import circle
(``main`` imports the commands; the commands import only this module, ``command`` and core).
"""

from __future__ import annotations

import json
import sys
import threading
import time

from core.errors import LivecutError


class UsageError(LivecutError):
    """A command-line mistake: printed as one line, exit 2."""


def emit_json(data: object) -> None:
    """The one place headless commands print JSON (stdout belongs to the command, not the TUI)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    """One line on stderr, prefixed like every other message of the CLI."""
    sys.stderr.write(f"livecut: {text}\n")


class Progress:
    """Coalesced progress on stderr: rewritten in place on a TTY, a line every 2 s otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._lock = threading.Lock()

    def show(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < (0.1 if self.tty else 2.0):
                return
            self._last = now
            if self.tty:
                sys.stderr.write(f"\r\x1b[K{text}")
            else:
                sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\n")


def bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / max(1, total))
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"
