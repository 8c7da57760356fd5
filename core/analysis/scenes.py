"""Scene changes: where the picture changes so much between two frames that a new shot starts.

PySceneDetect's content detector, so its threshold means the same here: each frame is turned to
HSV (OpenCV's 8-bit scale: hue 0–179, saturation and value 0–255), the score of a frame is the mean
over the three channels of the mean absolute difference to the previous frame, a cut is made at a
frame whose score reaches the threshold (default 27) once the current scene has at least the
minimum scene length (15 frames). Pictures are decoded once at a small size (``WIDTH`` pixels wide,
scaled by PyAV's swscale): the score is a mean, and small pictures make the decode cheap.

The source half scores every frame of one file (its time and score) and is cached by content
(``core.analysis.cache``); the threshold and minimum length are applied afterwards, so changing them
costs no decode. The timeline half maps each cut, a source time, to the project frame of each clip
that shows it, and gives timeline frames to split at.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from core.analysis.cache import ProgressFn, cache_path, each_media, load_or_compute
from core.errors import Cancelled, MediaError
from core.media.info import MediaInfo
from core.model.timeline import GAP, Timeline

WIDTH = 64
"""Width of the decoded pictures (the height keeps the aspect, even)."""
VERSION = 1
DEFAULT_THRESHOLD = 27.0
MIN_SCENE_FRAMES = 15


@dataclass(frozen=True)
class SceneCuts:
    """What ``find_scene_cuts`` found."""

    frames: tuple[int, ...]
    """Timeline frames where a new scene starts (each inside a clip, never at its start)."""
    decoded: int
    """How many media had to be decoded (0: every score came from the cache)."""


def hsv(rgb: np.ndarray) -> np.ndarray:
    """OpenCV's ``COLOR_RGB2HSV`` for 8-bit pictures, in numpy: H 0–179, S and V 0–255 (float32)."""
    pixels = rgb.astype(np.float32)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    v = pixels.max(axis=-1)
    delta = v - pixels.min(axis=-1)
    s = np.where(v > 0, delta * 255.0 / np.maximum(v, 1.0), 0.0)
    safe = np.maximum(delta, 1e-6)
    h = np.where(
        v == r, 60.0 * (g - b) / safe, np.where(v == g, 120.0 + 60.0 * (b - r) / safe, 240.0 + 60.0 * (r - g) / safe)
    )
    h = np.where(delta > 0, np.mod(h, 360.0), 0.0) / 2.0
    return np.stack([np.round(h), np.round(s), v], axis=-1).astype(np.float32)


def content_score(previous: np.ndarray, current: np.ndarray) -> float:
    """PySceneDetect's content value of ``current`` after ``previous`` (both ``hsv`` pictures)."""
    return float(np.abs(current - previous).mean(axis=(0, 1)).mean())


def measure(
    info: MediaInfo, cancel: threading.Event | None = None, progress: ProgressFn | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Time (seconds from the first video frame) and content score of every frame of ``info``."""
    if info.video is None:
        return np.zeros(0), np.zeros(0, dtype=np.float32)
    origin = float(info.video.start)
    total = max(1e-9, float(info.duration))
    times: list[float] = []
    scores: list[float] = []
    previous: np.ndarray | None = None
    try:
        with av.open(str(info.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            height = 0
            for frame in container.decode(stream):
                if cancel is not None and cancel.is_set():
                    raise Cancelled("scene analysis cancelled")
                if frame.time is None:
                    continue
                if not height:
                    height = max(2, round(WIDTH * frame.height / max(1, frame.width) / 2) * 2)
                picture = hsv(frame.to_ndarray(width=WIDTH, height=height, format="rgb24"))
                times.append(frame.time - origin)
                scores.append(0.0 if previous is None else content_score(previous, picture))
                previous = picture
                if progress is not None and len(times) % 25 == 0:
                    progress(min(1.0, times[-1] / total))
    except (av.FFmpegError, OSError) as exc:
        if not times:
            raise MediaError(info.path, f"its pictures cannot be decoded ({exc})") from None
        # a damaged tail: the frames decoded so far are still scored
    return np.array(times, dtype=np.float64), np.array(scores, dtype=np.float32)


def source_scores(
    info: MediaInfo,
    fingerprint_: str,
    folder: Path,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], bool]:
    """``measure`` of content ``fingerprint_``, from the cache when it is there; the flag says whether
    pictures were decoded."""

    def compute() -> dict[str, np.ndarray]:
        times, scores = measure(info, cancel, progress)
        return {"times": times, "scores": scores}

    arrays, decoded = load_or_compute(cache_path(folder, fingerprint_, f"content-v{VERSION}-w{WIDTH}"), compute)
    return (arrays["times"], arrays["scores"]), decoded


def cut_times(
    times: np.ndarray, scores: np.ndarray, threshold: float, min_scene: int = MIN_SCENE_FRAMES
) -> list[float]:
    """Source times where a scene starts (the rule, pure): a score at or over ``threshold`` at least
    ``min_scene`` frames after the previous cut (the first frame counts as one)."""
    cuts: list[float] = []
    last = 0
    for i in np.flatnonzero(scores >= threshold).tolist():
        if i > 0 and i - last >= min_scene:
            cuts.append(float(times[i]))
            last = i
    return cuts


def find_scene_cuts(
    timeline: Timeline,
    threshold: float,
    folder: Path,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
    min_scene: int = MIN_SCENE_FRAMES,
) -> SceneCuts:
    """Timeline frames where a scene starts inside a clip, for ``threshold``."""
    fps = timeline.fps
    wanted: list[str] = []
    for clip in timeline.clips:
        if clip.media == GAP or clip.media in wanted:
            continue
        info = timeline.media_by_id(clip.media).info
        if info is not None and info.video is not None:
            wanted.append(clip.media)
    cuts: dict[str, list[float]] = {}
    decoded = 0
    for media_id, info, fp, step in each_media(timeline, wanted, progress):
        (times, scores), fresh = source_scores(info, fp, folder, cancel, step)
        decoded += fresh
        cuts[media_id] = cut_times(times, scores, threshold, min_scene)
    frames: set[int] = set()
    for placed in timeline.placed():
        for t in cuts.get(placed.clip.media, ()):
            # the first project frame whose instant reaches the new picture (a little jitter allowed)
            source = math.ceil(Fraction(t).limit_denominator(1_000_000) * fps - Fraction(1, 100))
            if placed.clip.in_ < source < placed.clip.out:
                frames.add(placed.start + source - placed.clip.in_)
    if progress is not None:
        progress(1.0)
    return SceneCuts(tuple(sorted(frames)), decoded)
