"""Source colour facts, and converting any source into the one colour space livecut writes.

Why it is shaped like this:

* **One output colour space: BT.709, limited range, SDR.** A stream has one colour description
  (the H.264 VUI and the MP4 ``colr`` box), and preview and export concatenate many sources into
  one stream, so every source is *converted* into that space, not merely tagged. A source that
  already is BT.709 limited range is only scaled. Any other goes through 16-bit RGB at the
  scaled size: swscale's direct YUV → YUV matrix and range conversion is off by up to 2.5
  levels on colour bars (3.0 for BT.601 with the default flags), through 16-bit RGB with
  ``ACCURATE_RND`` it is near the 8-bit quantisation floor (1.1–1.5 levels), for ~4 ms instead
  of ~0.7 ms a 1080p → 640×360 frame. Primaries and transfer function (BT.2020, PQ, HLG) are
  converted by :func:`to_bt709` on that RGB picture.
* **Untagged sources get the usual guesses** (the ones FFmpeg, mpv and browsers make): the matrix
  is BT.601 up to 576 lines and BT.709 above; the range is full for ``yuvj*`` pixel formats and
  limited otherwise; a BT.2020 matrix or an HDR transfer implies BT.2020 primaries.
* **HDR is tone-mapped in numpy, at the canvas size.** FFmpeg 8's swscale can tone-map itself
  (``dst_color_trc``/``dst_color_primaries``), but building its 3-D LUT took 3.4–4.6 s per
  context and then ~42 ms per 1080p frame, against a few milliseconds here on the scaled-down
  picture. The model is deliberately simple: PQ is decoded to nits; HLG to scene light, then the
  BT.2100 OOTF for a 1000-nit display; both normalised so 203 nits (BT.2408 reference white) is
  1.0; BT.2020 → BT.709 gamut matrix in linear light (out-of-gamut parts clipped); a max-RGB
  curve that is linear up to ``_KNEE`` and rolls off smoothly towards 1.0 (hue is kept because
  all three channels are scaled alike); then the BT.709 OETF. HLG reference white (75 %) lands
  near 86 % of SDR white, 1000-nit highlights near 98 %.
* **Lookup tables** do the per-channel curves: the input is 16-bit RGB, so each transfer
  function is one 65536-entry table indexed by the code value, and the output curve one table
  indexed by linear light quantised to 16 bits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc

_UNSPECIFIED = 2
"""FFmpeg's value for an unspecified matrix, transfer or primaries (``AVCOL_*_UNSPECIFIED``)."""
_SPC_BT709, _SPC_FCC, _SPC_BT470BG, _SPC_SMPTE170M, _SPC_SMPTE240M = 1, 4, 5, 6, 7
_SPC_BT2020_NCL, _SPC_BT2020_CL = 9, 10
_SD_LINES = 576
"""Untagged pictures up to this height are read as BT.601 (SD), taller ones as BT.709 (HD)."""

OUT_PRIMARIES = int(ColorPrimaries.BT709)
OUT_TRC = int(ColorTrc.BT709)
OUT_MATRIX = _SPC_BT709
OUT_RANGE = int(ColorRange.MPEG)
"""What every frame and stream livecut writes is, and is tagged as: BT.709, limited range."""

_REF_WHITE_NITS = 203.0
_HLG_PEAK_NITS = 1000.0
_HLG_GAMMA = 1.2
_EXPOSURE = 0.8
"""Reference white (1.0) is placed at 0.8 of SDR white before the roll-off."""
_KNEE = 0.6
"""Linear light below this is passed through unchanged; above it rolls off towards 1.0."""

_BT2020_TO_BT709 = np.array(
    [
        [1.660491, -0.587641, -0.072850],
        [-0.124550, 1.132900, -0.008349],
        [-0.018151, -0.100579, 1.118730],
    ],
    np.float32,
)
"""Linear-light RGB, BT.2020 primaries → BT.709 primaries (both D65; ITU-R BT.2087)."""
_BT2020_LUMA = np.array([0.2627, 0.6780, 0.0593], np.float32)


@dataclass(frozen=True)
class ColourTags:
    """A stream's colour description as FFmpeg reports it (``AVCOL_*`` values; 2 = unspecified)."""

    primaries: int = _UNSPECIFIED
    trc: int = _UNSPECIFIED
    matrix: int = _UNSPECIFIED
    range: int = int(ColorRange.UNSPECIFIED)

    def to_dict(self) -> dict[str, int]:
        return {"primaries": self.primaries, "trc": self.trc, "matrix": self.matrix, "range": self.range}


