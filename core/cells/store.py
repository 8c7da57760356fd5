"""The cell store: content-addressed preview cells on disk, verified, evicted LRU by bytes.

Each entry is one file named by its cell key, holding a small header (magic, xxh3-128 of the
payload, payload length) and the cell's fragmented-MP4 bytes. The header lets a read prove the
bytes are whole: a truncated or corrupt entry is deleted, reported missing, and announced to
the store's listeners (``on_bad``) so the owner of the work (the engine, an export) encodes it
again at once instead of waiting for a cell nobody will make. An entry is checked when it is read,
never on open, so reopening a big cache stays instant; ``verify`` reads them all. Writes are atomic (temp file + fsync + rename), so a crash or a
full disk never leaves a half entry under a real key.

Recency is the file's mtime (touched on read), so LRU order survives restarts without a
separate index file to keep consistent. The limit comes from ``core.cells.limits`` unless given
(``LIVECUT_CACHE_LIMIT``, the user config). Cells the current plan needs near the playhead are
pinned, nearest first; eviction removes unpinned cells first (least recently used), and pins
only protect as many of the nearest cells as fit the limit, so the store never holds more than
its limit after a write (a limit smaller than one cell keeps that one cell: the one being
played). Another process sharing the folder may add entries: ``adopt`` indexes one it wrote.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import xxhash

from core import locations
from core.atomic import write_atomic
from core.cells.claims import open_here
from core.cells.limits import cache_limits
from core.errors import StoreError

log = logging.getLogger(__name__)

MAGIC = b"LCC1"
_HEADER = struct.Struct("<4s16sQ")
ENTRY_OVERHEAD = _HEADER.size
"""Bytes an entry takes on disk beyond its payload."""
DEFAULT_LIMIT = 2 * 1024**3
"""The preview store's share of the default limit (see ``core.cells.limits``)."""
SUFFIX = ".cell"
REFRESH_S = 30.0
"""How often a writing store re-reads the folder for other processes' entries (``refresh``)."""
STALE_TMP_S = 600.0
"""A temp file of an entry older than this was left by a killed process (whoever may hold it)."""


def default_cache_dir() -> Path:
    """``LIVECUT_CACHE_DIR`` if set, else the user cache dir (XDG on Linux): ``core.locations``."""
    return locations.cache_dir()


@dataclass(frozen=True)
class StoreStats:
    """What ``livecut cache stats`` prints."""

    root: str
    entries: int
    bytes: int
    limit: int


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    removed: int
    """Corrupt or truncated entries deleted."""


BadEntryFn = Callable[[str, str], None]
"""Called with (key, why) when an indexed entry turns out missing, truncated or corrupt."""


@dataclass
class _Entry:
    size: int
    used: float


