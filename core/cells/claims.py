"""Cross-process claims on cell keys: two processes sharing a cache encode each cell once.

Before encoding a cell, a scheduler claims its key by creating ``<store>/.claims/<key>.claim``
with ``O_CREAT | O_EXCL`` (atomic on local file systems and on NFSv3+), holding the owner's host,
pid and a random token. Another process that finds the claim does not encode the cell; it waits
for the entry to appear in the store (``CellStore.adopt``) and meanwhile goes on with other cells.

A claim is kept alive by a heartbeat (its mtime is touched every ``HEARTBEAT_S`` while the work
runs). It is taken over when its owner is dead (same host, no such pid) or its heartbeat is
older than ``STALE_S`` (any host, so a cache shared between machines recovers from a machine
that died). Taking over renames the stale file aside first, so of two processes taking over the
same claim only one wins.

Claims only save work, they never decide correctness: entries are content-addressed and written
atomically, so a cell encoded twice (a claim lost to a clock jump, a file system without
``O_EXCL``) is the same bytes written twice.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0
"""How often a held claim is touched."""
STALE_S = 15.0
"""A claim untouched this long is abandoned (its owner hung, died on another host, or lost the disk)."""
SUFFIX = ".claim"


@dataclass(frozen=True)
class Owner:
    """Who holds a claim."""

    host: str
    pid: int
    token: str
    """Random per ``Claims`` object: two schedulers in one process are different owners."""

    def to_bytes(self) -> bytes:
        return json.dumps({"host": self.host, "pid": self.pid, "token": self.token}).encode()

    @staticmethod
    def from_bytes(data: bytes) -> Owner | None:
        try:
            doc = json.loads(data)
            return Owner(str(doc["host"]), int(doc["pid"]), str(doc["token"]))
        except (ValueError, TypeError, KeyError):
            return None


def this_host() -> str:
    return socket.gethostname() or "localhost"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (a zombie counts as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def open_here(paths: set[Path]) -> set[Path]:
    """Which of ``paths`` some process on this machine has open (Linux ``/proc``; else: all)."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return set(paths)  # cannot tell: assume they are all open
    wanted = {os.path.realpath(p): p for p in paths}
    found: set[Path] = set()
    for fd_dir in proc.glob("[0-9]*/fd"):
        try:
            links = list(fd_dir.iterdir())
        except OSError:
            continue
        for link in links:
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if target in wanted:
                found.add(wanted[target])
    return found


def owner_alive(owner: Owner | None, host: str) -> bool | None:
    """True/False when it can be told from here (same host); None for another host's owner or none."""
    if owner is None or owner.host != host:
        return None
    return pid_alive(owner.pid)


