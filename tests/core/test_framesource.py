"""Project frames from a source: the timestamp rule, seeking, rotation, fitting, cancel, errors."""

from __future__ import annotations

import random
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.errors import Cancelled, MediaError
from core.media.frames import DecodeStats, Fit, fit_picture, iter_project_frames
from core.media.info import MediaInfo, probe
from core.synthetic.testpattern import make_source, read_index
from tests.conftest import SHARED_MEDIA

FPS30 = Fraction(30)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MediaInfo]:
    """Small sources whose frames carry their index (see ``core.synthetic.testpattern``)."""
    d = tmp_path_factory.mktemp("framesource")
    made = {
        "cfr": make_source(d / "cfr.mp4", frames=48, width=160, height=120, fps=30, gop=12, audio=False),
        "pal": make_source(d / "pal.mp4", frames=50, width=160, height=120, fps=25, gop=25, audio=False),
        "long": make_source(d / "long.mp4", frames=240, width=160, height=120, fps=30, gop=30, audio=False),
        "vfr": make_source(
            d / "vfr.mp4",
            frames=8,
            width=160,
            height=120,
            fps=30,
            audio=False,
            vfr_timestamps=[0, 33, 80, 100, 167, 170, 250, 300],
        ),
        "rot90": make_source(d / "rot90.mp4", frames=12, width=160, height=120, fps=30, rotation=90, audio=False),
        "rot180": make_source(d / "rot180.mp4", frames=12, width=160, height=120, fps=30, rotation=180, audio=False),
        "onekey": make_source(
            d / "onekey.ts", frames=90, width=160, height=120, fps=30, codec="mpeg2video", gop=1000, audio=False
        ),
    }
    return {name: probe(path) for name, path in made.items()}


def indices(
    info: MediaInfo,
    first: int,
    stop: int,
    fps: Fraction = FPS30,
    canvas: tuple[int, int] = (160, 120),
    stats: DecodeStats | None = None,
) -> list[int | None]:
    """The index each project frame shows, read from its content area (bars cropped off)."""
    assert info.video is not None
    fit = fit_picture(info.video.width, info.video.height, Fraction(1), info.video.rotation, canvas)
    w, h = fit.scaled if fit.rotation in (0, 180) else fit.scaled[::-1]
    x, y = fit.offset
    ccw = -info.video.rotation % 360
    out: list[int | None] = []
    for n, frame in iter_project_frames(info, first, stop, fps, canvas, stats=stats):
        assert n == first + len(out)
        assert (frame.width, frame.height, frame.format.name) == (*canvas, "yuv420p")
        out.append(read_index(frame.to_ndarray(format="rgb24")[y : y + h, x : x + w], rotation=ccw))
    return out


def test_same_rate_shows_each_frame_once(sources: dict[str, MediaInfo]) -> None:
    assert indices(sources["cfr"], 0, 48) == list(range(48))
    assert indices(sources["cfr"], 17, 30) == list(range(17, 30))


def test_past_the_end_holds_the_last_frame(sources: dict[str, MediaInfo]) -> None:
    assert indices(sources["cfr"], 44, 52) == [44, 45, 46, 47, 47, 47, 47, 47]


