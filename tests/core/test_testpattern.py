"""Test frames must say which frame they are after encoding, scaling and rotation, and the
generated sources must be exactly what ``make_source`` claims."""

from __future__ import annotations

import io
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.errors import Cancelled, MediaError
from core.synthetic.testpattern import CODE_BITS, draw_frame, make_source, read_index


def _decode(path: Path | io.BytesIO) -> list[av.VideoFrame]:
    with av.open(path if isinstance(path, io.BytesIO) else str(path)) as container:
        return list(container.decode(video=0))


def _rgb(frame: av.VideoFrame, size: tuple[int, int] | None = None, interpolation: str | None = None) -> np.ndarray:
    width, height = size if size else (frame.width, frame.height)
    return frame.reformat(width=width, height=height, format="rgb24", interpolation=interpolation).to_ndarray()


def _encode_intra(pictures: list[np.ndarray], crf: int = 28) -> io.BytesIO:
    """All-intra x264 at the pictures' size, like a preview cell."""
    buf = io.BytesIO()
    height, width = pictures[0].shape[:2]
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 1
        stream.codec_context.options = {"preset": "ultrafast", "crf": str(crf)}
        for i, picture in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    buf.seek(0)
    return buf


def _streams(path: Path) -> list[tuple[str, str]]:
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name) for s in container.streams]