UNTAGGED = ColourTags()
"""A stream that says nothing about its colour."""


@dataclass(frozen=True)
class SourceColour:
    """How to read one source's pixels: its tags with the gaps filled by the usual guesses."""

    matrix: int
    """swscale matrix (``av.video.reformatter.Colorspace``) for the YUV → RGB step."""
    full_range: bool
    transfer: str
    """``sdr``, ``pq`` or ``hlg``."""
    wide_gamut: bool
    """True for BT.2020 primaries (converted to BT.709 in linear light)."""

    @property
    def range(self) -> int:
        return int(ColorRange.JPEG if self.full_range else ColorRange.MPEG)

    @property
    def is_output(self) -> bool:
        """True when the pixels already are what livecut writes (BT.709 limited-range SDR)."""
        return self.matrix == int(Colorspace.ITU709) and not self.full_range and not self.needs_linear

    @property
    def needs_linear(self) -> bool:
        """True when swscale's matrix conversion is not enough (gamut or transfer differ)."""
        return self.wide_gamut or self.transfer != "sdr"


def resolve(tags: ColourTags, pix_fmt: str, height: int) -> SourceColour:
    """Fill the gaps in ``tags`` for a ``pix_fmt`` picture ``height`` lines tall."""
    trc = tags.trc
    transfer = "pq" if trc == int(ColorTrc.SMPTE2084) else "hlg" if trc == int(ColorTrc.ARIB_STD_B67) else "sdr"
    if tags.matrix in (_SPC_BT2020_NCL, _SPC_BT2020_CL):
        matrix = int(Colorspace.BT2020)
    elif tags.matrix in (_SPC_BT470BG, _SPC_SMPTE170M):
        matrix = int(Colorspace.ITU601)
    elif tags.matrix == _SPC_BT709:
        matrix = int(Colorspace.ITU709)
    elif tags.matrix == _SPC_SMPTE240M:
        matrix = int(Colorspace.SMPTE240M)
    elif tags.matrix == _SPC_FCC:
        matrix = int(Colorspace.FCC)
    elif transfer != "sdr":
        matrix = int(Colorspace.BT2020)
    else:
        matrix = int(Colorspace.ITU601 if height <= _SD_LINES else Colorspace.ITU709)
    if tags.range in (int(ColorRange.MPEG), int(ColorRange.JPEG)):
        full = tags.range == int(ColorRange.JPEG)
    else:
        full = pix_fmt.startswith("yuvj")
    if tags.primaries in (_UNSPECIFIED, 0):
        wide = matrix == int(Colorspace.BT2020)
    else:
        wide = tags.primaries == int(ColorPrimaries.BT2020)
    return SourceColour(matrix, full, transfer, wide)


def tag_output(frame: av.VideoFrame) -> av.VideoFrame:
    """Tag ``frame`` as what livecut writes (BT.709 primaries, transfer and matrix; limited range)."""
    frame.color_primaries = OUT_PRIMARIES
    frame.color_trc = OUT_TRC
    frame.colorspace = OUT_MATRIX
    frame.color_range = OUT_RANGE
    return frame


def merged(frame: av.VideoFrame, probed: ColourTags) -> ColourTags:
    """The frame's own tags where it has them, the probed stream's elsewhere."""

    def pick(value: int, fallback: int, unknown: int) -> int:
        return int(value) if value not in (unknown, 0) else fallback

    return ColourTags(
        primaries=pick(frame.color_primaries, probed.primaries, _UNSPECIFIED),
        trc=pick(frame.color_trc, probed.trc, _UNSPECIFIED),
        matrix=pick(frame.colorspace, probed.matrix, _UNSPECIFIED),
        range=pick(frame.color_range, probed.range, int(ColorRange.UNSPECIFIED)),
    )


def set_encoder_tags(ctx: av.video.codeccontext.VideoCodecContext) -> None:
    """Make an encoder write the output colour description (H.264 VUI; the MP4 muxer's ``colr``)."""
    ctx.color_primaries = OUT_PRIMARIES
    ctx.color_trc = OUT_TRC
    ctx.colorspace = OUT_MATRIX
    ctx.color_range = OUT_RANGE


