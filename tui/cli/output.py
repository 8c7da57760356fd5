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
from core.text import printable


class UsageError(LivecutError):
    """A command-line mistake: printed as one line, exit 2."""


MAX_WORKERS = 256
"""Most encoder threads a command may ask for: each is an OS thread with its own decoder, and
``--workers 100000`` ran the machine out of threads before saying anything."""


def check_workers(workers: int | None) -> None:
    if workers is None:
        return
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if workers > MAX_WORKERS:
        raise UsageError(f"--workers must be at most {MAX_WORKERS} (got {workers})")


def os_error_line(exc: OSError) -> str:
    """One sentence for an OS error the commands did not expect: the file and the OS's reason."""
    reason = exc.strerror or str(exc)
    name = exc.filename
    return f"{name}: {reason}" if name is not None else reason


def parsed_fps(text: str | None, option: str = "--fps") -> str | None:
    """``text`` if it is a frame rate, else a UsageError naming the option (checked up front so a
    bad rate is a usage mistake, not a failure deep in the command)."""
    if text is None:
        return None
    from core.timebase import parse_fps

    try:
        parse_fps(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
    return text


def emit_json(data: object) -> None:
    """The one place headless commands print JSON (stdout belongs to the command, not the TUI)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def say(text: str) -> None:
    """A result line on stdout; control characters in names it carries are shown escaped."""
    sys.stdout.write(printable(text) + "\n")


def warn(text: str) -> None:
    """One line on stderr, prefixed like every other message of the CLI."""
    sys.stderr.write(f"livecut: {printable(text)}\n")


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
                sys.stderr.write(f"\r\x1b[K{printable(text)}")
            else:
                sys.stderr.write(printable(text) + "\n")
            sys.stderr.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\n")


def bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / max(1, total))
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"