class CellStore:
    """Thread-safe store of cell bytes keyed by hex cell keys."""

    def __init__(self, root: Path | None = None, *, limit_bytes: int | None = None) -> None:
        self.root = (root or default_cache_dir()) / "cells"
        self.limit = limit_bytes if limit_bytes is not None else cache_limits().preview
        """Bytes the entries may take; may be changed on a live store (``evict`` applies it)."""
        self._lock = threading.Lock()
        self._index: dict[str, _Entry] = {}
        self._total = 0
        self._pinned: tuple[str, ...] = ()
        self._expendable: frozenset[str] = frozenset()
        """Unpinned keys evicted before the others (``prefer_evicting``)."""
        self._listeners: list[BadEntryFn] = []
        self._refreshed = time.monotonic()
        self.refresh_s = REFRESH_S
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: cache folder cannot be created ({exc.strerror or exc})") from None
        self._scan()

    # -- index -------------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}{SUFFIX}"

    def _scan(self) -> None:
        for path in self.root.glob(f"*/*{SUFFIX}"):
            try:
                st = path.stat()
            except OSError:
                continue
            self._index[path.stem] = _Entry(st.st_size, st.st_mtime)
            self._total += st.st_size
        self._remove_stray_temps()

    def _remove_stray_temps(self) -> None:
        """Remove temp files of writes a killed process left; never one a live process is writing.

        A temp file open in a process of this machine, or young (another machine may be writing
        it), is left alone.
        """
        now = time.time()
        young: set[Path] = set()
        for tmp in self.root.glob("*/.*.tmp"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > STALE_TMP_S:
                    tmp.unlink()
                else:
                    young.add(tmp)
        if young:
            busy = open_here(young)
            for tmp in young - busy:
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def refresh(self) -> None:
        """Re-read the folder: index entries other processes wrote, forget ones they removed.

        Runs from ``put`` every ``REFRESH_S`` so the limit holds for the folder, not just for this
        process's own writes, when several processes share the cache. Costs one ``stat`` per entry.
        """
        started = time.time()
        seen: dict[str, os.stat_result] = {}
        for path in self.root.glob(f"*/*{SUFFIX}"):
            with contextlib.suppress(OSError):
                seen[path.stem] = path.stat()
        with self._lock:
            self._refreshed = time.monotonic()
            for key, entry in list(self._index.items()):
                if key not in seen and entry.used < started:  # not one written during the glob
                    del self._index[key]
                    self._total -= entry.size
            for key, st in seen.items():
                if key not in self._index:  # recency is the file's mtime, as in ``_scan``
                    self._index[key] = _Entry(st.st_size, st.st_mtime)
                    self._total += st.st_size

    def has(self, key: str) -> bool:
        with self._lock:
            return key in self._index

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._index)

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._total

    def adopt(self, key: str) -> bool:
        """True when ``key`` is stored, indexing it if another process wrote it since the scan.

        Costs one ``stat`` for a key the index lacks; the bytes are checked when read, as always.
        """
        with self._lock:
            if key in self._index:
                return True
        try:
            st = self._path(key).stat()
        except OSError:
            return False
        with self._lock:
            if key not in self._index:
                self._index[key] = _Entry(st.st_size, time.time())
                self._total += st.st_size
        self.evict()
        return self.has(key)

    def size_of(self, key: str) -> int:
        with self._lock:
            entry = self._index.get(key)
            return entry.size if entry else 0

    # -- bad entries -------------------------------------------------------------------------------
    def on_bad(self, fn: BadEntryFn) -> Callable[[], None]:
        """Call ``fn(key, why)`` whenever a read finds an indexed entry bad; returns the unsubscriber.

        ``fn`` runs on the reading thread after the entry has left the index (``has`` is False),
        so it may re-queue the key at once; it must not block.
        """
        with self._lock:
            self._listeners.append(fn)

        def remove() -> None:
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)

        return remove

    def _bad(self, key: str, why: str) -> None:
        """Drop ``key`` (file and index) and tell the listeners, when it was indexed."""
        with contextlib.suppress(OSError):
            self._path(key).unlink()
        if not self._forget(key):
            return  # not ours (never stored, or already reported by another reader)
        log.warning("cache entry %s (%s) is %s: removed, it will be encoded again", key, self._path(key), why)
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(key, why)
            except Exception:
                log.exception("bad-entry listener failed on %s", key)

    # -- read/write --------------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        """The entry's bytes, verified; None when absent or bad.

        A bad entry (file deleted behind the store's back, truncated, failing its checksum) is
        removed and reported to the ``on_bad`` listeners, which re-queue it.
        """
        path = self._path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            self._bad(key, "missing")
            return None
        except OSError as exc:
            log.warning("cannot read cell %s: %s", key, exc)
            return None
        payload = _unwrap(blob)
        if payload is None:
            self._bad(key, "empty" if not blob else "truncated or corrupt")
            return None
        now = time.time()
        with contextlib.suppress(OSError):
            os.utime(path, (now, now))
        with self._lock:
            entry = self._index.get(key)
            if entry:
                entry.used = now
            else:
                self._index[key] = _Entry(len(blob), now)
                self._total += len(blob)
        return payload

    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` atomically; raises ``StoreError`` (disk full, ...) leaving nothing behind."""
        blob = _HEADER.pack(MAGIC, xxhash.xxh3_128_digest(payload), len(payload)) + payload
        path = self._path(key)
        try:
            path.parent.mkdir(exist_ok=True)
            write_atomic(path, blob)
        except OSError as exc:
            reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
            raise StoreError(f"{self.root}: cannot write a preview cell ({reason})") from None
        with self._lock:
            old = self._index.get(key)
            if old:
                self._total -= old.size
            self._index[key] = _Entry(len(blob), time.time())
            self._total += len(blob)
            due = time.monotonic() - self._refreshed >= self.refresh_s
        if due:
            self.refresh()
        self.evict()

    def discard(self, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(key).unlink()
        self._forget(key)

    def _forget(self, key: str) -> bool:
        with self._lock:
            entry = self._index.pop(key, None)
            if entry:
                self._total -= entry.size
            return entry is not None

    # -- eviction ----------------------------------------------------------------------------------
    def pin(self, keys: Iterable[str]) -> None:
        """Protect ``keys`` from eviction, most important first (nearest the playhead); replaces the old pins.

        Only the leading keys whose stored bytes fit the limit are protected (the first one
        always), so a small limit shrinks the protected window instead of being exceeded.
        """
        with self._lock:
            self._pinned = tuple(dict.fromkeys(keys))
        self.evict()

    def prefer_evicting(self, keys: Iterable[str]) -> None:
        """Evict ``keys`` before other unpinned entries (replaces the old set): cells at a lower
        rung of the quality ladder whose top-rung cell is stored, kept only for a cold moment."""
        with self._lock:
            self._expendable = frozenset(keys)

    def _protected(self) -> set[str]:
        """The pinned keys eviction keeps: the leading ones that fit the limit (call under the lock)."""
        kept: set[str] = set()
        total = 0
        for key in self._pinned:
            entry = self._index.get(key)
            if entry is None:
                continue
            if kept and total + entry.size > self.limit:
                break
            total += entry.size
            kept.add(key)
        return kept

    def evict(self) -> int:
        """Remove entries until the total fits the limit: unpinned ones LRU first, then the farthest pinned."""
        with self._lock:
            if self._total <= self.limit:
                return 0
            protected = self._protected()
            order = {k: i for i, k in enumerate(self._pinned)}
            cheap = self._expendable
            unpinned = sorted((k not in cheap, e.used, k) for k, e in self._index.items() if k not in order)
            farthest_pins = sorted((k for k in self._index if k in order and k not in protected), key=order.__getitem__)
            victims = [k for _, _, k in unpinned] + farthest_pins[::-1]
            chosen = []
            total = self._total
            for key in victims:
                if total <= self.limit:
                    break
                total -= self._index[key].size
                chosen.append(key)
        for key in chosen:
            self.discard(key)
        if chosen:
            log.info("evicted %d cells to stay under %d bytes", len(chosen), self.limit)
        return len(chosen)

    # -- maintenance -------------------------------------------------------------------------------
    def stats(self) -> StoreStats:
        with self._lock:
            return StoreStats(str(self.root), len(self._index), self._total, self.limit)

    def verify(self) -> VerifyReport:
        """Read every entry and remove the corrupt ones."""
        checked = removed = 0
        for key in sorted(self.keys()):
            checked += 1
            blob = None
            with contextlib.suppress(OSError):
                blob = self._path(key).read_bytes()
            if blob is None or _unwrap(blob) is None:
                self._bad(key, "missing" if blob is None else "truncated or corrupt")
                removed += 1
        return VerifyReport(checked, removed)

    def clear(self) -> int:
        with self._lock:
            count = len(self._index)
            self._index.clear()
            self._total = 0
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        return count


def _unwrap(blob: bytes) -> bytes | None:
    if len(blob) < _HEADER.size:
        return None
    magic, digest, length = _HEADER.unpack_from(blob)
    payload = blob[_HEADER.size :]
    if magic != MAGIC or length != len(payload) or xxhash.xxh3_128_digest(payload) != digest:
        return None
    return payload
