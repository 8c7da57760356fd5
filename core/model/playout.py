"""What a timeline plays, read from its media: its sound as one signal, and the frames it shows
concealed.

Why these live in ``model`` and not in ``core.media``: both walk a ``Timeline`` (its placed
clips, their gain, their media) and ask ``core.media`` for the source side (decoded samples, the
damage scan). ``core.media`` knows files, not timelines; the model already refers to media (a
``MediaRef`` carries its ``MediaInfo``, a project probes its files when it loads), so the import
goes one way only, model → media, and a test keeps it so (``tests/core/test_import_direction.py``).
Like ``project``'s file I/O, these are the model's only reads; the rest of the model stays pure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from core.media.audio import CHANNELS, LIMITER_WARMUP, RATE, iter_source_audio, mix_limiter, samples_at
from core.media.damage import Concealed, scan
from core.media.limiter import TruePeakLimiter
from core.media.loudness import integrated_loudness
from core.model.timeline import Timeline

Samples = npt.NDArray[np.float32]
"""A block of audio: ``CHANNELS`` rows of float samples at ``RATE``."""


def timeline_audio(timeline: Timeline, first_sample: int, chunk: int = RATE // 2) -> Iterator[Samples]:
    """The timeline's audio from sample ``first_sample`` to its end, in chunks of ≤ ``chunk``; each clip
    at its gain (``Clip.gain_db``), silent when muted."""
    fps = timeline.fps
    for placed in timeline.placed():
        c_start, c_end = samples_at(placed.start, fps), samples_at(placed.end, fps)
        if c_end <= first_sample:
            continue
        ref = timeline.media_by_id(placed.clip.media)
        pos = max(c_start, first_sample)
        gain = placed.clip.audio_gain  # the clip's gain_db, 0 when muted
        if ref.info is None or ref.info.audio is None or gain == 0.0:
            while pos < c_end:
                n = min(chunk, c_end - pos)
                pos += n
                yield np.zeros((CHANNELS, n), dtype=np.float32)
            continue
        source_s = Fraction(placed.clip.in_, 1) / fps + Fraction(pos - c_start, RATE)
        blocks: Iterator[Samples] = iter_source_audio(ref.info, source_s, c_end - pos, chunk)
        yield from blocks if gain == 1.0 else (block * np.float32(gain) for block in blocks)


def concealed_in(timeline: Timeline) -> list[Concealed]:
    """Every run of timeline frames that shows a concealed (undecodable) source frame.

    By the timestamp rule of ``core.media.frames`` a damaged frame at ``t`` owns the project
    frames whose instants fall in ``[t, next frame)``; those show the last good picture.
    """
    fps = timeline.fps
    out: list[Concealed] = []
    for placed in timeline.placed():
        ref = timeline.media_by_id(placed.clip.media)
        info = ref.info
        if info is None or info.video is None:
            continue
        clip = placed.clip
        step = 1 / info.video.fps  # a source frame's slot (VFR: the median one)
        for damage in scan(info, Fraction(clip.in_) / fps, Fraction(clip.out) / fps):
            first = max(clip.in_, math.ceil(damage.at * fps - Fraction(1, 1000)))
            last = min(clip.out, math.ceil((damage.at + step) * fps - Fraction(1, 1000))) - 1
            if last < first:
                continue  # a higher-rate source: the damaged frame is never shown
            shift = placed.start - clip.in_
            out.append(Concealed(info.path, first + shift, last + shift, damage.at, damage.reason))
    return out


__all__ = ["Samples", "concealed_in", "timeline_audio"]


def mixed_audio(
    timeline: Timeline,
    first_sample: int,
    chunk: int = RATE // 2,
    *,
    gain_db: float = 0.0,
    limiter: TruePeakLimiter | None = None,
) -> Iterator[Samples]:
    """The sound that plays and is exported: ``timeline_audio`` from ``first_sample``, times
    ``gain_db`` (loudness normalisation), through the true-peak limiter, in chunks of any size.

    Pass ``limiter`` to read its figures (``max_reduction_db``) afterwards; it must be fresh.
    """
    limiter = limiter or mix_limiter()
    start = max(0, first_sample - LIMITER_WARMUP)
    raw = timeline_audio(timeline, start, chunk)
    if gain_db:
        factor = np.float32(10 ** (gain_db / 20))
        raw = (block * factor for block in raw)
    skip = first_sample - start
    for block in limiter.stream(raw):
        if skip:
            cut = min(skip, block.shape[1])
            block, skip = block[:, cut:], skip - cut
        if block.shape[1]:
            yield block


def timeline_loudness(timeline: Timeline) -> float:
    """The integrated loudness (LUFS) of the timeline's mix at its clip gains, before any limiting."""
    return integrated_loudness(timeline_audio(timeline, 0, chunk=RATE))