class Claims:
    """The claims of one scheduler on one store folder; ``close()`` releases them all."""

    def __init__(self, folder: Path, *, heartbeat_s: float = HEARTBEAT_S, stale_s: float = STALE_S) -> None:
        self.folder = folder
        self.owner = Owner(this_host(), os.getpid(), secrets.token_hex(8))
        self._blob = self.owner.to_bytes()
        self.heartbeat_s = heartbeat_s
        self.stale_s = stale_s
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._last_beat = time.monotonic()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    # -- taking and giving back ----------------------------------------------------------------------
    def acquire(self, key: str) -> bool:
        """Claim ``key``: True when it is now ours (free, already ours, or taken over from a stale owner)."""
        with self._lock:
            if key in self._held:
                return True
        path = self._path(key)
        for _ in range(2):
            if self._create(path):
                with self._lock:
                    self._held.add(key)
                return True
            if not self._take_over_if_stale(path):
                return False
        return False

    def _create(self, path: Path) -> bool:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except FileNotFoundError:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.warning("claims folder %s cannot be made (%s): encoding without claims", self.folder, exc)
                return True
            return self._create(path)
        except OSError as exc:  # a read-only cache: claims are an optimisation, work goes on
            log.warning("claim %s cannot be made (%s): encoding without it", path, exc)
            return True
        try:
            os.write(fd, self._blob)
        finally:
            os.close(fd)
        return True

    def _take_over_if_stale(self, path: Path) -> bool:
        """Move a stale claim aside (one taker wins); True when ``path`` may be created again."""
        seen = self.holder(path.name.removesuffix(SUFFIX))
        if seen is not None and not seen.stale:
            return False
        aside = path.with_name(f"{path.name}.{self.owner.token}.stale")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return True  # released or taken over meanwhile: try to create it
        except OSError:
            return False
        # the file renamed may be a fresh claim made after our look: give it back if so
        moved = _read(aside)
        if seen is not None and moved is not None and moved != seen.owner:
            with contextlib.suppress(OSError):
                os.link(aside, path)
            with contextlib.suppress(OSError):
                os.unlink(aside)
            return False
        with contextlib.suppress(OSError):
            os.unlink(aside)
        log.info("claim %s taken over from %s", path.name, seen.owner if seen else "a broken claim")
        return True

    def release(self, key: str) -> None:
        """Give ``key`` back (after the cell is stored, failed or cancelled); a no-op when not held."""
        with self._lock:
            if key not in self._held:
                return
            self._held.discard(key)
        path = self._path(key)
        if _read(path) == self.owner:  # never remove a claim someone took over from us
            with contextlib.suppress(OSError):
                path.unlink()

    def close(self) -> None:
        with self._lock:
            held = list(self._held)
        for key in held:
            self.release(key)

    # -- watching ------------------------------------------------------------------------------------
    def held(self) -> set[str]:
        with self._lock:
            return set(self._held)

    def heartbeat(self) -> None:
        """Touch every held claim when ``heartbeat_s`` has passed (cheap to call often)."""
        now = time.monotonic()
        if now - self._last_beat < self.heartbeat_s:
            return
        self._last_beat = now
        for key in self.held():
            try:
                os.utime(self._path(key))
            except FileNotFoundError:
                log.warning("claim on %s vanished while held (cache cleared?): the work goes on", key)
            except OSError as exc:
                log.debug("cannot touch claim %s: %s", key, exc)

    def holder(self, key: str) -> ClaimState | None:
        """Who claims ``key`` and whether that claim is stale; None when nobody does."""
        path = self._path(key)
        try:
            st = path.stat()
        except OSError:
            return None
        owner = _read(path)
        alive = owner_alive(owner, self.owner.host)
        age = time.time() - st.st_mtime
        stale = alive is False or age > self.stale_s
        return ClaimState(owner, stale, age)

    def sweep(self) -> int:
        """Remove the stale claims of the folder (left by killed processes); returns how many."""
        removed = 0
        try:
            paths = list(self.folder.glob(f"*{SUFFIX}")) + list(self.folder.glob(f"*{SUFFIX}.*.stale"))
        except OSError:
            return 0
        for path in paths:
            if path.name.endswith(SUFFIX):
                state = self.holder(path.name.removesuffix(SUFFIX))
                if state is None or not state.stale or not self._take_over_if_stale(path):
                    continue
                removed += 1
            else:  # an aside file of a take-over that was killed midway
                try:
                    if time.time() - path.stat().st_mtime <= self.stale_s:
                        continue
                    path.unlink()
                except OSError:
                    continue
        return removed

    def claimed_elsewhere(self, key: str) -> bool:
        """True while someone else holds a live claim on ``key``."""
        with self._lock:
            if key in self._held:
                return False
        state = self.holder(key)
        return state is not None and not state.stale


@dataclass(frozen=True)
class ClaimState:
    owner: Owner | None
    """None when the claim file is unreadable or half-written (treated as stale once old)."""
    stale: bool
    age_s: float


def _read(path: Path) -> Owner | None:
    try:
        return Owner.from_bytes(path.read_bytes())
    except OSError as exc:
        if exc.errno not in (errno.ENOENT,):
            log.debug("cannot read claim %s: %s", path, exc)
        return None
