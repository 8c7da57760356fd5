"""Silences: where the timeline's own sound stays under a level long enough to cut it out.

auto-editor's meaning of the settings: a window is silent when its loudness is under ``db``
dBFS; a silent stretch of at least ``min_silence`` seconds is cut, except ``margin`` seconds of it
next to sound on each side (so words keep their breath); a piece of sound left between two cuts
that is shorter than ``min_clip`` seconds goes too (a click, a cough).

Loudness is the RMS of both channels per ``WINDOW`` (10 ms) in dBFS (a full-scale sine is −3 dBFS),
measured on the 48 kHz signal the mix plays (``core.media.audio.iter_source_audio``). The source
half measures one file at unity gain and is cached by content (``core.analysis.cache``); the
timeline half reads it through each clip at its gain and mute, as ``core.model.playout`` mixes it
(gain multiplies the samples, so it adds its dB to the level; a muted clip, a gap, an offline file
or a file without sound is silent). So a change of gain, threshold or margin costs no decode.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from core.analysis.cache import ProgressFn, cache_path, each_media, load_or_compute
from core.errors import Cancelled
from core.media.audio import RATE, iter_source_audio
from core.media.info import MediaInfo
from core.model.timeline import GAP, Timeline

WINDOWS_PER_SECOND = 100
WINDOW = RATE // WINDOWS_PER_SECOND
"""Samples per loudness window (10 ms at 48 kHz)."""
VERSION = 1
_BLOCK = WINDOW * 100
"""Samples decoded between two cancel checks (1 s)."""

DEFAULT_DB = -40.0
DEFAULT_SECONDS = 0.5
DEFAULT_MARGIN = 0.2
DEFAULT_MIN_CLIP = 0.2


@dataclass(frozen=True)
class SilenceSettings:
    db: float = DEFAULT_DB
    """Windows quieter than this (dBFS) are silent."""
    min_silence: float = DEFAULT_SECONDS
    """Shortest silent stretch (seconds) that is cut."""
    margin: float = DEFAULT_MARGIN
    """Seconds of silence kept next to sound, on each side of a cut."""
    min_clip: float = DEFAULT_MIN_CLIP
    """Shortest piece (seconds) kept between two cuts; shorter ones are cut too."""


@dataclass(frozen=True)
class Silences:
    """What ``find_silences`` found."""

    ranges: tuple[tuple[int, int], ...]
    """Timeline frames ``[start, end)`` to remove, ascending, not touching."""
    decoded: int
    """How many media had to be decoded (0: every level came from the cache)."""


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("silence analysis cancelled")


def measure(info: MediaInfo, cancel: threading.Event | None = None, progress: ProgressFn | None = None) -> np.ndarray:
    """Mean square (power, full scale 1.0) of each 10 ms window of ``info``'s sound from source time 0."""
    total = math.ceil(info.duration * RATE)
    powers: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float64)
    done = 0
    for block in iter_source_audio(info, Fraction(0), total, _BLOCK):
        _check(cancel)
        square = (block.astype(np.float64) ** 2).mean(axis=0)
        level = np.concatenate([carry, square]) if len(carry) else square
        whole = len(level) // WINDOW * WINDOW
        if whole:
            powers.append(level[:whole].reshape(-1, WINDOW).mean(axis=1))
        carry = level[whole:]
        done += block.shape[1]
        if progress is not None:
            progress(min(1.0, done / max(1, total)))
    if len(carry):
        powers.append(carry.mean(keepdims=True))
    return (np.concatenate(powers) if powers else np.zeros(0)).astype(np.float32)


def source_power(
    info: MediaInfo,
    fingerprint_: str,
    folder: Path,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, bool]:
    """``measure`` of content ``fingerprint_``, from the cache when it is there; the flag says whether
    sound was decoded."""
    path = cache_path(folder, fingerprint_, f"power-v{VERSION}-{WINDOWS_PER_SECOND}")
    arrays, decoded = load_or_compute(path, lambda: {"power": measure(info, cancel, progress)})
    return arrays["power"], decoded


def has_sound(timeline: Timeline) -> bool:
    """Whether any clip can be heard at all (a file with an audio stream, not muted)."""
    for clip in timeline.clips:
        if clip.media == GAP or clip.mute:
            continue
        info = timeline.media_by_id(clip.media).info
        if info is not None and info.audio is not None:
            return True
    return False


