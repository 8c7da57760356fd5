"""The demo media: generated once, kept while valid, rewritten when broken, never half-written."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.errors import Cancelled
from core.synthetic.demo import DEMO_CLIPS, DemoClip, generate_demo
from core.synthetic.testpattern import make_source, read_index

TINY = (
    DemoClip("t1.mp4", 96, 64, Fraction(25), 20, 440.0),
    DemoClip("t2.mp4", 128, 72, Fraction(24000, 1001), 12, 660.0),
)


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def _check_clip(path: Path, clip: DemoClip) -> None:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert (video.codec_context.width, video.codec_context.height) == (clip.width, clip.height)
        assert video.average_rate == clip.fps and video.frames == clip.frames
        assert container.duration is not None
        assert abs(Fraction(container.duration, 1_000_000) - clip.duration) < Fraction(1, 20)
        keyframes = sum(1 for packet in container.demux(video) if packet.size and packet.is_keyframe)
    gop = round(2 * clip.fps)
    assert keyframes == -(-clip.frames // gop)  # a 2 s GOP


def test_generates_every_clip_then_keeps_them(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "demo"
    paths = generate_demo(folder, clips=TINY)
    assert paths == [folder / "t1.mp4", folder / "t2.mp4"]
    for path, clip in zip(paths, TINY, strict=True):
        _check_clip(path, clip)
    before = [_identity(p) for p in paths]
    assert generate_demo(folder, clips=TINY) == paths
    assert [_identity(p) for p in paths] == before
    assert sorted(p.name for p in folder.iterdir()) == ["t1.mp4", "t2.mp4"]


def test_force_rewrites(tmp_path: Path) -> None:
    paths = generate_demo(tmp_path, clips=TINY)
    before = [_identity(p) for p in paths]
    generate_demo(tmp_path, clips=TINY, force=True)
    after = [_identity(p) for p in paths]
    assert all(b != a for b, a in zip(before, after, strict=True))


def test_broken_or_different_files_are_replaced(tmp_path: Path) -> None:
    (tmp_path / "t1.mp4").write_bytes(b"not a video at all")
    make_source(tmp_path / "t2.mp4", frames=5, width=128, height=72, fps=Fraction(24000, 1001))  # too short
    generate_demo(tmp_path, clips=TINY)
    for clip in TINY:
        _check_clip(tmp_path / clip.name, clip)


def test_a_valid_clip_is_kept_while_a_missing_one_is_written(tmp_path: Path) -> None:
    first = generate_demo(tmp_path, clips=TINY[:1])[0]
    kept = _identity(first)
    generate_demo(tmp_path, clips=TINY)
    assert _identity(first) == kept
    _check_clip(tmp_path / "t2.mp4", TINY[1])


def test_cancel_leaves_no_file_behind(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        generate_demo(tmp_path, clips=TINY, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_clip_facts() -> None:
    assert [(c.name, c.width, c.height, c.fps) for c in DEMO_CLIPS] == [
        ("a.mp4", 1920, 1080, Fraction(30)),
        ("b.mp4", 1280, 720, Fraction(25)),
        ("c.mp4", 640, 480, Fraction(24000, 1001)),
    ]
    assert all(8 <= c.duration <= 15 for c in DEMO_CLIPS)
    assert len({c.tone_hz for c in DEMO_CLIPS}) == len(DEMO_CLIPS)
    assert DEMO_CLIPS[2].label == "c.mp4 640x480 23.976fps 659.25Hz"


@pytest.mark.slow
def test_real_demo_media(tmp_path: Path) -> None:
    paths = generate_demo(tmp_path)
    assert [p.name for p in paths] == ["a.mp4", "b.mp4", "c.mp4"]
    for path, clip in zip(paths, DEMO_CLIPS, strict=True):
        _check_clip(path, clip)
        with av.open(str(path)) as container:
            container.streams.video[0].thread_type = "AUTO"
            indices = [read_index(f.to_ndarray(format="gray")) for f in container.decode(video=0)]
        assert indices == list(range(clip.frames))
        with av.open(str(path)) as container:
            samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
        spectrum = np.abs(np.fft.rfft(samples[:48000]))
        assert abs(np.argmax(spectrum) - clip.tone_hz) <= 2
    before = [_identity(p) for p in paths]
    generate_demo(tmp_path)  # only probes: no file is rewritten
    assert [_identity(p) for p in paths] == before


def test_progress_is_reported_per_clip(tmp_path: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    generate_demo(tmp_path, clips=TINY, on_progress=lambda done, total, name: seen.append((done, total, name)))
    assert sorted(seen) == [(1, 2, seen[0][2]), (2, 2, seen[1][2])]
    assert {name for _, _, name in seen} == {"t1.mp4", "t2.mp4"}
    seen.clear()
    generate_demo(tmp_path, clips=TINY, on_progress=lambda *a: seen.append(a))  # nothing to write
    assert seen == []
