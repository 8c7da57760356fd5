"""Synthetic frames that carry their own frame index, and small media files made of them.

Why this module is shaped so
----------------------------
livecut's promises are frame-exact (a cell covers source frames ``[k*C, (k+1)*C)``; a trim
remuxes exactly the frames it keeps), so tests and benchmarks need pictures that *say which
frame they are* after everything the engine does to them: B-frame reordering, all-intra
re-encoding, chroma subsampling, downscaling to a 96 px wide preview, remuxing. Each frame
therefore carries its index twice:

* for people: the number drawn large in the middle (a built-in 5x7 bitmap font, scaled up with
  ``numpy.repeat``; no PIL), over a picture that moves with the index (a scrolling gradient and
  a bouncing square), plus an optional label line at the top left;
* for machines: a **code band** along the **bottom edge** of the drawn picture (the bottom 1/8
  of its height, full width) made of 20 equal black/white cells::

      [1, 0, d15 ... d0, c0, c1]      1 = white, 0 = black, left to right

  ``1, 0`` is the start pattern and gives the reader its white and black reference levels;
  ``d15..d0`` is ``index mod 65536``, most significant bit first; ``c0`` is the even parity of
  the data bits at even positions (d15, d13, ...), ``c1`` the *inverted* parity of the others.
  A black, white, grey or noisy frame fails the contrast, the confidence or the check bits, so
  :func:`read_index` returns ``None`` for it instead of a plausible 0.

Every position is a fraction of the frame size, so the reader needs no knowledge of the size the
frame was drawn at: a 1920x1080 frame scaled to 96x54 still has its band in the bottom eighth,
each cell 4.8 px wide. Cells are width/20 and pure black/white, which survives x264 at crf 28-35
and 4:2:0 chroma, and swscale's bilinear, bicubic, area and point scalers. (``FAST_BILINEAR``
misplaces columns by up to half a cell when shrinking 1080p twentyfold to 96 px: not supported
at that ratio; it is fine down to 192 px.) The band is in the *drawn* (coded) orientation: a file made with
``rotation=90`` still codes the band at the bottom of the decoded picture, and a front end that
applies the display rotation moves it to a side; pass that rotation to :func:`read_index`.

Speed: the background for each size is computed once (periodic in x and stored twice as wide, so
a scrolled frame is one slice copy); per frame only the square, the digits and the band are
painted. A 1920x1080 frame takes about 2 ms; encoding, not drawing, dominates :func:`make_source`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import cast

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.video.stream import VideoStream

from core.errors import Cancelled, MediaError

log = logging.getLogger(__name__)

__all__ = [
    "CODE_BITS",
    "draw_frame",
    "make_source",
    "read_index",
]

CODE_BITS = 16
"""Bits of the index carried by the code band; the band holds ``index % 2**CODE_BITS``."""

_CELLS = 2 + CODE_BITS + 2
_BAND_TOP = 7 / 8
"""The code band covers rows from ``height * _BAND_TOP`` to the bottom edge."""
_SAMPLE_ROWS = (_BAND_TOP + (1 - _BAND_TOP) * 0.25, _BAND_TOP + (1 - _BAND_TOP) * 0.75)
_SAMPLE_COLS = 0.1
"""The reader averages the middle fifth of each cell's width (and the middle half of the band's
height): far from the edges that scaling blurs and that swscale's sloppier scalers misplace."""
_MIN_CONTRAST = 80.0
_MIN_READ_SIZE = (_CELLS, 8)

_WHITE = np.array([255, 255, 255], dtype=np.uint8)
_SQUARE = np.array([255, 214, 0], dtype=np.uint8)
_SQUARE_PERIOD = 120
"""Frames for the square to cross the picture and come back."""

# --------------------------------------------------------------------------------------------
# 5x7 bitmap font: each glyph is seven rows of five cells, "#" = ink. Lowercase is drawn as
# uppercase; anything unknown is drawn as "?".
_GLYPHS: dict[str, str] = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    " ": "..... ..... ..... ..... ..... ..... .....",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "-": "..... ..... ..... .###. ..... ..... .....",
    "_": "..... ..... ..... ..... ..... ..... #####",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "/": "....# ....# ...#. ..#.. .#... #.... #....",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "@": ".###. #...# #.### #.#.# #.### #.... .###.",
    "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
}
_GLYPH_W, _GLYPH_H = 5, 7
_ADVANCE = _GLYPH_W + 1


