"""Atomic file writes: temp file in the same folder, flush, fsync, ``os.replace``.

A crash or Ctrl-C at any instant leaves either the old file or the new one, never half of
either. Used by project saves, exports and cache entries alike.

Permissions are those of an ordinary write, not of the temp file (``mkstemp`` makes 0600): a new
file follows the umask, and replacing an existing file keeps its mode, so saving a shared 0644
project does not make it private.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; OSError (e.g. ENOSPC) leaves no temp file behind."""
    target = Path(path)
    if target.exists() and not target.is_file():  # a device or FIFO must never be replaced by a file
        raise OSError(errno.EINVAL, "not a regular file", str(target))
    mode = file_mode(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def file_mode(target: Path) -> int:
    """The mode ``target`` should get: its current one if it exists, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read without changing it (Linux ``/proc``); elsewhere set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old
