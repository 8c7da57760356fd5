"""Colour: every source flavour comes out as BT.709 limited range, converted and tagged.

Sources are colour bars encoded exactly (numpy, no swscale) into lossless FFV1, tagged as each
flavour says; outputs are decoded with numpy using the tags the output carries, so neither end
borrows swscale's idea of a colour space. Bars are compared by their mean over a bar's centre
(the H.264 coding noise averages out), within 2 levels as the issue asks.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.cells.encode import PreviewProfile, encode_run
from core.export.segments import ExportProfile, ExportSegment, encode_segments
from core.media import colour
from core.media.frames import iter_project_frames
from core.media.info import probe

BARS = np.array(
    [[191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191], [16, 16, 16]],
    np.float64,
)
"""75 % SMPTE-style bars (white, yellow, cyan, green, magenta, red, blue) and a near-black."""
_KR_KB = {1: (0.2126, 0.0722), 6: (0.299, 0.114), 9: (0.2627, 0.0593)}
FPS = Fraction(25)


def _encode_planes(rgb: np.ndarray, matrix: int, full: bool, bits: int) -> list[np.ndarray]:
    """Exact Y'CbCr 4:2:0 planes of non-linear RGB 0..1 (H×W×3)."""
    kr, kb = _KR_KB[matrix]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = kr * r + (1 - kr - kb) * g + kb * b
    cb, cr = (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))
    scale, top = 1 << (bits - 8), (1 << bits) - 1
    if full:
        planes = [y * top, cb * top + 128 * scale, cr * top + 128 * scale]
    else:
        planes = [(16 + 219 * y) * scale, (128 + 224 * cb) * scale, (128 + 224 * cr) * scale]
    h, w = y.shape
    planes[1:] = [p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)) for p in planes[1:]]
    return [np.clip(np.round(p), 0, top) for p in planes]


def _frame(planes: list[np.ndarray], fmt: str) -> av.VideoFrame:
    h, w = planes[0].shape
    frame = av.VideoFrame(w, h, fmt)
    dtype = np.uint16 if fmt.endswith("10le") else np.uint8
    for plane, values in zip(frame.planes, planes, strict=True):
        view = np.frombuffer(memoryview(plane), dtype).reshape(plane.height, -1)
        view[:, : values.shape[1]] = values.astype(dtype)
    return frame