def _parse_glyph(rows: str) -> np.ndarray:
    bitmap = np.array([[ch == "#" for ch in row] for row in rows.split()], dtype=bool)
    assert bitmap.shape == (_GLYPH_H, _GLYPH_W), rows
    return bitmap


_FONT: dict[str, np.ndarray] = {ch: _parse_glyph(rows) for ch, rows in _GLYPHS.items()}


def _text_bitmap(text: str) -> np.ndarray:
    """One-pixel-per-cell bitmap of ``text`` (7 rows, 6 columns per character minus one)."""
    out = np.zeros((_GLYPH_H, max(1, len(text) * _ADVANCE - 1)), dtype=bool)
    for i, ch in enumerate(text.upper()):
        glyph = _FONT.get(ch, _FONT["?"])
        out[:, i * _ADVANCE : i * _ADVANCE + _GLYPH_W] = glyph
    return out


@lru_cache(maxsize=16)
def _text_mask(text: str, scale: int) -> np.ndarray:
    """``text`` rendered with each font cell ``scale`` pixels square.

    Cached for the label, which repeats on every frame; the cache is small because a 1080p digit
    mask is ~0.6 MB and every frame's number is new.
    """
    bitmap = _text_bitmap(text)
    mask = np.repeat(np.repeat(bitmap, scale, axis=0), scale, axis=1)
    mask.flags.writeable = False
    return mask


# --------------------------------------------------------------------------------------------
# Geometry, computed once per frame size.


@dataclass(frozen=True)
class _Layout:
    """Where everything goes in a ``width`` x ``height`` frame (all in pixels)."""

    width: int
    height: int
    band_top: int
    """First row of the code band; it runs to the bottom edge."""
    cell_edges: tuple[int, ...]
    """``_CELLS + 1`` column edges of the code cells."""
    scroll_step: int
    """Pixels the background moves left per frame."""
    square_size: int
    square_top: int
    digit_scale: int
    digit_center_y: int
    label_scale: int
    label_origin: tuple[int, int]
    """(row, column) of the label's top-left corner."""