def timeline_power(
    timeline: Timeline,
    folder: Path,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, int]:
    """The power of each 10 ms window of the timeline as it plays (clip gain, mute), and how many
    media were decoded for it."""
    fps = timeline.fps
    seconds = Fraction(timeline.duration) / fps
    out = np.zeros(math.ceil(seconds * WINDOWS_PER_SECOND), dtype=np.float64)
    heard = [
        p for p in timeline.placed() if p.clip.media != GAP and p.clip.audio_gain > 0.0
    ]  # muted clips and gaps stay 0
    sources: dict[str, np.ndarray] = {}
    decoded = 0
    wanted = []
    for placed in heard:
        ref = timeline.media_by_id(placed.clip.media)
        if ref.info is not None and ref.info.audio is not None and ref.id not in wanted:
            wanted.append(ref.id)
    for media_id, info, fp, step in each_media(timeline, wanted, progress):
        sources[media_id], fresh = source_power(info, fp, folder, cancel, step)
        decoded += fresh
    for placed in heard:
        power = sources.get(placed.clip.media)
        if power is None:
            continue
        first = math.ceil(Fraction(placed.start) / fps * WINDOWS_PER_SECOND)
        last = min(len(out), math.ceil(Fraction(placed.end) / fps * WINDOWS_PER_SECOND))
        if last <= first:
            continue
        # timeline window j starts at j/100 s; it reads the source window under the same instant
        shift = (Fraction(placed.clip.in_ - placed.start) / fps) * WINDOWS_PER_SECOND
        index = np.floor(np.arange(first, last, dtype=np.float64) + float(shift) + 1e-6).astype(np.int64)
        inside = (index >= 0) & (index < len(power))
        values = np.zeros(last - first)
        values[inside] = power[index[inside]]
        out[first:last] = values * placed.clip.audio_gain**2
    if progress is not None:
        progress(1.0)
    return out, decoded


def silent_ranges(
    power: np.ndarray, fps: Fraction, duration: int, settings: SilenceSettings
) -> tuple[tuple[int, int], ...]:
    """Timeline frame ranges to remove, from per-window power (pure: the rule, without any decode)."""
    if duration <= 0 or not len(power):
        return ()
    limit = 10.0 ** (settings.db / 10.0)
    quiet = np.concatenate([[False], power < limit, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]  # windows [start, end) are quiet
    total = len(power)
    need = settings.min_silence * WINDOWS_PER_SECOND - 1e-6
    cuts: list[tuple[int, int]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a < need:
            continue
        lo = a / WINDOWS_PER_SECOND + (settings.margin if a > 0 else 0.0)
        hi = b / WINDOWS_PER_SECOND - (settings.margin if b < total else 0.0)
        first = max(0, round(lo * fps))
        end = duration if b >= total else min(duration, round(hi * fps))
        if end > first:
            cuts.append((first, end))
    return _drop_short_pieces(cuts, duration, max(0, round(settings.min_clip * fps)))


def _drop_short_pieces(cuts: list[tuple[int, int]], duration: int, min_frames: int) -> tuple[tuple[int, int], ...]:
    """Merge cuts that touch, and cut every kept piece shorter than ``min_frames`` too."""
    merged: list[tuple[int, int]] = []
    for first, end in sorted(cuts):
        if merged and (first <= merged[-1][1] or first - merged[-1][1] < min_frames):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((first, end))
    if merged and min_frames:
        if 0 < merged[0][0] < min_frames:  # a short piece before the first cut
            merged[0] = (0, merged[0][1])
        if duration - merged[-1][1] < min_frames and merged[-1][1] < duration:
            merged[-1] = (merged[-1][0], duration)
    return tuple(merged)


def find_silences(
    timeline: Timeline,
    settings: SilenceSettings,
    folder: Path,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> Silences:
    """Every stretch of the timeline to remove for ``settings`` (decodes only what is not cached)."""
    power, decoded = timeline_power(timeline, folder, cancel, progress)
    return Silences(silent_ranges(power, timeline.fps, timeline.duration, settings), decoded)
