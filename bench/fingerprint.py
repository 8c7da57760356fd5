"""What the full-content fingerprint costs (issue 10): the first hash of a file and every reopen after.

The first hash reads the whole file once; it is measured cold (the file's pages dropped from the
page cache with ``posix_fadvise``, so the disk is read) and warm (already cached, so xxh3 alone),
and given for a 2 GB file at the measured rate. A reopen costs one ``stat`` and a memo lookup, in
the same process or after a restart (the memo file read once per process).
"""

from __future__ import annotations

import importlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import figure, timed

SIZE = 512 * 1024**2
"""The file hashed; the 2 GB figures scale from its rate (xxh3 and disk reads are linear)."""
TWO_GB = 2 * 1000**3


def _drop_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _write(path: Path, size: int) -> None:
    block = os.urandom(4 * 1024**2)
    with path.open("wb") as fh:
        for _ in range(size // len(block)):
            fh.write(block)
        fh.flush()
        os.fsync(fh.fileno())


def run(runs: int = 3) -> dict[str, Any]:
    fp = importlib.import_module("core.media.fingerprint")
    with tempfile.TemporaryDirectory(prefix="livecut-bench-fp-") as tmp:
        d = Path(tmp)
        old_env = os.environ.get("LIVECUT_CACHE_DIR")
        os.environ["LIVECUT_CACHE_DIR"] = str(d / "cache")
        try:
            src = d / "big.bin"
            _write(src, SIZE)

            def first_cold() -> str:
                fp.forget_memo()
                (d / "cache" / fp.MEMO_NAME).unlink(missing_ok=True)
                _drop_cache(src)
                return str(fp.fingerprint(src))

            def first_warm() -> str:
                fp.forget_memo()
                (d / "cache" / fp.MEMO_NAME).unlink(missing_ok=True)
                return str(fp.fingerprint(src))

            cold, cold_runs, _ = timed(first_cold, runs)
            warm, warm_runs, _ = timed(first_warm, runs)
            fp.fingerprint(src)
            n = 2000
            t0 = time.perf_counter()
            for _ in range(n):
                fp.fingerprint(src)
            cached = (time.perf_counter() - t0) / n

            def restart() -> str:
                fp.forget_memo()  # a new process: the memo file is read once
                return str(fp.fingerprint(src))

            reopen, reopen_runs, _ = timed(restart, max(runs, 5))
        finally:
            if old_env is None:
                os.environ.pop("LIVECUT_CACHE_DIR", None)
            else:
                os.environ["LIVECUT_CACHE_DIR"] = old_env
            fp.forget_memo()
    cold_rate = SIZE / cold
    warm_rate = SIZE / warm
    return {
        "file": f"{SIZE // 1024**2} MiB of random bytes; 2 GB figures scaled from the measured rate",
        "first_hash_cold_MBps": figure(cold_rate / 1e6, "MB/s", runs, runs_s=[round(t, 3) for t in cold_runs]),
        "first_hash_warm_MBps": figure(warm_rate / 1e6, "MB/s", runs, runs_s=[round(t, 3) for t in warm_runs]),
        "first_hash_2GB_cold_s": figure(TWO_GB / cold_rate, "s", runs),
        "first_hash_2GB_warm_s": figure(TWO_GB / warm_rate, "s", runs),
        "cached_call_us": figure(cached * 1e6, "us", n, note="one stat + memo lookup, same process"),
        "after_restart_ms": figure(
            reopen * 1e3, "ms", len(reopen_runs), note="memo file read + one stat (first call in a new process)"
        ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