@lru_cache(maxsize=32)
def _layout(width: int, height: int) -> _Layout:
    band_top = round(height * _BAND_TOP)
    cell_edges = tuple(round(i * width / _CELLS) for i in range(_CELLS + 1))
    max_digits = 5
    digit_scale = max(
        1,
        min(
            int(height * 0.34 / _GLYPH_H),
            int(width * 0.86 / (max_digits * _ADVANCE - 1)),
        ),
    )
    label_scale = max(1, int(height * 0.05 / _GLYPH_H))
    return _Layout(
        width=width,
        height=height,
        band_top=band_top,
        cell_edges=cell_edges,
        scroll_step=max(1, width // 96),
        square_size=max(2, height // 7),
        square_top=round(height * 0.15),
        digit_scale=digit_scale,
        digit_center_y=round(height * 0.55),
        label_scale=label_scale,
        label_origin=(max(1, round(height * 0.03)), max(1, round(width * 0.02))),
    )


@lru_cache(maxsize=8)
def _background(width: int, height: int) -> np.ndarray:
    """A smooth colour field, periodic in x with period ``width``, drawn ``2 * width`` wide.

    Any horizontal offset in ``[0, width)`` is then a plain slice, so scrolling costs a copy.
    Values stay within 48..208 so white digits and black/white code cells stand out.
    """
    x = np.arange(width, dtype=np.float32) * np.float32(2 * math.pi / width)
    y = np.arange(height, dtype=np.float32) * np.float32(2 * math.pi / height)
    out = np.empty((height, 2 * width, 3), dtype=np.uint8)
    # Each channel is sin(a*x + b*y + c): a sum of two outer products, no per-pixel sine.
    for channel, (a, b, c) in enumerate(((1, 0, 0.0), (1, 1, 2.1), (2, -1, 4.2))):
        sx, cx = np.sin(a * x), np.cos(a * x)
        sy, cy = np.sin(b * y + c), np.cos(b * y + c)
        field = np.outer(cy, sx) + np.outer(sy, cx)
        level = np.rint(128 + 80 * field).astype(np.uint8)
        out[:, :width, channel] = level
        out[:, width:, channel] = level
    out.flags.writeable = False
    return out


# --------------------------------------------------------------------------------------------
# The code band.


def _code_bits(index: int) -> list[int]:
    value = index % (1 << CODE_BITS)
    data = [(value >> (CODE_BITS - 1 - i)) & 1 for i in range(CODE_BITS)]
    return [1, 0, *data, *_check_bits(data)]


def _check_bits(data: Sequence[int]) -> tuple[int, int]:
    even = sum(data[0::2]) & 1
    odd = (sum(data[1::2]) & 1) ^ 1
    return even, odd


def _paint_band(frame: np.ndarray, layout: _Layout, index: int) -> None:
    band = frame[layout.band_top :]
    edges = layout.cell_edges
    for cell, bit in enumerate(_code_bits(index)):
        band[:, edges[cell] : edges[cell + 1]] = 255 if bit else 0


def read_index(rgb: np.ndarray, *, rotation: int = 0) -> int | None:
    """Read the frame index back from a decoded picture, or ``None`` if there is no valid code.

    ``rgb`` is H x W x 3 (or H x W luma), any size at least 20 x 8 and in practice ≥ 96 px wide,
    with the aspect it was drawn at (scaling is fine, cropping is not). ``rotation`` is the
    counter-clockwise rotation, in degrees, that was applied to the drawn picture to get ``rgb``
    (``numpy.rot90(drawn, k=rotation // 90)``; the same convention as PyAV's
    ``VideoFrame.rotation``): it is undone before reading. Returns ``index % 65536``.
    """
    picture = _unrotate(np.asarray(rgb), rotation)
    height, width = picture.shape[:2]
    if width < _MIN_READ_SIZE[0] or height < _MIN_READ_SIZE[1]:
        return None
    levels = _cell_levels(picture)
    return _decode_levels(levels)


def _unrotate(picture: np.ndarray, rotation: int) -> np.ndarray:
    if rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90 degrees, not {rotation}")
    if picture.ndim not in (2, 3):
        raise ValueError(f"expected an H x W or H x W x C picture, got shape {picture.shape}")
    return np.rot90(picture, k=-(rotation // 90) % 4)


def _cell_levels(picture: np.ndarray) -> np.ndarray:
    """Mean brightness (0..255) of the middle of each code cell."""
    height, width = picture.shape[:2]
    row0 = int(height * _SAMPLE_ROWS[0])
    row1 = max(row0 + 1, math.ceil(height * _SAMPLE_ROWS[1]))
    strip = picture[row0:row1] if picture.ndim == 2 else picture[row0:row1, :, :3]
    cell_width = width / _CELLS
    levels = np.empty(_CELLS, dtype=np.float32)
    for cell in range(_CELLS):
        centre = (cell + 0.5) * cell_width
        col0 = int(centre - cell_width * _SAMPLE_COLS)
        col1 = max(col0 + 1, math.ceil(centre + cell_width * _SAMPLE_COLS))
        levels[cell] = strip[:, col0:col1].mean()
    return levels


def _decode_levels(levels: np.ndarray) -> int | None:
    white, black = float(levels[0]), float(levels[1])
    contrast = white - black
    if contrast < _MIN_CONTRAST:
        return None
    threshold = (white + black) / 2
    if np.any(np.abs(levels - threshold) < contrast / 4):
        return None  # a cell that is neither clearly black nor clearly white
    bits = [int(level > threshold) for level in levels]
    data = bits[2 : 2 + CODE_BITS]
    if tuple(bits[2 + CODE_BITS :]) != _check_bits(data):
        return None
    value = 0
    for bit in data:
        value = (value << 1) | bit
    return value


# --------------------------------------------------------------------------------------------
# Drawing.


def draw_frame(index: int, width: int, height: int, *, label: str = "", moving: bool = True) -> np.ndarray:
    """Draw frame ``index`` as a fresh H x W x 3 uint8 RGB array.

    The picture scrolls and a square bounces with ``index`` (unless ``moving`` is false, when only
    the digits and the code change), the index is drawn large in the middle, ``label`` (if any)
    in small capitals at the top left, and the machine code band along the bottom edge (see the
    module docstring). Deterministic: the same arguments give the same pixels.
    """
    if index < 0:
        raise ValueError(f"frame index must be >= 0, not {index}")
    if width < _MIN_READ_SIZE[0] or height < _MIN_READ_SIZE[1]:
        raise ValueError(f"a test frame must be at least 20x8, not {width}x{height}")
    layout = _layout(width, height)
    motion = index if moving else 0
    offset = (motion * layout.scroll_step) % width
    frame = _background(width, height)[:, offset : offset + width].copy()
    _paint_square(frame, layout, motion)
    _paint_text(frame, str(index), layout.digit_scale, _digit_origin(layout, str(index)))
    if label:
        _paint_text(frame, label, layout.label_scale, layout.label_origin)
    _paint_band(frame, layout, index)
    return frame


def _paint_square(frame: np.ndarray, layout: _Layout, motion: int) -> None:
    travel = max(0, layout.width - layout.square_size)
    phase = 2 * (motion % _SQUARE_PERIOD)
    along = phase if phase <= _SQUARE_PERIOD else 2 * _SQUARE_PERIOD - phase
    left = travel * along // _SQUARE_PERIOD
    top = layout.square_top
    frame[top : top + layout.square_size, left : left + layout.square_size] = _SQUARE


def _digit_origin(layout: _Layout, text: str) -> tuple[int, int]:
    text_w = (len(text) * _ADVANCE - 1) * layout.digit_scale
    text_h = _GLYPH_H * layout.digit_scale
    return layout.digit_center_y - text_h // 2, (layout.width - text_w) // 2


def _paint_text(frame: np.ndarray, text: str, scale: int, origin: tuple[int, int]) -> None:
    """White text on a darkened box, clipped to the picture above the code band."""
    mask = _text_mask(text, scale)
    bottom = _layout(frame.shape[1], frame.shape[0]).band_top
    top, left = origin
    rows, cols = mask.shape
    box = _clip(frame, bottom, top - scale, left - scale, rows + 2 * scale, cols + 2 * scale)
    if box is not None:
        region = frame[box[0] : box[1], box[2] : box[3]]
        np.right_shift(region, 2, out=region)
    ink = _clip(frame, bottom, top, left, rows, cols)
    if ink is not None:
        y0, y1, x0, x1 = ink
        where = mask[y0 - top : y1 - top, x0 - left : x1 - left, None]
        np.copyto(frame[y0:y1, x0:x1], _WHITE, where=where)


def _clip(
    frame: np.ndarray, bottom: int, top: int, left: int, rows: int, cols: int
) -> tuple[int, int, int, int] | None:
    """The part of a rectangle inside the frame and above row ``bottom``, or ``None``."""
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(bottom, top + rows), min(frame.shape[1], left + cols)
    if y1 <= y0 or x1 <= x0:
        return None
    return y0, y1, x0, x1


# --------------------------------------------------------------------------------------------
# Media files.


_SUBSAMPLED = {"yuv420p", "yuvj420p", "nv12", "yuv422p", "yuvj422p"}
_OPUS_SUFFIXES = {".webm", ".ogg", ".opus"}
_LAYOUTS = {1: "mono", 2: "stereo"}
_AUDIO_ONLY_SLICES = 50
"""An audio-only file is written in this many slices, so cancellation stays prompt."""
_ENCODE_THREADS = 2
"""Fixed, not automatic: x264's output depends on its thread count, and files must not differ
between machines. Frame threads (not PyAV's default slice threads) halve x264's time at 1080p."""


@dataclass(frozen=True)
class _VideoPlan:
    """The settled video parameters of one source."""

    codec: str
    width: int
    height: int
    fps: Fraction
    time_base: Fraction
    pix_fmt: str
    gop: int
    bframes: int
    pts: tuple[int, ...]
    """Presentation time of each frame, in ``time_base`` units."""


def make_source(
    path: str | Path,
    *,
    frames: int = 40,
    width: int = 160,
    height: int = 120,
    fps: Fraction | str | int = 25,
    codec: str | None = None,
    gop: int | None = None,
    bframes: int | None = None,
    crf: int = 23,
    preset: str = "ultrafast",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    vfr_timestamps: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    video: bool = True,
    audio: bool = True,
    audio_codec: str | None = None,
    tone_hz: float = 440.0,
    sample_rate: int = 48000,
    channels: int = 2,
    label: str = "",
    moving: bool = True,
    x264_params: str = "",
    bt709: bool = False,
    cancel: threading.Event | None = None,
) -> Path:
    """Write a small media file whose video frame ``i`` is ``draw_frame(i, width, height)``.

    The file is written under a temporary name in the same folder and renamed into place, so an
    interrupted call never leaves a half file at ``path``. Output is deterministic (bit-exact
    muxing, fixed GOP, no scene-cut keyframes).

    * ``codec``: ``None`` picks ``libvpx`` for ``.webm`` and ``libx264`` otherwise; ``mpeg4``,
      ``mjpeg`` and anything else PyAV can encode also work. x264 runs with ``preset`` and
      ``crf``; other codecs get a generous bit rate.
    * ``gop``: keyframe interval in frames, default 2 s worth; ``1`` makes the file all-intra.
    * ``bframes``: default 2 for libx264 and mpeg4 (what cameras do) and 0 for others or when
      ``gop == 1``.
    * ``pix_fmt``: odd sizes cannot be 4:2:0 in x264, so an odd ``width``/``height`` with a
      subsampled format switches libx264 to ``yuv444p`` (mpeg4, mjpeg and libvpx keep 4:2:0 and
      the exact size). ``mjpeg`` gets the full-range ``yuvj`` variant of the format.
    * ``rotation``: counter-clockwise display rotation written as a display matrix; decoded frames
      report it as ``VideoFrame.rotation`` and keep the drawn (unrotated) pixels.
    * ``vfr_timestamps``: one pts per frame in ``time_base`` units (default 1/1000 s for VFR,
      ``1/fps`` otherwise), strictly increasing; ``fps`` stays the nominal rate.
    * ``video=False`` writes an audio-only file (no video stream at all); ``audio=False`` a
      video-only one. The audio is a continuous ``tone_hz`` sine lasting as long as the video
      (``frames / fps``), AAC, or Opus in ``.webm``/``.ogg``.
    * ``x264_params``: more x264 options (``open-gop=1`` for open GOPs), after ``scenecut=0``.
    * ``bt709``: tag the video BT.709 limited range (primaries, transfer, matrix, range), as
      cameras do; untagged by default.
    * ``cancel``: checked between frames; when set, the temporary file is removed and
      :class:`Cancelled` is raised.
    """
    target = Path(path)
    if not video and not audio:
        raise ValueError("a source needs video, audio or both")
    plan = _plan_video(target, frames, width, height, fps, codec, gop, bframes, pix_fmt, vfr_timestamps, time_base)
    if rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90 degrees, not {rotation}")
    if channels not in _LAYOUTS:
        raise ValueError(f"channels must be 1 or 2, not {channels}")
    look = _VideoLook(
        label=label, moving=moving, rotation=rotation, crf=crf, preset=preset, x264_params=x264_params, bt709=bt709
    )
    sound = (
        _AudioPlan(
            codec=audio_codec or _default_audio_codec(target),
            sample_rate=sample_rate,
            channels=channels,
            tone_hz=tone_hz,
            samples=round(_duration(plan) * sample_rate),
        )
        if audio
        else None
    )
    try:
        with _atomic_path(target) as temp:
            _write(temp, plan if video else None, look, sound, cancel)
    except av.FFmpegError as err:
        raise MediaError(target, f"cannot write test source ({err})") from err
    except OSError as err:
        raise MediaError(target, f"cannot write test source ({err.strerror or err})") from err
    log.debug("wrote test source %s (%d frames, %dx%d)", target, frames, width, height)
    return target


@dataclass(frozen=True)
class _VideoLook:
    """How the frames look and are compressed, beyond the plan's geometry and timing."""

    label: str
    moving: bool
    rotation: int
    crf: int
    preset: str
    x264_params: str = ""
    bt709: bool = False


@dataclass(frozen=True)
class _AudioPlan:
    """The settled audio parameters of one source."""

    codec: str
    sample_rate: int
    channels: int
    tone_hz: float
    samples: int
    """Total samples per channel: the video's duration at ``sample_rate``."""


def _plan_video(
    target: Path,
    frames: int,
    width: int,
    height: int,
    fps: Fraction | str | int,
    codec: str | None,
    gop: int | None,
    bframes: int | None,
    pix_fmt: str,
    vfr_timestamps: Sequence[int] | None,
    time_base: Fraction | None,
) -> _VideoPlan:
    rate = Fraction(fps)
    if frames < 1 or rate <= 0:
        raise ValueError(f"need frames >= 1 and fps > 0, got {frames} frames at {fps}")
    name = codec or ("libvpx" if target.suffix.lower() == ".webm" else "libx264")
    key_interval = gop if gop is not None else max(1, round(2 * rate))
    if key_interval < 1:
        raise ValueError(f"gop must be >= 1, not {gop}")
    b_count = bframes if bframes is not None else (2 if name in ("libx264", "mpeg4") else 0)
    if key_interval == 1:
        b_count = 0
    tb, pts = _timestamps(frames, rate, vfr_timestamps, time_base)
    return _VideoPlan(
        codec=name,
        width=width,
        height=height,
        fps=rate,
        time_base=tb,
        pix_fmt=_settle_pix_fmt(name, pix_fmt, width, height),
        gop=key_interval,
        bframes=b_count,
        pts=pts,
    )


def _timestamps(
    frames: int,
    rate: Fraction,
    vfr_timestamps: Sequence[int] | None,
    time_base: Fraction | None,
) -> tuple[Fraction, tuple[int, ...]]:
    if vfr_timestamps is None:
        tb = time_base if time_base is not None else 1 / rate
        step = (1 / rate) / tb
        if step.denominator != 1:
            raise ValueError(f"time_base {tb} cannot express frames at {rate} fps")
        return tb, tuple(i * int(step) for i in range(frames))
    pts = tuple(int(p) for p in vfr_timestamps)
    if len(pts) != frames:
        raise ValueError(f"vfr_timestamps has {len(pts)} entries for {frames} frames")
    if any(b <= a for a, b in itertools.pairwise(pts)) or (pts and pts[0] < 0):
        raise ValueError("vfr_timestamps must be >= 0 and strictly increasing")
    return (time_base if time_base is not None else Fraction(1, 1000)), pts


def _settle_pix_fmt(codec: str, pix_fmt: str, width: int, height: int) -> str:
    settled = pix_fmt
    if codec == "mjpeg" and settled.startswith("yuv4"):
        settled = "yuvj" + settled[3:]
    if codec == "libx264" and settled in _SUBSAMPLED and (width % 2 or height % 2):
        settled = "yuv444p"
    if settled != pix_fmt:
        log.debug("%s at %dx%d: using %s instead of %s", codec, width, height, settled, pix_fmt)
    return settled


def _duration(plan: _VideoPlan) -> Fraction:
    """Seconds from the first frame's start to the last frame's end."""
    last_frame = 1 / plan.fps
    return (plan.pts[-1] - plan.pts[0]) * plan.time_base + last_frame


def _default_audio_codec(target: Path) -> str:
    return "libopus" if target.suffix.lower() in _OPUS_SUFFIXES else "aac"


@contextlib.contextmanager
def _atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success fsync it and rename it into place."""
    temp = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.partial")
    temp = temp.with_name(temp.name + target.suffix)
    try:
        yield temp
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _write(
    temp: Path,
    plan: _VideoPlan | None,
    look: _VideoLook,
    audio: _AudioPlan | None,
    cancel: threading.Event | None,
) -> None:
    with av.open(str(temp), "w", container_options={"fflags": "+bitexact"}) as container:
        vstream = _add_video(container, plan, look) if plan is not None else None
        astream = _add_audio(container, audio) if audio is not None else None
        container.start_encoding()
        tone = _Tone(astream, audio) if astream is not None and audio is not None else None
        steps = len(plan.pts) if plan is not None else _AUDIO_ONLY_SLICES
        for i in range(steps):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"{temp.name}: cancelled")
            if vstream is not None and plan is not None:
                _encode_picture(container, vstream, plan, look, i)
            if tone is not None:
                tone.write_until((i + 1) * tone.total // steps, container)
        if vstream is not None:
            container.mux(vstream.encode(None))
        if tone is not None:
            tone.finish(container)


def _encode_picture(
    container: OutputContainer, stream: VideoStream, plan: _VideoPlan, look: _VideoLook, index: int
) -> None:
    picture = draw_frame(index, plan.width, plan.height, label=look.label, moving=look.moving)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    frame.pts = plan.pts[index]
    frame.time_base = plan.time_base
    container.mux(stream.encode(frame))


def _add_video(container: OutputContainer, plan: _VideoPlan, look: _VideoLook) -> VideoStream:
    stream = cast(VideoStream, container.add_stream(plan.codec, rate=plan.fps))
    stream.width, stream.height, stream.pix_fmt = plan.width, plan.height, plan.pix_fmt
    ctx = stream.codec_context
    ctx.time_base = plan.time_base
    stream.time_base = plan.time_base
    ctx.gop_size = plan.gop
    ctx.max_b_frames = plan.bframes
    ctx.flags |= av.codec.context.Flags.bitexact
    ctx.thread_count = _ENCODE_THREADS
    if plan.codec == "libx264":
        ctx.thread_type = "FRAME"
        params = "scenecut=0" + (f":{look.x264_params}" if look.x264_params else "")
        ctx.options = {"preset": look.preset, "crf": str(look.crf), "x264-params": params}
    else:
        ctx.bit_rate = max(400_000, int(plan.width * plan.height * plan.fps))
        if plan.codec in ("libvpx", "libvpx-vp9"):
            ctx.options = {"deadline": "realtime", "cpu-used": "8"}
    if look.bt709:  # AVCOL_PRI_BT709, AVCOL_TRC_BT709, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = 1, 1, 1, 1
    if look.rotation:
        stream.set_display_rotation(look.rotation)
    return stream


def _add_audio(container: OutputContainer, audio: _AudioPlan) -> AudioStream:
    stream = cast(AudioStream, container.add_stream(audio.codec, rate=audio.sample_rate))
    stream.layout = _LAYOUTS[audio.channels]
    stream.time_base = Fraction(1, audio.sample_rate)
    stream.codec_context.flags |= av.codec.context.Flags.bitexact
    return stream


class _Tone:
    """Feeds a continuous sine to an audio stream in encoder-sized frames with exact pts."""

    def __init__(self, stream: AudioStream, plan: _AudioPlan) -> None:
        self._stream = stream
        self._plan = plan
        self._chunk = stream.codec_context.frame_size or 1024  # known once the encoder is open
        self._written = 0
        self._layout = _LAYOUTS[plan.channels]

    @property
    def total(self) -> int:
        """Samples per channel in the whole tone."""
        return self._plan.samples

    def write_until(self, goal: int, container: OutputContainer) -> None:
        """Encode whole encoder frames while at least one fits below sample ``goal``."""
        goal = min(goal, self.total)
        while self._written < goal and (goal - self._written >= self._chunk or goal == self.total):
            self._encode(min(self._chunk, self.total - self._written), container)

    def finish(self, container: OutputContainer) -> None:
        """Write what is left (a short last frame is allowed) and flush the encoder."""
        self.write_until(self.total, container)
        container.mux(self._stream.encode(None))

    def _encode(self, count: int, container: OutputContainer) -> None:
        start = self._written
        phase = np.arange(start, start + count, dtype=np.float64)
        phase *= 2 * math.pi * self._plan.tone_hz / self._plan.sample_rate
        wave = (0.25 * np.sin(phase)).astype(np.float32)
        planes = np.repeat(wave[None, :], self._plan.channels, axis=0)
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=self._layout)
        frame.sample_rate = self._plan.sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, self._plan.sample_rate)
        container.mux(self._stream.encode(frame))
        self._written += count
