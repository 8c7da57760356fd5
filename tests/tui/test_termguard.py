"""The terminal guard in a real pseudo-terminal: native output goes to the log, not the screen;
non-blocking mode and a changed terminal mode are put back; everything is restored on exit."""

from __future__ import annotations

import os
import pty
import sys
import time
from pathlib import Path

import pytest

CHILD = r"""
import fcntl, logging, os, sys, termios
logging.basicConfig(filename=sys.argv[1], level=logging.INFO)
from tui.terminal.termguard import TerminalGuard
with TerminalGuard() as guard:
    assert guard.active
    os.write(2, b"error: XDG_RUNTIME_DIR is invalid (native)\n")
    os.write(1, b"native stdout line\n")
    tty = sys.__stdin__.fileno()
    guard.settle()
    fcntl.fcntl(tty, fcntl.F_SETFL, fcntl.fcntl(tty, fcntl.F_GETFL) | os.O_NONBLOCK)
    mode = termios.tcgetattr(tty); mode[3] &= ~termios.ECHO; termios.tcsetattr(tty, termios.TCSANOW, mode)
    assert guard.check() and not fcntl.fcntl(tty, fcntl.F_GETFL) & os.O_NONBLOCK
    assert termios.tcgetattr(tty)[3] & termios.ECHO
    fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK)  # someone's fd 0
    sys.stdout.write("textual writes here\n"); sys.stdout.flush()
assert not fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK
os.write(2, b"restored stderr\n")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals as on Linux")
def test_native_output_goes_to_the_log_and_the_terminal_is_restored(tmp_path: Path) -> None:
    log = tmp_path / "livecut.log"
    root = Path(__file__).resolve().parents[2]
    pid, fd = pty.fork()
    if pid == 0:  # child: the guarded program on the pty
        os.chdir(root)
        os.execv(sys.executable, [sys.executable, "-c", CHILD, str(log)])
    shown = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    _, status = os.waitpid(pid, 0)
    text = shown.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "textual writes here" in text and "restored stderr" in text
    assert "XDG_RUNTIME_DIR" not in text and "native stdout" not in text
    logged = log.read_text()
    assert "XDG_RUNTIME_DIR is invalid (native)" in logged and "native stdout line" in logged
    assert "non-blocking" in logged and "mode" in logged
