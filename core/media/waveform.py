"""Audio waveforms: a peak envelope per media content, computed once and cached beside the cells.

Why a peak envelope at a fixed rate (``PEAKS_PER_SECOND``): the timeline draws one character per
column at any zoom, so what it needs is "the loudest sample between these two times", which a max
over buckets answers at every zoom without decoding again. Why keyed by content: like cells, the
envelope depends only on the file's bytes (its fingerprint), so a renamed or re-added file, or the
same file in another project, reuses it; the cache folder is the cells' (``LIVECUT_CACHE_DIR``) and
survives reopening. Peaks are stored as one byte each (0..255 of full scale): an hour is 360 KB.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.atomic import write_atomic
from core.media.audio import RATE, iter_source_audio
from core.media.info import MediaInfo

log = logging.getLogger(__name__)

PEAKS_PER_SECOND = 100
WAVEFORM_VERSION = 1
_BUCKET = RATE // PEAKS_PER_SECOND


class Waveform:
    """Peaks of one media's audio: ``peaks[k]`` is the loudest sample in ``[k/100 s, (k+1)/100 s)``.

    Compared by identity (it holds an array): views keep the same object while it does not change.
    """

    def __init__(self, peaks: np.ndarray) -> None:
        self.peaks = peaks.astype(np.uint8, copy=False)

    @property
    def seconds(self) -> float:
        return len(self.peaks) / PEAKS_PER_SECOND

    def peak(self, start_s: float, end_s: float) -> float:
        """Loudest level (0..1 of full scale) between two source times; 0 outside the audio."""
        a = max(0, math.floor(start_s * PEAKS_PER_SECOND))
        b = min(len(self.peaks), max(a + 1, math.ceil(end_s * PEAKS_PER_SECOND)))
        if a >= b:
            return 0.0
        return float(self.peaks[a:b].max()) / 255.0


def compute(info: MediaInfo, cancelled: Callable[[], bool] = lambda: False) -> Waveform:
    """Decode ``info``'s audio once (48 kHz, as the preview and the export hear it) into peaks."""
    total = math.ceil(info.duration * RATE)
    peaks: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    for block in iter_source_audio(info, Fraction(0), total, RATE):
        if cancelled():
            raise InterruptedError("waveform cancelled")
        peak = np.maximum(block.max(axis=0), -block.min(axis=0))  # |x| without a temporary array
        level = np.concatenate([carry, peak]) if len(carry) else peak
        whole = len(level) // _BUCKET * _BUCKET
        if whole:
            peaks.append(level[:whole].reshape(-1, _BUCKET).max(axis=1))
        carry = level[whole:]
    if len(carry):
        peaks.append(carry.max(keepdims=True))
    values = np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.float32)
    return Waveform(np.clip(np.round(values * 255.0), 0, 255).astype(np.uint8))


def cache_path(folder: Path, fingerprint: str) -> Path:
    return folder / "waveforms" / f"{fingerprint}-v{WAVEFORM_VERSION}-{PEAKS_PER_SECOND}.peaks"


def load_or_compute(
    info: MediaInfo, fingerprint: str, folder: Path, cancelled: Callable[[], bool] = lambda: False
) -> tuple[Waveform, bool]:
    """The cached waveform of content ``fingerprint``, or a new one written to the cache; the flag
    says whether audio was decoded."""
    path = cache_path(folder, fingerprint)
    try:
        return Waveform(np.frombuffer(path.read_bytes(), dtype=np.uint8)), False
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("waveform cache %s unreadable (%s): computing it again", path, exc)
    waveform = compute(info, cancelled)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, waveform.peaks.tobytes())
    except OSError as exc:  # a full or read-only cache only costs the next open a decode
        log.warning("waveform of %s not cached (%s)", info.path, exc)
    return waveform, True
