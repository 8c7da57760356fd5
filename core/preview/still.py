"""One source frame decoded directly: the still shown before a clip's first cell is ready.

Apart from ``preview`` so that it works without libmpv (a front end shows stills even when the
player cannot start).
"""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np

from core.media.frames import iter_project_frames
from core.media.info import MediaInfo

log = logging.getLogger(__name__)


def first_frame(
    info: MediaInfo, source_frame: int, size: tuple[int, int], fps: Fraction | None = None
) -> np.ndarray | None:
    """One source frame decoded directly at ``size`` (RGB), for the still before a cell is ready.

    ``source_frame`` counts frames at ``fps`` (the project rate; default: the media's own rate).
    """
    if info.video is None:
        return None
    fps = fps or info.video.fps
    w, h = size
    canvas = (max(2, w - w % 2), max(2, h - h % 2))
    try:
        for _, frame in iter_project_frames(info, source_frame, source_frame + 1, fps, canvas):
            return frame.to_ndarray(format="rgb24")
    except Exception as exc:  # a still is a nicety: never let it break the editor
        log.warning("first frame of %s unavailable: %s", info.path, exc)
    return None
