"""A generated talk for the automatic-cut tests (issue #29): three different scenes of 4 s each at
30 fps (frames 0–120, 120–240, 240–360), and a 440 Hz tone silent at 3–5 s and 9–10 s."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FPS = 30
SECONDS = 12
SCENES = ((200, 40, 40), (40, 170, 60), (50, 60, 210))
SILENT = ((3.0, 5.0), (9.0, 10.0))
RATE = 48000


def make_talk(path: Path, *, audio: bool = True, width: int = 96, height: int = 64) -> Path:
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.options = {"preset": "ultrafast", "x264-params": "scenecut=0"}
        sound = container.add_stream("aac", rate=RATE) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        for i in range(FPS * SECONDS):
            picture = np.empty((height, width, 3), dtype=np.uint8)
            picture[:] = SCENES[i // (FPS * 4)]
            x = (i * 2) % (width - 8)
            picture[20:28, x : x + 8] = 255  # a small moving square: scenes are not frozen
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            t = np.arange(RATE * SECONDS) / RATE
            wave = 0.5 * np.sin(2 * math.pi * 440 * t)
            for first, end in SILENT:
                wave[int(first * RATE) : int(end * RATE)] = 0.0
            planes = np.repeat(wave.astype(np.float32)[None, :], 2, axis=0)
            for start in range(0, planes.shape[1], 1024):
                block = np.ascontiguousarray(planes[:, start : start + 1024])
                frame_a = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
                frame_a.sample_rate = RATE
                frame_a.pts = start
                frame_a.time_base = Fraction(1, RATE)
                container.mux(sound.encode(frame_a))
            container.mux(sound.encode(None))
    return path