def test_25_fps_source_in_30_fps_project_follows_timestamps(sources: dict[str, MediaInfo]) -> None:
    # Frame n (at n/30 s) shows the last source frame i with i/25 <= n/30: i = floor(25n/30).
    expected = [n * 25 // 30 for n in range(60)]
    assert indices(sources["pal"], 0, 60) == expected
    assert indices(sources["pal"], 31, 47) == expected[31:47]  # after a seek


def test_30_fps_project_at_ntsc_rate(sources: dict[str, MediaInfo]) -> None:
    ntsc = Fraction(30000, 1001)
    expected = [min(47, (n * 1001 * 30) // 30000) for n in range(48)]
    assert indices(sources["cfr"], 0, 48, fps=ntsc) == expected


def test_vfr_source_shows_last_frame_at_or_before_each_instant(sources: dict[str, MediaInfo]) -> None:
    stamps_ms = [0, 33, 80, 100, 167, 170, 250, 300]
    # ε: 1/8 of the shorter frame period, here the project's (the source's median interval is 47 ms).
    epsilon = Fraction(1, 30) / 8

    def shown(n: int) -> int:
        return max(i for i, ms in enumerate(stamps_ms) if Fraction(ms, 1000) <= Fraction(n, 30) + epsilon)

    frames = sources["vfr"].frames_at(FPS30)
    expected = [shown(n) for n in range(frames)]
    # 80 ms is first shown at 100 ms (frame 3); 167 ms and 170 ms are both within ε of 166.7 ms
    # (frame 5), where the later of the two is shown.
    assert expected[:8] == [0, 1, 1, 3, 3, 5, 5, 5]
    assert indices(sources["vfr"], 0, frames) == expected
    assert indices(sources["vfr"], 5, frames) == expected[5:]


def test_millisecond_rounded_pts_are_not_shown_a_frame_late(tmp_path: Path) -> None:
    # Matroska stores 29.97 fps frame times rounded to 1 ms: frame 2 is stored at 67 ms, after
    # the 66.73 ms instant of project frame 2. Half a tick of tolerance keeps the mapping 1:1.
    ntsc = Fraction(30000, 1001)
    info = probe(make_source(tmp_path / "ms.webm", frames=30, width=160, height=120, fps=ntsc, audio=False))
    assert indices(info, 0, 30, fps=ntsc) == list(range(30))


def test_one_seek_then_decode_forward(sources: dict[str, MediaInfo]) -> None:
    stats = DecodeStats()
    first, stop = 95, 185  # three 30-frame cells starting mid-GOP
    assert indices(sources["long"], first, stop, stats=stats) == list(range(first, stop))
    needed = stop - first
    gop = 30
    assert stats.frames_decoded <= 1.05 * needed + gop
    assert stats.seeks == 1 and stats.restarts == 0 and stats.frames_shown == needed


def test_single_keyframe_ts_falls_back_to_decoding_from_the_start(sources: dict[str, MediaInfo]) -> None:
    stats = DecodeStats()
    assert indices(sources["onekey"], 60, 70, stats=stats) == list(range(60, 70))
    assert stats.restarts == 1


@pytest.mark.parametrize(("name", "canvas"), [("rot90", (320, 240)), ("rot180", (160, 120))])
def test_rotation_is_applied(sources: dict[str, MediaInfo], name: str, canvas: tuple[int, int]) -> None:
    info = sources[name]
    assert indices(info, 0, 12, canvas=canvas) == list(range(12))
    # The pattern is asymmetric: read without undoing the rotation, nothing decodes.
    frame = next(iter_project_frames(info, 3, 4, FPS30, canvas))[1]
    assert read_index(frame.to_ndarray(format="rgb24"), rotation=0) is None


def test_rotation_90_pillarboxes_a_portrait_picture(sources: dict[str, MediaInfo]) -> None:
    _, frame = next(iter_project_frames(sources["rot90"], 0, 1, FPS30, (320, 240)))
    luma = frame.to_ndarray(format="gray")
    fit = fit_picture(160, 120, Fraction(1), 270, (320, 240))
    assert fit.scaled == (240, 180) and fit.offset == (70, 0)  # shown 180x240, centred
    assert luma[:, :68].max() <= 20 and luma[:, 252:].max() <= 20  # black bars
    assert luma[:, 70:250].mean() > 40


def test_fit_picture_geometry() -> None:
    same = fit_picture(1920, 1080, Fraction(1), 0, (960, 540))
    assert same == Fit((960, 540), (0, 0), 0, (960, 540)) and same.direct
    odd = fit_picture(161, 121, Fraction(1), 0, (160, 90))  # ~4:3 in 16:9: pillarboxed, even sizes
    assert odd == Fit((120, 90), (20, 0), 0, (160, 90))
    anamorphic = fit_picture(720, 480, Fraction(32, 27), 0, (854, 480))  # 16:9 DVD fills the canvas
    assert anamorphic.scaled == (854, 480)
    portrait = fit_picture(1920, 1080, Fraction(1), 90, (960, 540))  # shown 304x540, scaled before rotating
    assert portrait == Fit((540, 304), (328, 0), 90, (960, 540)) and not portrait.direct


def test_letterbox_bars_are_black_and_limited_range(sources: dict[str, MediaInfo]) -> None:
    _, frame = next(iter_project_frames(sources["cfr"], 0, 1, FPS30, (320, 120)))
    y, u, v = (np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width] for p in frame.planes)
    assert (y[:, :80] == 16).all() and (u[:, :40] == 128).all() and (v[:, 120:] == 128).all()


def test_cancel_stops_within_one_frame(sources: dict[str, MediaInfo]) -> None:
    cancel = threading.Event()
    stats = DecodeStats()
    frames = iter_project_frames(sources["long"], 0, 240, FPS30, (160, 120), cancel, stats)
    for n, _ in frames:
        if n == 10:
            cancel.set()
            break
    with pytest.raises(Cancelled):
        next(frames)
    assert stats.frames_shown == 11


def test_cancel_before_start_yields_nothing(sources: dict[str, MediaInfo]) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        next(iter_project_frames(sources["cfr"], 0, 10, FPS30, (160, 120), cancel))


def test_bad_arguments(sources: dict[str, MediaInfo]) -> None:
    with pytest.raises(ValueError, match="canvas"):
        next(iter_project_frames(sources["cfr"], 0, 1, FPS30, (161, 120)))
    assert list(iter_project_frames(sources["cfr"], 5, 5, FPS30, (160, 120))) == []


def test_missing_file_is_a_media_error(sources: dict[str, MediaInfo], tmp_path: Path) -> None:
    info = sources["cfr"]
    gone = MediaInfo(tmp_path / "gone.mp4", info.size_bytes, info.container, info.duration, info.video, None)
    with pytest.raises(MediaError, match=r"gone\.mp4"):
        next(iter_project_frames(gone, 0, 1, FPS30, (160, 120)))


def test_damaged_packet_is_concealed_not_fatal() -> None:
    """Issue 10 defect 4: one invalid NAL unit loses one frame (held from the last good one)."""
    path = SHARED_MEDIA / "bear_h264_invalid_nalu_CORRUPT.mp4"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    info = probe(path)
    stats = DecodeStats()
    out = list(iter_project_frames(info, 0, 30, info.video.fps if info.video else FPS30, (160, 106), stats=stats))
    assert [n for n, _ in out] == list(range(30))
    assert stats.concealed == 1 and stats.frames_decoded == 29
    assert len({id(f) for _, f in out}) == 29  # the lost frame's slot repeats its neighbour


@pytest.mark.parametrize(
    "name",
    [
        "bbb_mpeg2_mp2_1080p24.ts",
        "hevc_854x480_bframes_elst.mp4",
        "pixel7_h264_1080p_vfr_rot180_videoonly.mp4",
        "trim_optimization_failure_h264_518x488_odd_dims.mp4",
    ],
)
def test_real_media_seek_gives_the_same_frames_as_decoding_from_the_start(name: str) -> None:
    path = SHARED_MEDIA / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    info = probe(path)
    total = info.frames_at(FPS30)
    first = total // 2
    whole = [f.to_ndarray().astype(np.int16) for _, f in iter_project_frames(info, 0, total, FPS30, (160, 90))]
    stats = DecodeStats()
    part = [
        f.to_ndarray().astype(np.int16)
        for _, f in iter_project_frames(info, first, total, FPS30, (160, 90), stats=stats)
    ]
    assert len(part) == total - first and stats.seeks >= 1
    for a, b in zip(whole[first:], part, strict=True):
        assert np.abs(a - b).mean() < 1.0


def test_ten_bit_and_odd_sizes_convert() -> None:
    for name in ("roadtrip_vp9_profile2_10bit_23.976.webm", "bear_vp9_161x121_odd_dims.webm"):
        path = SHARED_MEDIA / name
        if not path.exists():
            pytest.skip(f"{path} is absent")
        _, frame = next(iter_project_frames(probe(path), 0, 1, FPS30, (96, 54)))
        assert (frame.width, frame.height, frame.format.name) == (96, 54, "yuv420p")
        assert isinstance(frame, av.VideoFrame)


@pytest.mark.parametrize(("codec", "suffix"), [("mjpeg", ".avi"), ("mpeg4", ".avi"), ("libx264", ".mkv")])
def test_other_codecs_and_containers(tmp_path: Path, codec: str, suffix: str) -> None:
    info = probe(
        make_source(tmp_path / f"src{suffix}", frames=20, width=160, height=120, fps=25, codec=codec, audio=False)
    )
    expected = [n * 25 // 30 for n in range(24)]
    assert indices(info, 0, 24) == expected
    assert indices(info, 13, 24) == expected[13:]


def jittered_ticks(frames: int, fps: Fraction, seed: int | None) -> list[int]:
    """Phone-like stamps in a 1/90000 s time base: each frame up to 0.4 ms (36 ticks) off the
    ``fps`` grid, alternately early and late (``seed`` None) or at random (seeded)."""
    rng = random.Random(seed)
    step = Fraction(90000) / fps
    return [
        36 + round(i * step) + (rng.randint(-36, 36) if seed is not None else 36 - 72 * (i % 2)) for i in range(frames)
    ]


def jittered_source(path: Path, frames: int, fps: Fraction, seed: int | None) -> MediaInfo:
    stamps = jittered_ticks(frames, fps, seed)
    return probe(
        make_source(
            path, frames=frames, width=96, height=72, fps=fps, bframes=0, audio=False,
            vfr_timestamps=stamps, time_base=Fraction(1, 90000),
        )
    )  # fmt: skip


@pytest.mark.parametrize("fps", [Fraction(30), Fraction(30000, 1001), Fraction(60)])
@pytest.mark.parametrize("seed", [None, 7])
def test_jittered_timestamps_show_every_frame_once(tmp_path: Path, fps: Fraction, seed: int | None) -> None:
    # Issue 31: a frame stamped 0.4 ms after its instant used to be skipped and its neighbour doubled.
    info = jittered_source(tmp_path / "j.mp4", 60, fps, seed)
    assert info.video is not None and info.video.fps == fps  # measured through the jitter
    assert info.frames_at(fps) == 60
    assert indices(info, 0, 60, fps=fps, canvas=(96, 72)) == list(range(60))
    assert indices(info, 37, 60, fps=fps, canvas=(96, 72)) == list(range(37, 60))  # after a seek


@pytest.mark.parametrize(("source", "expected"), [(25, [n * 25 // 30 for n in range(48)]), (60, list(range(0, 96, 2)))])
def test_jittered_rate_conversion_follows_the_rule(tmp_path: Path, source: int, expected: list[int]) -> None:
    # ε absorbs the jitter, not the conversion: 25 → 30 and 60 → 30 pick what clean stamps pick.
    info = jittered_source(tmp_path / "j.mp4", 100, Fraction(source), 3)
    assert indices(info, 0, 48, canvas=(96, 72)) == expected


def test_a_source_a_little_slower_than_the_project_is_not_a_frame_late(tmp_path: Path) -> None:
    # A phone clip at 90000/3013 (29.87) fps in a 30 fps project: with no tolerance frame 1 showed
    # source frame 0 and every frame after it was a whole frame late. Now the drift is taken up
    # once it passes ε (1/8 of a frame), at frame 29.
    stamps = [i * 3013 for i in range(40)]
    info = probe(
        make_source(
            tmp_path / "slow.mp4", frames=40, width=96, height=72, fps=Fraction(90000, 3013), bframes=0,
            audio=False, vfr_timestamps=stamps, time_base=Fraction(1, 90000),
        )
    )  # fmt: skip
    epsilon = Fraction(1, 30) / 8
    expected = [
        max(i for i, t in enumerate(stamps) if Fraction(t, 90000) <= Fraction(n, 30) + epsilon) for n in range(39)
    ]
    assert expected[:30] == [*range(29), 28]
    assert indices(info, 0, 39, canvas=(96, 72)) == expected