def _audio(path: Path) -> tuple[np.ndarray, int]:
    """All decoded samples of the first channel, and the sample rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray()[0] for frame in container.decode(stream)]
        return np.concatenate(chunks), stream.rate


# -- drawing and reading ------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (640, 360), (161, 121), (64, 48), (20, 8)])
def test_draw_frame_is_rgb_of_the_asked_size_and_deterministic(width: int, height: int) -> None:
    frame = draw_frame(7, width, height, label="clip a")
    assert frame.shape == (height, width, 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, draw_frame(7, width, height, label="clip a"))
    assert read_index(frame) == 7


@pytest.mark.parametrize("index", [0, 1, 2, 9, 255, 256, 1000, 4095, 12345, 65534, 65535])
@pytest.mark.parametrize(("width", "height"), [(640, 360), (320, 240), (96, 54)])
def test_read_index_reads_what_was_drawn(index: int, width: int, height: int) -> None:
    assert read_index(draw_frame(index, width, height)) == index


def test_code_carries_the_index_modulo_2_to_the_16() -> None:
    assert read_index(draw_frame(1 << CODE_BITS, 160, 120)) == 0
    assert read_index(draw_frame(70_000, 160, 120)) == 70_000 % 65536


def test_picture_moves_with_the_index_unless_told_not_to() -> None:
    def edge(frame: np.ndarray) -> np.ndarray:  # a strip left of the digits, under the square
        return frame[120:140, 0:20]

    assert not np.array_equal(edge(draw_frame(1, 640, 360)), edge(draw_frame(2, 640, 360)))
    still = [draw_frame(i, 640, 360, moving=False) for i in (1, 2, 90)]
    assert all(np.array_equal(edge(still[0]), edge(other)) for other in still[1:])
    assert not np.array_equal(still[0], still[1])  # the digits and the code still change


def test_label_is_drawn() -> None:
    plain, labelled = draw_frame(3, 640, 360), draw_frame(3, 640, 360, label="Hello 42")
    top = slice(0, 40)
    assert not np.array_equal(plain[top], labelled[top])
    assert np.array_equal(plain[200:], labelled[200:])


@pytest.mark.parametrize(
    "picture",
    [
        np.zeros((360, 640, 3), np.uint8),
        np.full((360, 640, 3), 255, np.uint8),
        np.full((360, 640, 3), 128, np.uint8),
        np.random.default_rng(1).integers(0, 256, (360, 640, 3), dtype=np.uint8),
        np.random.default_rng(2).integers(0, 256, (54, 96, 3), dtype=np.uint8),
        np.rot90(draw_frame(77, 640, 360), 2).copy(),  # upside down, read without saying so
        np.zeros((4, 4, 3), np.uint8),
    ],
    ids=["black", "white", "grey", "noise", "small-noise", "upside-down", "tiny"],
)
def test_read_index_says_none_when_there_is_no_code(picture: np.ndarray) -> None:
    assert read_index(picture) is None


def test_read_index_rejects_noise_frames_reliably() -> None:
    rng = np.random.default_rng(3)
    frames = (rng.integers(0, 256, (54, 96, 3), dtype=np.uint8) for _ in range(300))
    assert all(read_index(frame) is None for frame in frames)


def test_a_single_flipped_cell_is_caught_by_the_check_bits() -> None:
    frame = draw_frame(12345, 400, 200)
    for cell in range(2, 20):  # every data and check cell; the start cells set the levels
        damaged = frame.copy()
        band = damaged[175:, cell * 20 : (cell + 1) * 20]
        band[...] = 255 - band
        assert read_index(damaged) is None, cell


@pytest.mark.parametrize("rotation", [0, 90, 180, 270, -90, -180])
def test_read_index_undoes_a_display_rotation(rotation: int) -> None:
    drawn = draw_frame(321, 320, 180)
    shown = np.rot90(drawn, k=rotation // 90)
    assert read_index(shown, rotation=rotation) == 321


def test_read_index_accepts_luma_and_rgba() -> None:
    frame = draw_frame(99, 320, 180)
    assert read_index(frame.mean(axis=2).astype(np.uint8)) == 99
    assert read_index(np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])) == 99


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="rotation"):
        read_index(draw_frame(1, 64, 48), rotation=45)
    with pytest.raises(ValueError, match="shape"):
        read_index(np.zeros(10, np.uint8))
    with pytest.raises(ValueError, match=">= 0"):
        draw_frame(-1, 64, 48)
    with pytest.raises(ValueError, match="at least"):
        draw_frame(0, 10, 10)


# -- round trips through real codecs --------------------------------------------------------------


@pytest.mark.parametrize("gop", [1, 25], ids=["all-intra", "gop25-bframes"])
def test_every_frame_survives_x264_then_preview_scaling_then_intra_reencode(tmp_path: Path, gop: int) -> None:
    source = make_source(tmp_path / "s.mp4", frames=50, width=640, height=360, fps=25, gop=gop, crf=28, audio=False)
    frames = _decode(source)
    assert len(frames) == 50
    assert [read_index(_rgb(f)) for f in frames] == list(range(50))
    for size in [(192, 108), (96, 54)]:
        small = [_rgb(f, size) for f in frames]
        assert [read_index(p) for p in small] == list(range(50)), size
        again = [_rgb(f) for f in _decode(_encode_intra(small))]
        assert [read_index(p) for p in again] == list(range(50)), size


@pytest.fixture(scope="module")
def hd_frames(tmp_path_factory: pytest.TempPathFactory) -> list[av.VideoFrame]:
    folder = tmp_path_factory.mktemp("hd")
    return _decode(make_source(folder / "hd.mp4", frames=8, width=1920, height=1080, fps=30, crf=28, audio=False))


@pytest.mark.parametrize("interpolation", ["BILINEAR", "BICUBIC", "AREA", "POINT"])
def test_1080p_frames_read_back_at_96_px_wide(hd_frames: list[av.VideoFrame], interpolation: str) -> None:
    frames = hd_frames
    small = [_rgb(f, (96, 54), interpolation) for f in frames]
    assert [read_index(p) for p in small] == list(range(8))
    again = [_rgb(f) for f in _decode(_encode_intra(small))]
    assert [read_index(p) for p in again] == list(range(8))


# -- make_source ------------------------------------------------------------------------------------


def test_default_source_is_a_small_camera_like_mp4(tmp_path: Path) -> None:
    path = make_source(tmp_path / "a.mp4")
    assert path == tmp_path / "a.mp4"
    assert _streams(path) == [("video", "h264"), ("audio", "aac")]
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.average_rate, video.frames) == (Fraction(25), 40)
        assert container.duration is not None and abs(container.duration / 1e6 - 1.6) < 0.01
    frames = _decode(path)
    assert (frames[0].width, frames[0].height, frames[0].format.name) == (160, 120, "yuv420p")
    assert [read_index(_rgb(f)) for f in frames] == list(range(40))
    assert any(f.pict_type == av.video.frame.PictureType.B for f in frames)
    assert [i for i, f in enumerate(frames) if f.key_frame] == [0]  # gop defaults to 2 s = 50


@pytest.mark.parametrize(("gop", "keys"), [(1, list(range(12))), (5, [0, 5, 10])])
def test_gop_sets_the_keyframes(tmp_path: Path, gop: int, keys: list[int]) -> None:
    frames = _decode(make_source(tmp_path / "g.mp4", frames=12, gop=gop, audio=False))
    assert [i for i, f in enumerate(frames) if f.key_frame] == keys
    if gop == 1:
        assert all(f.pict_type == av.video.frame.PictureType.I for f in frames)


@pytest.mark.parametrize(
    ("name", "kwargs", "streams", "pix_fmt"),
    [
        ("m.mkv", {"fps": "24000/1001"}, [("video", "h264"), ("audio", "aac")], "yuv420p"),
        ("w.webm", {}, [("video", "vp8"), ("audio", "opus")], "yuv420p"),
        ("p.mp4", {"codec": "mpeg4"}, [("video", "mpeg4"), ("audio", "aac")], "yuv420p"),
        ("j.mkv", {"codec": "mjpeg"}, [("video", "mjpeg"), ("audio", "aac")], "yuvj420p"),
        ("v.mp4", {"audio": False}, [("video", "h264")], "yuv420p"),
        ("odd.mp4", {"width": 161, "height": 121}, [("video", "h264"), ("audio", "aac")], "yuv444p"),
        ("odd.mkv", {"width": 161, "height": 121, "codec": "mpeg4"}, [("video", "mpeg4"), ("audio", "aac")], "yuv420p"),
    ],
)
def test_source_variants_are_what_they_claim(
    tmp_path: Path, name: str, kwargs: dict, streams: list[tuple[str, str]], pix_fmt: str
) -> None:
    args = {"frames": 20, "width": 160, "height": 120, "fps": 25, **kwargs}
    path = make_source(tmp_path / name, **args)
    assert _streams(path) == streams
    with av.open(str(path)) as container:
        assert container.streams.video[0].average_rate == Fraction(args["fps"])
    frames = _decode(path)
    assert len(frames) == 20
    assert {(f.width, f.height, f.format.name) for f in frames} == {(args["width"], args["height"], pix_fmt)}
    assert [read_index(_rgb(f)) for f in frames] == list(range(20))


def test_audio_only_source_has_no_video_stream(tmp_path: Path) -> None:
    path = make_source(tmp_path / "s.m4a", frames=25, fps=25, video=False, tone_hz=1000.0)
    assert _streams(path) == [("audio", "aac")]
    samples, rate = _audio(path)
    assert abs(len(samples) - rate) < 1024  # one second, give or take the last AAC frame


@pytest.mark.parametrize(("tone_hz", "sample_rate", "channels"), [(440.0, 48000, 2), (1000.0, 44100, 1)])
def test_audio_is_a_continuous_tone_as_long_as_the_video(
    tmp_path: Path, tone_hz: float, sample_rate: int, channels: int
) -> None:
    path = make_source(
        tmp_path / "t.mp4", frames=30, fps=30, tone_hz=tone_hz, sample_rate=sample_rate, channels=channels
    )
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert (stream.rate, stream.channels) == (sample_rate, channels)
    samples, rate = _audio(path)
    assert sample_rate <= len(samples) < sample_rate + 1024
    spectrum = np.abs(np.fft.rfft(samples[:rate]))
    assert abs(np.argmax(spectrum) - tone_hz) <= 2  # 1 Hz bins over one second
    body = samples[2048 : rate - 2048]
    windows = body[: len(body) // 64 * 64].reshape(-1, 64)  # longer than half of any tone's period
    assert 0.2 < np.abs(windows).max() < 0.3
    assert np.abs(windows).max(axis=1).min() > 0.1  # no gap anywhere: the tone is continuous


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_is_a_display_matrix_not_rotated_pixels(tmp_path: Path, rotation: int) -> None:
    path = make_source(tmp_path / "r.mp4", frames=5, width=160, height=96, rotation=rotation, audio=False)
    frames = _decode(path)
    assert {f.rotation % 360 for f in frames} == {rotation}
    assert (frames[0].width, frames[0].height) == (160, 96)
    assert [read_index(_rgb(f)) for f in frames] == list(range(5))
    shown = [np.rot90(_rgb(f), k=f.rotation // 90) for f in frames]
    assert [read_index(p, rotation=f.rotation) for p, f in zip(shown, frames, strict=True)] == list(range(5))


def test_rotation_survives_in_matroska(tmp_path: Path) -> None:
    frames = _decode(make_source(tmp_path / "r.mkv", frames=3, rotation=90, audio=False))
    assert {f.rotation for f in frames} == {90}


def test_vfr_timestamps_are_kept(tmp_path: Path) -> None:
    stamps = [0, 33, 70, 100, 200, 233]
    path = make_source(tmp_path / "v.mp4", frames=6, fps=30, vfr_timestamps=stamps)
    frames = _decode(path)
    assert [round(float(f.time) * 1000) for f in frames] == stamps
    assert [read_index(_rgb(f)) for f in frames] == list(range(6))
    coarse = make_source(tmp_path / "v2.mkv", frames=3, fps=25, vfr_timestamps=[0, 1, 5], time_base=Fraction(1, 25))
    assert [f.time for f in _decode(coarse)] == [0, 0.04, 0.2]


def test_sources_are_deterministic(tmp_path: Path) -> None:
    for suffix in (".mp4", ".mkv"):
        first = make_source(tmp_path / f"1{suffix}", frames=15).read_bytes()
        second = make_source(tmp_path / f"2{suffix}", frames=15).read_bytes()
        assert first == second, suffix


def test_rewrite_replaces_the_file_and_leaves_no_temporaries(tmp_path: Path) -> None:
    path = make_source(tmp_path / "a.mp4", frames=10, audio=False)
    make_source(path, frames=12, audio=False)
    assert len(_decode(path)) == 12
    assert [p.name for p in tmp_path.iterdir()] == ["a.mp4"]


def test_cancel_stops_and_leaves_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        make_source(tmp_path / "a.mp4", frames=10, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_destination_is_a_media_error_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "a.mp4"
    with pytest.raises(MediaError, match=r"a\.mp4"):
        make_source(target, frames=3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"frames": 0},
        {"fps": 0},
        {"gop": 0},
        {"rotation": 45},
        {"video": False, "audio": False},
        {"frames": 3, "vfr_timestamps": [0, 10]},
        {"frames": 3, "vfr_timestamps": [0, 10, 10]},
        {"channels": 6},
        {"fps": 30, "time_base": Fraction(1, 25)},
    ],
)
def test_bad_source_arguments_are_refused(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_source(tmp_path / "x.mp4", **kwargs)
    assert list(tmp_path.iterdir()) == []
