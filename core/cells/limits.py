"""How big the cache may grow: ``LIVECUT_CACHE_LIMIT``, the user config's ``[cache] limit``, a default.

One number bounds the whole cache folder. It is split between the two stores in the proportion
of the old fixed limits (preview cells 1/3, export segments 2/3), so that neither evicts the
other: scrubbing the preview never throws away a finished export's segments and an export never
empties the preview. The default, 6 GiB, is those old limits added up.

Precedence: the environment variable, then the config (the front end hands it to ``configure``
when it reads its settings; ``core`` never reads the TUI's files), then the default.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from core import locations

log = logging.getLogger(__name__)

ENV = locations.CACHE_LIMIT_ENV
DEFAULT_TOTAL = 6 * 1024**3
PREVIEW_SHARE = 1 / 3
"""Of the limit, the preview cells' part; the export segments get the rest."""
MIN_STORE_BYTES = 1
"""A store's limit never drops to 0, which would read as "no limit" to nobody but still confuse."""

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$")

_lock = threading.Lock()
_configured: tuple[int, str] | None = None


def parse_size(text: str | int) -> int:
    """Bytes in ``text``: ``"500MB"`` (SI, 10^6), ``"2GiB"`` (binary, 2^30), ``"1.5G"``, ``"1048576"``.

    Units are case-insensitive; K/M/G/T without ``i`` are decimal, as disks count. Raises
    ``ValueError`` with the accepted forms for anything else (negative, empty, unknown unit).
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a size")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"size {text} is negative")
        return text
    m = _SIZE.match(str(text))
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size (examples: 500MB, 2GiB, 1.5GB, 1073741824)")
    return int(float(m.group(1)) * _UNITS[unit])


def format_size(n: int) -> str:
    """``n`` bytes for people, in the units it was likely given in: ``2 GiB``, ``500 MB``, ``1.5 GB``.

    Whole multiples of a binary unit print in it; everything else in decimal units (3 significant digits).
    """
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    for unit, size in (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} B"


@dataclass(frozen=True)
class CacheLimits:
    """The cache's limit and its split; ``source`` says where the number came from."""

    total: int
    source: str
    """``LIVECUT_CACHE_LIMIT``, ``config`` or ``default``."""

    @property
    def preview(self) -> int:
        return max(MIN_STORE_BYTES, int(self.total * PREVIEW_SHARE))

    @property
    def export(self) -> int:
        return max(MIN_STORE_BYTES, self.total - self.preview)


def configure(limit: str | int | None) -> None:
    """Set the user config's ``[cache] limit`` (None: forget it); ``ValueError`` on a bad size."""
    global _configured
    with _lock:
        _configured = None if limit is None else (parse_size(limit), str(limit))


def cache_limits() -> CacheLimits:
    """The limit in force now: the environment, else the configured one, else the default.

    A malformed ``LIVECUT_CACHE_LIMIT`` is reported in the log and ignored rather than stopping
    the editor; ``livecut cache stats`` shows the source actually used.
    """
    raw = locations.cache_limit_text()
    if raw:
        try:
            return CacheLimits(parse_size(raw), ENV)
        except ValueError as exc:
            log.warning("%s ignored: %s", ENV, exc)
    with _lock:
        configured = _configured
    if configured is not None:
        return CacheLimits(configured[0], "config")
    return CacheLimits(DEFAULT_TOTAL, "default")
