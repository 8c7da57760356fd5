from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from core.errors import MediaError
from core.media.fingerprint import fingerprint
from core.media.info import probe
from core.synthetic.testpattern import make_source
from tests.conftest import shared_media_files


def test_probe_generated_sources(tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=30, width=96, height=64, fps="30000/1001")
    info = probe(src)
    assert info.video and info.audio
    assert info.video.fps == Fraction(30000, 1001)
    assert (info.video.width, info.video.height, info.video.frame_count) == (96, 64, 30)
    assert info.frames_at(Fraction(30000, 1001)) == 30
    assert info.audio.sample_rate == 48000 and info.audio.channels == 2

    vfr = make_source(tmp_path / "v.mp4", frames=5, fps=30, vfr_timestamps=[0, 33, 80, 100, 166], audio=False)
    assert probe(vfr).audio is None
    rot = make_source(tmp_path / "r.mp4", frames=4, width=64, height=32, rotation=90, audio=False)
    rinfo = probe(rot)
    assert rinfo.video is not None and rinfo.video.rotation == 270 and rinfo.video.display_size == (32, 64)
    aud = make_source(tmp_path / "s.m4a", frames=25, video=False)
    ainfo = probe(aud)
    assert ainfo.video is None and ainfo.audio is not None and abs(float(ainfo.duration) - 1.0) < 0.05


def test_probe_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="file not found"):
        probe(tmp_path / "missing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(tmp_path / "empty.mp4")
    (tmp_path / "text.mp4").write_text("hello, I am not a video")
    with pytest.raises(MediaError, match=r"text\.mp4: not a readable media file"):
        probe(tmp_path / "text.mp4")
    with pytest.raises(MediaError, match="not a regular file"):
        probe(tmp_path)
    src = make_source(tmp_path / "t.mp4", frames=30, width=64, height=48)
    data = src.read_bytes()
    (tmp_path / "trunc.mp4").write_bytes(data[: len(data) // 3])
    try:
        info = probe(tmp_path / "trunc.mp4")
    except MediaError as exc:
        assert "trunc.mp4" in str(exc)
    else:  # a truncated file may still probe; its facts must be sane
        assert info.duration > 0


def test_fingerprint_is_content_not_path(tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=10, width=64, height=48)
    moved = tmp_path / "elsewhere" / "renamed.mp4"
    moved.parent.mkdir()
    shutil.copy(src, moved)
    assert fingerprint(src) == fingerprint(moved)
    other = make_source(tmp_path / "b.mp4", frames=11, width=64, height=48)
    assert fingerprint(other) != fingerprint(src)
    with pytest.raises(MediaError):
        fingerprint(tmp_path / "nope.mp4")


@pytest.mark.parametrize("path", shared_media_files(), ids=lambda p: p.name)
def test_real_media_probes_sanely_or_fails_clearly(path: Path) -> None:
    try:
        info = probe(path)
    except MediaError as exc:
        assert path.name in str(exc)
        return
    assert 0 < info.duration < 60
    if info.video:
        v = info.video
        assert 16 <= v.width <= 4096 and 16 <= v.height <= 4096
        assert 5 <= v.fps <= 120 and v.frame_count > 0
        assert v.rotation in (0, 90, 180, 270)
    if info.audio:
        assert info.audio.sample_rate >= 8000 and info.audio.channels >= 1
    if "rot180" in path.name:
        assert info.video and info.video.rotation == 180
    if "audioonly" in path.name:
        assert info.video is None and info.audio is not None
    if "videoonly" in path.name:
        assert info.audio is None
    if "vfr" in path.name:
        assert info.video and abs(float(info.video.fps) - 29.87) < 0.2


def test_shared_media_present_or_skipped(shared_media: Path) -> None:
    assert any(p.name.endswith("CORRUPT.mp4") for p in shared_media.iterdir())
