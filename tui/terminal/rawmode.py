"""Raw keys from the terminal without Textual: single-key input and a wait for a key or a wake-up.

Why a module of its own: ``livecut play`` reads keys while it draws pictures, with no Textual
app to own the terminal; the termios state it changes must be restored on every exit path (an
exception, Ctrl-C, the end of the film), and keys typed but not read must not spill into the
shell. Keeping that here puts all of livecut's terminal I/O in ``tui.terminal``.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import termios
import tty
from collections.abc import Iterator


@contextlib.contextmanager
def cbreak() -> Iterator[bool]:
    """Single-key input when stdin is a terminal; yields whether keys can be read."""
    if not sys.stdin.isatty():
        yield False
        return
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        # FLUSH, not DRAIN: keys typed for play but not read yet (a q as playback ends) must not
        # spill into the shell's next line
        termios.tcsetattr(fd, termios.TCSAFLUSH, old)


def wait_key(wake_fd: int, keys: bool, timeout: float) -> str:
    """Sleep until a key, a frame or a player event (``wake_fd`` readable), or ``timeout``; the
    key pressed, if any. Waking on frames matters: a fixed poll interval capped the frame rate."""
    fds = [wake_fd, sys.stdin.fileno()] if keys else [wake_fd]
    ready, _, _ = select.select(fds, [], [], timeout)
    if wake_fd in ready:
        with contextlib.suppress(BlockingIOError):
            os.read(wake_fd, 4096)
    if not keys or sys.stdin.fileno() not in ready:
        return ""
    data = os.read(sys.stdin.fileno(), 8).decode(errors="ignore")
    return {"\x1b[C": "right", "\x1b[D": "left"}.get(data, data[:1])
