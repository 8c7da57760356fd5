"""A scripted terminal: runs a command in a pty, answers its capability queries, keeps its output.

The replies are what a real terminal of each kind sends (kitty, an xterm with sixel, WezTerm,
or nothing at all), so detection runs through the same bytes it would meet in the wild. The
window size, in cells and pixels, is set with ``TIOCSWINSZ`` like a terminal emulator does.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

KITTY_Q = b"\x1b_Gi=31,s=1,v=1,a=q"
XTVERSION_Q = b"\x1b[>0q"
CELL_Q = b"\x1b[16t"
DA1_Q = b"\x1b[c"

TERMINALS: dict[str, dict[bytes, bytes]] = {
    "kitty": {
        KITTY_Q: b"\x1b_Gi=31;OK\x1b\\",
        XTVERSION_Q: b"\x1bP>|kitty(0.35.2)\x1b\\",
        CELL_Q: b"\x1b[6;20;10t",
        DA1_Q: b"\x1b[?62;c",
    },
    "xterm-sixel": {
        XTVERSION_Q: b"\x1bP>|XTerm(390)\x1b\\",
        CELL_Q: b"\x1b[6;20;10t",
        DA1_Q: b"\x1b[?63;1;2;4;6;9;15;22c",
    },
    "wezterm": {
        XTVERSION_Q: b"\x1bP>|WezTerm 20240203-110809-5046fc22\x1b\\",
        CELL_Q: b"\x1b[6;20;10t",
        DA1_Q: b"\x1b[?65;4;6;18;22c",
    },
    "plain": {DA1_Q: b"\x1b[?1;2c"},
    "silent": {},
}
for _replies in TERMINALS.values():  # tmux asks XTVERSION without the 0
    if XTVERSION_Q in _replies:
        _replies[b"\x1b[>q"] = _replies[XTVERSION_Q]


class PtyTerminal:
    """``argv`` running on a pty of ``cols``×``rows`` cells; output collected in ``output``."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 120,
        rows: int = 36,
        cell: tuple[int, int] = (10, 20),
        replies: dict[bytes, bytes] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.replies = replies or {}
        self.output = bytearray()
        self.chunks: list[tuple[float, int]] = []
        """(monotonic time, output length after the chunk) for every read: when bytes arrived."""
        self._answered = 0
        self._lock = threading.Lock()
        master, slave = os.openpty()
        size = struct.pack("HHHH", rows, cols, cols * cell[0], rows * cell[1])
        fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
        self.master = master
        self.cell = cell
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready:
                    if self.proc.poll() is not None:
                        return
                    continue
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk
                self.chunks.append((time.monotonic(), len(self.output)))
                self._answer()

    def _answer(self) -> None:
        """Reply to every query seen since the last call, in the order the queries came."""
        scan_from = max(0, self._answered - 16)
        found: list[tuple[int, bytes]] = []
        for query, reply in self.replies.items():
            at = self.output.find(query, scan_from)
            while at >= 0:
                if at + len(query) > self._answered:
                    found.append((at, reply))
                at = self.output.find(query, at + 1)
        self._answered = len(self.output)
        for _, reply in sorted(found):
            os.write(self.master, reply)

    def resize(self, cols: int, rows: int) -> None:
        """What a terminal emulator does when its window changes: new size, SIGWINCH."""
        size = struct.pack("HHHH", rows, cols, cols * self.cell[0], rows * self.cell[1])
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, size)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGWINCH)

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def wait_for(self, needle: bytes, timeout: float = 60, start: int = 0) -> int:
        """Index just after ``needle`` in the output; waits for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.snapshot()
            at = data.find(needle, start)
            if at >= 0:
                return at + len(needle)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        tail = self.snapshot()[-2000:]
        raise AssertionError(f"{needle!r} never appeared (exit {self.proc.poll()}); tail: {tail!r}")

    def wait_exit(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self.master)
