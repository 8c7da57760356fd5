"""Leftovers of killed exports: hidden ``.OUT.mp4.*.part`` files nobody will ever rename.

An export muxes into a hidden temp file beside its output and renames it at the end; an error or
Ctrl-C removes it, but ``kill -9`` (or a power cut) during the join leaves it forever. They are
removed when they are *stale*, meaning their owner is dead, never because of their age alone
while an owner may be alive:

* While an export runs, ``exporting(output)`` keeps an owner marker beside the output,
  ``.OUT.mp4.lc<pid>@<host>.owner``, touched every ``HEARTBEAT_S``. A part file made while a
  marker's owner lived is that owner's; once the owner is dead (same host: no such pid; another
  host: a heartbeat older than ``STALE_S``) the part file and the marker are removed.
* A part file may also carry its owner in its own name (``part_prefix``, for
  ``tempfile.mkstemp``): then that owner decides.
* A part file with no owner to ask (an export from an older livecut, or a front end that keeps no
  marker) is removed only when no process on this machine has it open and nothing wrote it for
  ``ORPHAN_S``: an export writes its part file continuously during the join.

Cleaning runs at the start of every ``livecut export`` in the output's folder and in
``livecut cache clear`` for every folder exported to lately (remembered in the cache folder).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.atomic import write_atomic
from core.cells.claims import open_here, pid_alive, this_host

log = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
STALE_S = 120.0
"""Another host's marker untouched this long: its export is gone."""
ORPHAN_S = 3600.0
"""An ownerless part file nobody has open and nobody wrote for this long is abandoned."""
FOLDERS_NAME = "export-folders.json"
FOLDERS_KEPT = 50

_SAFE = re.compile(r"[^A-Za-z0-9_-]")
_TAG = re.compile(r"\.lc(?P<pid>\d+)@(?P<host>[A-Za-z0-9_-]+)\.")
_UNTAGGED = re.compile(r"^\.(?P<output>.+)\.[a-z0-9_]{8}\.part$")
"""``tempfile.mkstemp(prefix=".OUT.", suffix=".part")``: 8 random characters."""


@dataclass(frozen=True)
class Tag:
    """An owner named in a file name."""

    pid: int
    host: str

    def text(self) -> str:
        return f"lc{self.pid}@{self.host}"


def my_tag() -> Tag:
    return Tag(os.getpid(), _SAFE.sub("-", this_host())[:64] or "localhost")


def part_prefix(output: Path) -> str:
    """The ``mkstemp`` prefix of ``output``'s part file, naming this process as its owner."""
    return f".{output.name}.{my_tag().text()}."


def marker_path(output: Path, tag: Tag | None = None) -> Path:
    return output.with_name(f".{output.name}.{(tag or my_tag()).text()}.owner")


@contextlib.contextmanager
def exporting(output: Path, cache_dir: Path | None = None) -> Iterator[None]:
    """Mark ``output``'s folder as being exported to by this process, for the block's length.

    Also remembers the folder in ``cache_dir`` so ``cache clear`` can clean it later.
    """
    marker = marker_path(output)
    if cache_dir is not None:
        remember_folder(cache_dir, output.parent)
    try:
        marker.write_bytes(b"")
    except OSError as exc:  # an unwritable folder fails the export itself, with a better message
        log.debug("cannot write the export marker %s: %s", marker, exc)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            with contextlib.suppress(OSError):
                os.utime(marker)

    thread = threading.Thread(target=beat, name="livecut-export-marker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(1.0)
        with contextlib.suppress(OSError):
            marker.unlink()


# -- judging and cleaning -------------------------------------------------------------------------
def _alive(tag: Tag, mtime: float, now: float) -> bool:
    if tag.host == my_tag().host:
        return pid_alive(tag.pid)
    return now - mtime <= STALE_S


def _tag_of(name: str) -> Tag | None:
    m = _TAG.search(name)
    return Tag(int(m.group("pid")), m.group("host")) if m else None


def stale_parts(folder: Path) -> list[Path]:
    """Part files (and dead owners' markers) in ``folder`` that no live export owns."""
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(".")]
    except OSError:
        return []
    now = time.time()
    markers: dict[str, list[tuple[Tag, float, Path]]] = {}
    for p in names:
        if p.name.endswith(".owner") and (tag := _tag_of(p.name)) is not None:
            output = p.name[1 : p.name.index(f".{tag.text()}.")]
            with contextlib.suppress(OSError):
                markers.setdefault(output, []).append((tag, p.stat().st_mtime, p))
    stale: list[Path] = []
    ownerless: dict[Path, float] = {}
    for p in names:
        if not p.name.endswith(".part"):
            continue
        try:
            mtime = p.stat().st_mtime
        except OSError:
            continue
        tag = _tag_of(p.name)
        if tag is not None:
            if not _alive(tag, mtime, now):
                stale.append(p)
            continue
        untagged = _UNTAGGED.match(p.name)
        if untagged is None:
            continue  # not an export's part file
        owners = markers.get(untagged.group("output"), [])
        if any(_alive(t, m, now) for t, m, _ in owners):
            continue  # an export to this output is running: it may be this one's
        # the file of an owner that died: written no later than its last heartbeat (+ slack)
        if any(mtime <= m + 2 * HEARTBEAT_S for _, m, _ in owners) or now - mtime > ORPHAN_S:
            ownerless[p] = mtime
    if ownerless:
        busy = open_here(set(ownerless))
        stale.extend(p for p in ownerless if p not in busy)
    for ms in markers.values():
        stale.extend(path for tag, m, path in ms if not _alive(tag, m, now))
    return sorted(stale)


def clean(folder: Path) -> list[Path]:
    """Remove the stale leftovers of ``folder``; returns what was removed."""
    removed: list[Path] = []
    for path in stale_parts(folder):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("cannot remove the leftover %s: %s", path, exc)
            continue
        removed.append(path)
        if path.name.endswith(".part"):
            log.info("removed %s, left by an export that was killed", path)
    return removed


# -- folders exported to ----------------------------------------------------------------------------
def remember_folder(cache_dir: Path, folder: Path) -> None:
    """Record ``folder`` (most recent last, ``FOLDERS_KEPT`` kept) for ``cache clear``."""
    path = cache_dir / FOLDERS_NAME
    folders = [f for f in known_folders(cache_dir) if f != folder.resolve()] + [folder.resolve()]
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps([str(f) for f in folders[-FOLDERS_KEPT:]]).encode())
    except OSError as exc:
        log.debug("cannot remember export folder %s: %s", folder, exc)


def known_folders(cache_dir: Path) -> list[Path]:
    try:
        doc = json.loads((cache_dir / FOLDERS_NAME).read_bytes())
        return [Path(f) for f in doc if isinstance(f, str)]
    except (OSError, ValueError, TypeError):
        return []


def clean_known(cache_dir: Path) -> list[Path]:
    """``clean`` every folder exported to lately."""
    removed: list[Path] = []
    for folder in known_folders(cache_dir):
        removed.extend(clean(folder))
    return removed
