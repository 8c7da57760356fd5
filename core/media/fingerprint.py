"""The content fingerprint of a media file: the identity every cell key starts from.

Content, not path: a moved or renamed file keeps its cells. The fingerprint is the xxh3-128 of
the *whole* file. A sampled hash (size + head + tail) collides on real footage: DV, DNxHD,
fixed-size ProRes and uncompressed video have a size that depends only on the length, and two
takes with the same slate and the same black tail then share every cell, so replacing a file
exported the old picture. xxh3 runs far faster than any disk, so hashing costs one read of the
file, once.

"Once" is kept by a memo in the cache folder (``fingerprints.json``) keyed by the file's stat
tuple ``(device, inode, size, mtime_ns, ctime_ns)``: reopening a project costs one ``stat`` per
file, across restarts. Any change of the tuple (the file rewritten, replaced, touched, renamed
over, even ``chmod``: ctime) hashes it again; a false "changed" only costs a re-read, never a
wrong picture. The memo is written atomically and merged with what other processes wrote; a
corrupt memo is ignored (everything is hashed again) and rewritten.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

import xxhash

from core.atomic import write_atomic
from core.errors import MediaError

log = logging.getLogger(__name__)

MEMO_NAME = "fingerprints.json"
MEMO_FORMAT = 1
MEMO_MAX_ENTRIES = 20_000
"""Oldest entries are dropped beyond this (each is ~100 bytes; a forgotten one is just re-hashed)."""
_CHUNK = 4 * 1024 * 1024

StatKey = tuple[int, int, int, int, int]
"""(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns): what must not change for a memo to hold."""

_lock = threading.Lock()
_memo: dict[str, tuple[StatKey, str]] = {}
"""``"dev:ino"`` → (stat key, digest), loaded from the memo file of ``_memo_path``."""
_memo_path: Path | None = None


def fingerprint(path: str | os.PathLike[str]) -> str:
    """Content fingerprint: hex xxh3-128 of the whole file, memoised by its stat tuple."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise MediaError(p, f"cannot be read ({exc.strerror or exc})") from None
    stat_key: StatKey = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    ident = f"{st.st_dev}:{st.st_ino}"
    memo_file = _memo_file()
    with _lock:
        _load(memo_file)
        known = _memo.get(ident)
    if known is not None and known[0] == stat_key:
        return known[1]
    digest = hash_file(p)
    try:
        after = p.stat()
    except OSError as exc:
        raise MediaError(p, f"cannot be read ({exc.strerror or exc})") from None
    if (after.st_dev, after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns) != stat_key:
        # written to while we read it: the digest names no version of the file, so keep nothing
        log.info("%s changed while it was being fingerprinted: not memoised", p)
        return digest
    with _lock:
        _memo[ident] = (stat_key, digest)
        _save(memo_file, ident)
    return digest


def hash_file(path: Path) -> str:
    """Hex xxh3-128 of every byte of ``path`` (no memo); MediaError when it cannot be read."""
    h = xxhash.xxh3_128()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    try:
        with path.open("rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
    except OSError as exc:
        raise MediaError(path, f"cannot be read ({exc.strerror or exc})") from None
    return h.hexdigest()


def forget_memo() -> None:
    """Drop the in-process copy of the memo (tests, and a changed ``LIVECUT_CACHE_DIR``)."""
    global _memo_path
    with _lock:
        _memo.clear()
        _memo_path = None


# -- the memo file ---------------------------------------------------------------------------------
def _memo_file() -> Path:
    from core.cells.store import default_cache_dir  # the cache folder's one definition

    return default_cache_dir() / MEMO_NAME


def _load(path: Path) -> None:
    """Load ``path`` into ``_memo`` unless it is already the loaded one (call under ``_lock``)."""
    global _memo_path
    if _memo_path == path:
        return
    _memo.clear()
    _memo.update(_read(path))
    _memo_path = path


def _read(path: Path) -> dict[str, tuple[StatKey, str]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("fingerprint memo %s cannot be read (%s): files will be hashed again", path, exc)
        return {}
    try:
        doc = json.loads(raw)
        if doc.get("format") != MEMO_FORMAT:
            return {}
        out: dict[str, tuple[StatKey, str]] = {}
        for ident, (dev, ino, size, mtime, ctime, digest) in doc["files"].items():
            key = (int(dev), int(ino), int(size), int(mtime), int(ctime))
            if isinstance(digest, str) and len(digest) == 32:
                out[str(ident)] = (key, digest)
        return out
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("fingerprint memo %s is corrupt (%s): files will be hashed again", path, exc)
        return {}


def _save(path: Path, ident: str) -> None:
    """Write the memo, merged with what other processes wrote since (call under ``_lock``)."""
    merged = _read(path)
    merged.update(_memo)  # ours wins: we just hashed these
    if len(merged) > MEMO_MAX_ENTRIES:
        keep = list(merged)[-MEMO_MAX_ENTRIES:]
        if ident not in keep:
            keep[0] = ident
        merged = {k: merged[k] for k in keep}
    _memo.clear()
    _memo.update(merged)
    doc = {"format": MEMO_FORMAT, "files": {k: [*key, digest] for k, (key, digest) in merged.items()}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(doc, separators=(",", ":")).encode())
    except OSError as exc:  # a read-only or full cache folder: fingerprints still work, just not kept
        log.warning("fingerprint memo %s cannot be written (%s)", path, exc)