def _write_source(path: Path, rgb: np.ndarray, tags: colour.ColourTags, coded_matrix: int, bits: int) -> None:
    fmt = "yuv420p10le" if bits == 10 else "yuv420p"
    full = tags.range == 2
    frame = _frame(_encode_planes(rgb, coded_matrix, full, bits), fmt)
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = frame.width, frame.height, fmt
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = (
            tags.primaries,
            tags.trc,
            tags.matrix,
            tags.range,
        )
        for i in range(3):
            frame.pts = i
            frame.color_primaries, frame.color_trc = tags.primaries, tags.trc
            frame.colorspace, frame.color_range = tags.matrix, tags.range
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _bars_rgb(width: int, height: int, bars: np.ndarray) -> np.ndarray:
    return np.repeat(np.repeat(bars[None], height, 0), width // len(bars), 1)


def _decode_709(frame: av.VideoFrame) -> np.ndarray:
    """8-bit-scale RGB of a yuv420p frame read as BT.709 limited range (its tags), numpy only."""
    assert (frame.colorspace, frame.color_range) == (1, 1)
    h, w = frame.height, frame.width
    data = frame.to_ndarray().astype(np.float64)
    y = (data[:h] - 16) / 219
    cb = (data[h : h + h // 4].reshape(h // 2, w // 2).repeat(2, 0).repeat(2, 1) - 128) / 224
    cr = (data[h + h // 4 :].reshape(h // 2, w // 2).repeat(2, 0).repeat(2, 1) - 128) / 224
    kr, kb = _KR_KB[1]
    r, b = y + 2 * (1 - kr) * cr, y + 2 * (1 - kb) * cb
    g = (y - kr * r - kb * b) / (1 - kr - kb)
    return np.stack([r, g, b], -1) * 255


def _bar_means(rgb: np.ndarray, count: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    bar = w / count
    return np.array(
        [
            rgb[h // 4 : 3 * h // 4, int(i * bar + bar / 4) : int(i * bar + 3 * bar / 4)].mean(axis=(0, 1))
            for i in range(count)
        ]
    )


def _hdr_expected(source_rgb: np.ndarray, transfer: str) -> np.ndarray:
    """What the documented model makes of bars given as non-linear BT.2020 RGB 0..1."""
    code = np.round(source_rgb * 65535).astype(np.uint16)
    out = colour.to_bt709(code, colour.SourceColour(9, False, transfer, True))
    return out.astype(np.float64) / 65535 * 255


def _bt709_to_bt2020_signal(bars: np.ndarray) -> np.ndarray:
    """The same colours as BT.709 ``bars`` (8-bit), as non-linear BT.2020 RGB 0..1."""
    v = bars / 255
    linear = np.where(v < 0.081, v / 4.5, ((v + 0.099) / 1.099) ** (1 / 0.45))
    to2020 = np.linalg.inv(colour._BT2020_TO_BT709.astype(np.float64))
    wide = np.clip(linear @ to2020.T, 0, 1)
    return np.where(wide < 0.018, 4.5 * wide, 1.099 * wide**0.45 - 0.099)


# name: (size, tags, matrix the pixels are coded with, bits, signal bars 0..1, expected 8-bit bars)
SDR_FLAVOURS = {
    "bt709-limited": ((640, 360), colour.ColourTags(1, 1, 1, 1), 1, 8),
    "bt709-full": ((640, 360), colour.ColourTags(1, 1, 1, 2), 1, 8),
    "bt601-sd": ((320, 240), colour.ColourTags(6, 6, 6, 1), 6, 8),
    "untagged-sd": ((320, 240), colour.ColourTags(), 6, 8),
    "untagged-hd": ((1280, 720), colour.ColourTags(), 1, 8),
    "bt2020-10bit": ((640, 360), colour.ColourTags(9, 14, 9, 1), 9, 10),
}


def _make(tmp_path: Path, name: str) -> tuple[Path, np.ndarray]:
    """A source of the named flavour and the 8-bit BT.709 bars it should come out as."""
    if name in SDR_FLAVOURS:
        (w, h), tags, matrix, bits = SDR_FLAVOURS[name]
        signal = _bt709_to_bt2020_signal(BARS) if tags.primaries == 9 else BARS / 255
        expected = BARS
    else:
        (w, h), bits, matrix = (640, 360), 10, 9
        tags = colour.ColourTags(9, 18 if name == "hlg" else 16, 9, 1)
        hdr = np.array(
            [
                [0.75] * 3,
                [0.75, 0.75, 0],
                [0, 0.75, 0.75],
                [0, 0.75, 0],
                [0.75, 0, 0.75],
                [0.75, 0, 0],
                [0, 0, 0.75],
                [0.5] * 3,
            ]
        )
        signal = hdr if name == "hlg" else hdr * 0.78  # PQ 0.58 ≈ 203 nits, reference white
        expected = _bar_means(_hdr_expected(_bars_rgb(w, h, signal), name), len(BARS))
    path = tmp_path / f"{name}.mkv"
    _write_source(path, _bars_rgb(w, h, signal), tags, matrix, bits)
    return path, expected


ALL = [*SDR_FLAVOURS, "hlg", "pq"]


@pytest.mark.parametrize("name", ALL)
def test_frames_come_out_bt709_limited(tmp_path: Path, name: str) -> None:
    path, expected = _make(tmp_path, name)
    info = probe(path)
    assert info.video is not None
    canvas = (info.video.width, info.video.height)
    _, frame = next(iter_project_frames(info, 0, 1, FPS, canvas))
    assert (frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range) == (1, 1, 1, 1)
    got = _bar_means(_decode_709(frame), len(BARS))
    assert np.abs(got - expected).max() <= 2, (name, got.round(1).tolist())


def _decoded(data: bytes) -> av.VideoFrame:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        assert (ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range) == (1, 1, 1, 1)
        return next(container.decode(stream))


def _ffprobe_tags(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=color_range,color_space,color_transfer,color_primaries", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out)["streams"][0])


_TAGGED = {"color_range": "tv", "color_space": "bt709", "color_transfer": "bt709", "color_primaries": "bt709"}


@pytest.mark.parametrize("name", ALL)
def test_preview_cells_and_export_segments_are_converted_and_tagged(tmp_path: Path, name: str) -> None:
    path, expected = _make(tmp_path, name)
    info = probe(path)
    assert info.video is not None
    shrink = 2 if info.video.width > 640 else 1
    size = (info.video.width // shrink, info.video.height // shrink)  # same aspect: no letterbox
    profile = PreviewProfile(*size, FPS, crf=18)
    [(_, cell)] = list(encode_run(info, 0, 0, 2, profile))
    export = ExportProfile(*size, FPS, crf=16)
    [(_, segment)] = list(encode_segments([ExportSegment("k", "m", 0, 2, 0)], {"m": info}, export))
    for label, data in (("cell", cell), ("segment", segment)):
        assert b"colrnclx\x00\x01\x00\x01\x00\x01\x00" in data, label  # nclx 1/1/1, limited range
        got = _bar_means(_decode_709(_decoded(data)), len(BARS))
        assert np.abs(got - expected).max() <= 2, (name, label, got.round(1).tolist())
        if shutil.which("ffprobe"):
            written = tmp_path / f"{label}.mp4"
            written.write_bytes(data)
            assert _ffprobe_tags(written) == _TAGGED


def test_hlg_is_tone_mapped_sensibly() -> None:
    """Reference white (HLG 75 %) lands near SDR white without clipping; hues stay put."""
    grey = np.full((1, 4, 3), 0.75)
    grey[0, 1] = 0.5
    grey[0, 2] = [0.75, 0, 0]
    grey[0, 3] = 1.0
    out = _hdr_expected(grey, "hlg")[0]
    assert 200 <= out[0, 0] <= 235  # reference white: bright, below full white
    assert out[1, 0] < out[0, 0] < out[3, 0] <= 255  # monotone, highlights above reference white
    assert out[2, 0] > 150 and out[2, 1] < 5 and out[2, 2] < 5  # red stays red


SHARED = Path(__file__).resolve().parents[3] / "shared" / "media" / "roadtrip_vp9_profile2_10bit_23.976.webm"


@pytest.mark.skipif(not SHARED.exists(), reason="shared real-world media not present")
def test_real_10bit_bt2020_file_is_read_as_tagged() -> None:
    info = probe(SHARED)
    assert info.video is not None
    assert info.video.colour.matrix == 9 and info.video.colour.range == 1
    resolved = colour.resolve(info.video.colour, info.video.pix_fmt, info.video.height)
    assert resolved.wide_gamut and resolved.transfer == "sdr" and not resolved.full_range
    frames = list(iter_project_frames(info, 0, 3, Fraction(24000, 1001), (426 // 2 * 2, 240)))
    assert len(frames) == 3
    assert all((f.colorspace, f.color_range, f.color_primaries, f.color_trc) == (1, 1, 1, 1) for _, f in frames)
