"""Arrays of one media's analysis, kept in the cache folder by content fingerprint.

Shaped like ``core.media.waveform``'s cache: a file per (fingerprint, kind, version), written
atomically, read back as numpy arrays; an unreadable or damaged entry is computed again, and a
cache that cannot be written only costs the next run a decode.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from core.atomic import write_atomic
from core.media.fingerprint import fingerprint
from core.media.info import MediaInfo
from core.model.timeline import Timeline

log = logging.getLogger(__name__)

Arrays = dict[str, np.ndarray]

ProgressFn = Callable[[float], None]
"""Called with the fraction (0..1) of the work done."""


def cache_path(folder: Path, fingerprint: str, kind: str) -> Path:
    return folder / "analysis" / f"{fingerprint}-{kind}.npz"


def load_or_compute(path: Path, compute: Callable[[], Arrays]) -> tuple[Arrays, bool]:
    """The arrays stored at ``path``, or ``compute()``'s, then stored; the flag says whether it computed."""
    try:
        with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as data:
            return {name: data[name] for name in data.files}, False
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError) as exc:  # a damaged entry (zip or npy error): compute again
        log.warning("analysis cache %s unreadable (%s): computing it again", path, exc)
    arrays = compute()
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue())
    except OSError as exc:
        log.warning("analysis %s not cached (%s)", path.name, exc)
    return arrays, True


def each_media(
    timeline: Timeline, media_ids: Sequence[str], progress: ProgressFn | None
) -> Iterator[tuple[str, MediaInfo, str, ProgressFn]]:
    """For each of ``media_ids`` (probed media of ``timeline``): its id, info, content fingerprint
    (the cache key) and a progress callback scaled to its share of the whole run."""
    for n, media_id in enumerate(media_ids):
        ref = timeline.media_by_id(media_id)
        assert ref.info is not None

        def step(fraction: float, n: int = n) -> None:
            if progress is not None:
                progress((n + fraction) / len(media_ids))

        yield media_id, ref.info, fingerprint(ref.resolved), step
