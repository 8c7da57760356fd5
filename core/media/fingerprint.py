"""The content fingerprint of a media file: the identity every cell key starts from.

Content, not path: a moved or renamed file keeps its cells. (Issue 10 replaces the sampled hash
below with a full-content hash memoised by the file's stat tuple.)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import xxhash

from core.errors import MediaError

_FP_CHUNK = 64 * 1024

_fp_cache: dict[tuple[str, int, int], str] = {}
_fp_lock = threading.Lock()


def fingerprint(path: str | os.PathLike[str]) -> str:
    """Content fingerprint: hex ``xxh3_128(size, first 64 KiB, last 64 KiB)``."""
    p = Path(path)
    try:
        st = p.stat()
        key = (os.path.abspath(p), st.st_size, st.st_mtime_ns)  # abspath: no syscalls on the hot path
        with _fp_lock:
            cached = _fp_cache.get(key)
        if cached:
            return cached
        h = xxhash.xxh3_128()
        h.update(st.st_size.to_bytes(8, "little"))
        with p.open("rb") as fh:
            h.update(fh.read(_FP_CHUNK))
            if st.st_size > _FP_CHUNK:
                fh.seek(max(_FP_CHUNK, st.st_size - _FP_CHUNK))
                h.update(fh.read(_FP_CHUNK))
    except OSError as exc:
        raise MediaError(p, f"cannot be read ({exc.strerror or exc})") from None
    digest = h.hexdigest()
    with _fp_lock:
        _fp_cache[key] = digest
    return digest