# -- transfer functions (numpy, float64 while building tables) -------------------------------------
def _oetf709(linear: np.ndarray) -> np.ndarray:
    x = np.clip(linear, 0.0, 1.0)
    out: np.ndarray = np.where(x < 0.018, 4.5 * x, 1.099 * np.power(x, 0.45) - 0.099)
    return out


def _inverse_oetf709(signal: np.ndarray) -> np.ndarray:
    v = np.clip(signal, 0.0, 1.0)
    out: np.ndarray = np.where(v < 0.081, v / 4.5, np.power((v + 0.099) / 1.099, 1 / 0.45))
    return out


def _pq_eotf(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084: code value 0..1 → display light in nits."""
    m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
    p = np.power(np.clip(signal, 0.0, 1.0), 1 / m2)
    out: np.ndarray = 10000.0 * np.power(np.maximum(p - c1, 0.0) / (c2 - c3 * p), 1 / m1)
    return out


def _hlg_inverse_oetf(signal: np.ndarray) -> np.ndarray:
    """ARIB STD-B67 / BT.2100 HLG: code value 0..1 → scene light 0..1."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    v = np.clip(signal, 0.0, 1.0)
    out: np.ndarray = np.where(v <= 0.5, v * v / 3.0, (np.exp((v - c) / a) + b) / 12.0)
    return out


@functools.lru_cache(maxsize=4)
def _input_table(transfer: str) -> np.ndarray:
    """16-bit code value → linear light (1.0 = SDR white, or reference white for HDR)."""
    code = np.arange(65536, dtype=np.float64) / 65535.0
    if transfer == "pq":
        linear = _pq_eotf(code) / _REF_WHITE_NITS
    elif transfer == "hlg":
        linear = _hlg_inverse_oetf(code)  # scene light; the OOTF needs luminance, applied later
    else:
        linear = _inverse_oetf709(code)
    return linear.astype(np.float32)


@functools.lru_cache(maxsize=1)
def _output_table() -> np.ndarray:
    """Linear light quantised to 16 bits → 16-bit BT.709 code value."""
    return np.round(_oetf709(np.arange(65536, dtype=np.float64) / 65535.0) * 65535.0).astype(np.uint16)


def tone_curve(x: np.ndarray) -> np.ndarray:
    """Display light (1.0 = reference white) → SDR linear light 0..1: linear, then a roll-off."""
    y = np.asarray(x, np.float32) * np.float32(_EXPOSURE)
    over = np.maximum(y - _KNEE, 0.0)
    headroom = 1.0 - _KNEE
    return np.where(y <= _KNEE, y, _KNEE + over / (1.0 + over / headroom)).astype(np.float32)


def to_bt709(rgb: np.ndarray, colour: SourceColour) -> np.ndarray:
    """Full-range 16-bit RGB (H×W×3, ``uint16``) in the source's primaries and transfer →
    16-bit BT.709 SDR RGB of the same shape."""
    linear = np.take(_input_table(colour.transfer), rgb)
    if colour.transfer == "hlg":  # BT.2100 OOTF: scene → display light for a 1000-nit display
        luma = linear @ _BT2020_LUMA
        gain = (_HLG_PEAK_NITS / _REF_WHITE_NITS) * np.power(np.maximum(luma, 1e-6), _HLG_GAMMA - 1.0)
        linear *= gain[..., None]
    if colour.wide_gamut:
        linear = linear @ _BT2020_TO_BT709.T
        np.maximum(linear, 0.0, out=linear)
    if colour.transfer != "sdr":
        peak = np.max(linear, axis=-1)
        ratio = tone_curve(peak) / np.maximum(peak, 1e-6)
        linear *= ratio[..., None]
    np.clip(linear, 0.0, 1.0, out=linear)
    index = (linear * 65535.0 + 0.5).astype(np.uint16)
    return np.take(_output_table(), index)


__all__ = [
    "OUT_MATRIX",
    "OUT_PRIMARIES",
    "OUT_RANGE",
    "OUT_TRC",
    "UNTAGGED",
    "ColourTags",
    "SourceColour",
    "merged",
    "resolve",
    "set_encoder_tags",
    "tag_output",
    "to_bt709",
    "tone_curve",
]
