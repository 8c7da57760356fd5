"""Keep native code off the terminal while the editor runs: only Textual talks to it.

Why: libmpv and what it loads (Mesa, SDL, libwayland, VDPAU, ALSA) write straight to file
descriptors 1 and 2 (``error: XDG_RUNTIME_DIR is invalid…`` across the preview) and some switch
descriptor 0 to non-blocking mode, which killed Textual's input thread with ``BlockingIOError``.
Python-level redirection cannot stop either. So, for as long as the editor runs:

* Textual gets the terminal through a **fresh open** of the tty device (its own open file
  description: ``O_NONBLOCK`` set by anyone on fd 0 does not reach it), installed as
  ``sys.stdin``/``stdout``/``stderr`` (and their ``__dunder__`` originals, which Textual's driver
  reads).
* Descriptors 1 and 2 become a pipe whose lines a daemon thread writes to the log (logger
  ``native``): nothing native reaches the screen. Descriptor 0 stays the terminal's original
  open file description, which Textual no longer reads from (Rich sizes the screen from it:
  pointed at ``/dev/null`` the app flipped between two sizes).
* ``check()`` (the app calls it every second) puts back the terminal's mode should native code
  change it anyway (termios is per terminal, not per descriptor), and clears ``O_NONBLOCK``.
* On exit every descriptor, flag and mode is restored, so the shell gets a usable terminal even
  after a crash.

Without a terminal on 0 and 2 (tests, pipes) the guard does nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import termios
import threading
from types import TracebackType
from typing import Any, TextIO

log = logging.getLogger(__name__)
native_log = logging.getLogger("native")

_STD = (0, 1, 2)


class TerminalGuard:
    """Context manager around the editor's ``App.run()``."""

    def __init__(self) -> None:
        self.active = False
        self._tty = -1
        self._saved: dict[int, int] = {}
        self._flags: dict[int, int] = {}
        self._entry_mode: list[Any] | None = None
        self._mode: list[Any] | None = None
        """The terminal mode Textual set up, which ``check`` keeps."""
        self._streams: dict[str, TextIO | None] = {}
        self._opened: list[TextIO] = []
        self._reader: threading.Thread | None = None
        self.repairs = 0
        """How many times ``check`` had to put the terminal back."""

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> TerminalGuard:
        if not (os.isatty(0) and os.isatty(2)):
            return self
        try:
            self._enter()
        except OSError:
            log.exception("cannot separate the terminal from native output; running unguarded")
            self._restore()
        return self

    def _enter(self) -> None:
        path = os.ttyname(0)
        self._tty = os.open(path, os.O_RDWR | os.O_NOCTTY)
        for fd in _STD:
            self._flags[fd] = fcntl.fcntl(fd, fcntl.F_GETFL)
        with contextlib.suppress(termios.error):
            self._entry_mode = termios.tcgetattr(self._tty)
        for name in ("stdin", "stdout", "stderr"):
            self._streams[name] = getattr(sys, name)
            self._streams[f"__{name}__"] = getattr(sys, f"__{name}__")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        for fd in _STD:
            self._saved[fd] = os.dup(fd)
        tty_in = os.fdopen(os.dup(self._tty), "r", encoding="utf-8", errors="replace")
        tty_out = os.fdopen(os.dup(self._tty), "w", encoding="utf-8", errors="replace", buffering=1)
        self._opened += [tty_in, tty_out]
        for name, stream in (("stdin", tty_in), ("stdout", tty_out), ("stderr", tty_out)):
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)  # what Textual's driver reads

        read_end, write_end = os.pipe()
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        if not logging.getLogger().handlers:  # no log file: drop native output rather than show it
            native_log.addHandler(logging.NullHandler())
            native_log.propagate = False
        self._reader = threading.Thread(
            target=self._forward, args=(read_end,), name="livecut-native-output", daemon=True
        )
        self._reader.start()
        self.active = True
        log.info("terminal guarded: native output goes to this log (tty %s)", path)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._restore()

    def _restore(self) -> None:
        for stream in self._opened:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        for fd, saved in self._saved.items():
            with contextlib.suppress(OSError):
                os.dup2(saved, fd)
                os.close(saved)
        self._saved.clear()
        for fd, flags in self._flags.items():
            with contextlib.suppress(OSError):
                if fcntl.fcntl(fd, fcntl.F_GETFL) != flags:
                    fcntl.fcntl(fd, fcntl.F_SETFL, flags)
        if self._entry_mode is not None and self._tty >= 0:
            with contextlib.suppress(termios.error):
                if termios.tcgetattr(self._tty) != self._entry_mode:
                    termios.tcsetattr(self._tty, termios.TCSANOW, self._entry_mode)
        for name, original in self._streams.items():
            setattr(sys, name, original)
        self._streams.clear()
        for stream in self._opened:
            with contextlib.suppress(OSError, ValueError):
                stream.close()
        self._opened.clear()
        if self._tty >= 0:
            with contextlib.suppress(OSError):
                os.close(self._tty)
            self._tty = -1
        if self._reader is not None:
            self._reader.join(timeout=1)  # the pipe's write ends are closed: it reads to EOF
            self._reader = None
        self.active = False

    # -- while the editor runs ---------------------------------------------------------------------
    def settle(self) -> None:
        """Remember the terminal mode as it is now (after Textual set it up) for ``check``."""
        if self.active:
            with contextlib.suppress(termios.error):
                self._mode = termios.tcgetattr(self._tty)

    def check(self) -> bool:
        """Put the terminal back if native code changed it; True when something was repaired."""
        if not self.active:
            return False
        repaired = False
        try:
            flags = fcntl.fcntl(self._tty, fcntl.F_GETFL)
            if flags & os.O_NONBLOCK:
                fcntl.fcntl(self._tty, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
                log.warning("something switched the terminal to non-blocking mode: switched back")
                repaired = True
            if self._mode is not None:
                mode = termios.tcgetattr(self._tty)
                if mode != self._mode:
                    termios.tcsetattr(self._tty, termios.TCSANOW, self._mode)
                    log.warning("something changed the terminal's mode: put back")
                    repaired = True
        except (OSError, termios.error):
            log.exception("cannot check the terminal")
        self.repairs += repaired
        return repaired

    @staticmethod
    def _forward(fd: int) -> None:
        """Native output, line by line, into the log."""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            pending = b""
            while True:
                try:
                    chunk = pipe.read(65536)
                except OSError:
                    break
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    text = line.decode(errors="replace").rstrip()
                    if text:
                        native_log.warning("%s", text)
            if pending.strip():
                native_log.warning("%s", pending.decode(errors="replace").rstrip())
