"""Small builders shared by core tests (values, not mocks: real MediaInfo records)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from core.media.info import AudioInfo, MediaInfo, VideoInfo
from core.model.timeline import MediaRef, Timeline

if TYPE_CHECKING:
    import numpy as np


def media_info(
    seconds: int | Fraction, fps: Fraction = Fraction(30), *, video: bool = True, audio: bool = True
) -> MediaInfo:
    v = VideoInfo("h264", 320, 240, "yuv420p", fps, int(seconds * fps), 0, Fraction(0)) if video else None
    a = AudioInfo("aac", 48000, 2, Fraction(0)) if audio else None
    return MediaInfo(Path(f"/media/{seconds}.mp4"), 1000, "mov", Fraction(seconds), v, a)


def timeline_with(lengths: dict[str, int], fps: Fraction = Fraction(30)) -> Timeline:
    """A timeline whose media ``id`` lasts ``lengths[id]`` frames (no clips yet)."""
    refs = tuple(
        MediaRef(mid, f"{mid}.mp4", Path(f"/media/{mid}.mp4"), media_info(Fraction(n) / fps, fps))
        for mid, n in lengths.items()
    )
    return Timeline(fps, refs)


def picture_index(rgb: np.ndarray, source_size: tuple[int, int], rotation: int = 0) -> int | None:
    """Read the frame index drawn by ``core.synthetic.testpattern`` from a canvas that may have bars."""
    from core.media.frames import fit_picture
    from core.synthetic.testpattern import read_index

    h, w = rgb.shape[:2]
    fit = fit_picture(source_size[0], source_size[1], Fraction(1), rotation, (w, h))
    pw, ph = fit.scaled if rotation in (0, 180) else fit.scaled[::-1]
    x, y = fit.offset
    return read_index(rgb[y : y + ph, x : x + pw], rotation=-rotation if rotation else 0)


def edit_ops(media_ids: list[str], *, split_max: int, source_max: int, min_size: int = 0, max_size: int = 12):
    """A hypothesis strategy of timeline edits (applied with :func:`apply_op`)."""
    from hypothesis import strategies as st

    return st.lists(
        st.one_of(
            st.tuples(st.just("split"), st.integers(0, split_max)),
            st.tuples(st.just("delete"), st.integers(0, 9)),
            st.tuples(st.just("move"), st.integers(0, 9), st.sampled_from([-1, 1])),
            st.tuples(st.just("trim_in"), st.integers(0, 9), st.integers(0, source_max - 1)),
            st.tuples(st.just("trim_out"), st.integers(0, 9), st.integers(1, source_max)),
            st.tuples(
                st.just("append"), st.sampled_from(media_ids), st.integers(0, source_max - 10), st.integers(1, 40)
            ),
        ),
        min_size=min_size,
        max_size=max_size,
    )


def apply_op(tl: Timeline, op: tuple) -> Timeline:
    """Apply one generated edit; an edit the timeline refuses leaves it unchanged."""
    from core.errors import EditError
    from core.model.timeline import Clip

    name, *args = op
    try:
        if name == "append":
            mid, start, n = args
            length = tl.media_length(mid) or 1
            start = min(start, length - 1)
            return tl.append(Clip(mid, start, min(length, start + n)))
        if name != "split" and tl.clips:
            args[0] %= len(tl.clips)
        return getattr(tl, name)(*args)
    except EditError:
        return tl
