"""Shared helpers: medians over runs, the ffmpeg CLI peer, figure records."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any


def ensure_ffmpeg() -> str | None:
    """The ffmpeg CLI (a benchmark peer only); installs Debian's ffmpeg as root when missing."""
    path = shutil.which("ffmpeg")
    if path is None and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "ffmpeg"], capture_output=True, check=False)
        path = shutil.which("ffmpeg")
    return path


def timed(func: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    """(median seconds, all runs, last result) of ``func`` over ``runs`` runs."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def figure(value: float, unit: str, runs: int, compared_with: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"value": round(value, 4), "unit": unit, "runs": runs}
    if compared_with:
        out["compared_with"] = compared_with
    out.update(extra)
    return out
