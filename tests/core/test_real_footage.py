"""Issue 10: real footage handled faithfully (edit lists, live WebM, damaged packets, interlaced
and anamorphic sources, the last frame, decode amplification of long GOPs).

Every case is generated here: PyAV writes the sources (``make_source``: each frame carries its
index) and the ffmpeg CLI, in tests only, makes what real tools make (stream-copy trims, live
WebM, DV, interlaced H.264). The shared real files are checked too where the folder exists.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.export.render import ExportOptions, export
from core.media.audio import RATE, iter_source_audio
from core.media.damage import scan
from core.media.frames import DecodeStats, iter_project_frames
from core.media.info import MediaInfo, probe
from core.model import project as proj
from core.model.playout import concealed_in
from core.synthetic.testpattern import make_source, read_index
from tests.conftest import SHARED_MEDIA

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="the ffmpeg CLI (a test-only generator) is not installed")


def _ffmpeg(*args: str) -> None:
    assert FFMPEG is not None
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True, capture_output=True)


def _indices(info: MediaInfo, first: int, stop: int, fps: Fraction) -> list[int | None]:
    """The drawn index of every project frame ``first..stop-1`` (at the source's own size)."""
    assert info.video is not None
    size = info.video.display_size
    return [
        read_index(frame.to_ndarray(format="rgb24"))
        for _, frame in iter_project_frames(info, first, stop, fps, (size[0] // 2 * 2, size[1] // 2 * 2))
    ]


# -- defect 2: edit-list pre-roll ------------------------------------------------------------------
@pytest.fixture(scope="module")
def trimmed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stream-copy trim from 1.5 s of a 2 s-GOP file: starts at the 0 s keyframe, hides 1.5 s of
    pre-roll with an edit list. The audio is silent until 2.0 s, then a tone (an onset to sync on)."""
    if FFMPEG is None:
        pytest.skip("the ffmpeg CLI (a test-only generator) is not installed")
    d = tmp_path_factory.mktemp("elst")
    video = make_source(d / "v.mp4", frames=180, width=160, height=120, fps=30, gop=60, audio=False)
    tone = "aevalsrc=if(gte(t\\,2)\\,0.5*sin(2*PI*440*t)\\,0):s=48000:d=6"
    _ffmpeg(
        "-i", str(video), "-f", "lavfi", "-i", tone, "-c:v", "copy", "-c:a", "aac", "-b:a", "192k", str(d / "gop.mp4")
    )
    _ffmpeg("-ss", "1.5", "-i", str(d / "gop.mp4"), "-t", "3", "-c", "copy", str(d / "trimmed.mp4"))
    return d / "trimmed.mp4"


def test_edit_list_preroll_is_not_content(trimmed: Path) -> None:
    info = probe(trimmed)
    assert info.video is not None
    assert info.video.start == 0  # not the discarded packets' negative times
    assert info.video.fps == 30
    assert 89 <= info.video.frame_count <= 92  # not 137: the pre-roll is hidden
    # The edit list's length (x264's B-frame delay can leave a frame's slot empty near the end)
    assert abs(info.frames_at(Fraction(30)) - info.video.frame_count) <= 2
    shown = _indices(info, 0, info.frames_at(Fraction(30)), Fraction(30))
    assert shown[0] == 45  # 1.5 s into the original: the first frame that plays
    assert shown[:88] == list(range(45, 45 + 88))


def test_edit_list_trim_keeps_audio_in_sync(trimmed: Path) -> None:
    info = probe(trimmed)
    assert info.video is not None
    audio = np.concatenate(list(iter_source_audio(info, Fraction(0), RATE * 2, RATE // 2)), axis=1)
    onset = int(np.argmax(np.abs(audio[0]) > 0.05)) / RATE  # the tone starts 2.0 s into the original
    picture = _indices(info, 0, 30, Fraction(30)).index(60) / 30  # frame 60 is 2.0 s into the original
    assert abs(onset - picture) <= 1 / 30
    assert abs(onset - 0.5) <= 1 / 30


# -- defect 3: live WebM without Duration ----------------------------------------------------------
@needs_ffmpeg
def test_live_webm_without_duration_is_indexed(tmp_path: Path) -> None:
    src = make_source(tmp_path / "src.mp4", frames=45, width=160, height=120, fps=30, gop=15)
    live = tmp_path / "live.webm"
    live_args = [
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-c:a",
        "libopus",
        "-live",
        "1",
        "-f",
        "webm",
        "-",
    ]
    assert FFMPEG is not None
    with live.open("wb") as out:  # to a pipe: no Duration, no cues, as browsers and OBS write it
        subprocess.run([FFMPEG, "-v", "error", "-i", str(src), *live_args], stdout=out, check=True)
    with av.open(str(live)) as c:
        assert c.duration is None  # really the case this defect is about
    info = probe(live)
    assert info.video is not None
    assert info.video.frame_count == 45 and not info.video.frame_count_exact
    assert info.frames_at(Fraction(30)) == 45
    assert _indices(info, 0, 45, Fraction(30)) == list(range(45))


# -- defect 4: one damaged packet ------------------------------------------------------------------
def _damaged(tmp_path: Path, how: str) -> tuple[Path, int]:
    """A 30-frame H.264 file (B-frames) whose packet 17 in decode order is damaged; returns the
    file and the damaged frame's index. ``how``: ``header`` sets the forbidden bit of its first
    NAL unit (found only by decoding the slice), ``size`` garbles its NAL length (found by
    parsing alone)."""
    src = make_source(tmp_path / "d.mp4", frames=30, width=160, height=120, fps=30, gop=10, audio=False)
    out_path = tmp_path / f"damaged-{how}.mp4"
    with av.open(str(src)) as inp, av.open(str(out_path), "w") as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        bad = -1
        for k, packet in enumerate(p for p in inp.demux(stream) if p.size):
            if k == 17:
                data = bytearray(bytes(packet))
                if how == "header":
                    data[4] |= 0x80
                else:
                    data[0:4] = (len(data) * 4).to_bytes(4, "big")
                broken = av.Packet(bytes(data))
                broken.pts, broken.dts, broken.duration = packet.pts, packet.dts, packet.duration
                broken.time_base = packet.time_base
                assert packet.pts is not None and packet.time_base is not None
                bad = round(packet.pts * packet.time_base * 30)
                packet = broken
            packet.stream = ostream
            out.mux(packet)
    return out_path, bad


@pytest.mark.parametrize("how", ["header", "size"])
def test_damaged_packet_is_concealed(tmp_path: Path, how: str) -> None:
    path, bad = _damaged(tmp_path, how)
    info = probe(path)
    stats = DecodeStats()
    frames = [f for _, f in iter_project_frames(info, 0, 30, Fraction(30), (160, 120), stats=stats)]
    assert len(frames) == 30 and stats.concealed == 1
    assert frames[bad] is frames[bad - 1]  # the lost frame's slot repeats the frame before it
    shown = [read_index(f.to_ndarray(format="rgb24")) for f in frames]
    assert shown[: bad - 3] == list(range(bad - 3))  # B-frames around it may be smeared, never reordered
    assert shown[bad + 1 :] == list(range(bad + 1, 30))  # the next GOP is clean
    assert [round(d.at * 30) for d in scan(info)] == [bad]  # decoding in this process noted it


def test_probe_and_export_report_damage(tmp_path: Path) -> None:
    path, bad = _damaged(tmp_path, "size")
    livecut = Path(".venv/bin/livecut")
    if livecut.exists():  # a fresh process: the parsing scan finds it
        out = subprocess.run([str(livecut), "probe", str(path)], capture_output=True, text=True, check=False)
        assert out.returncode == 0 and f"damaged: the frame at {bad / 30:.3f} s" in out.stderr
    p = proj.new_from_media(tmp_path / "p.toml", [str(path)])
    concealed = concealed_in(p.timeline)
    assert [(c.first, c.last) for c in concealed] == [(bad, bad)]
    result = export(p, tmp_path / "out.mp4", ExportOptions(), store=CellStore(tmp_path / "exp"))
    assert result.frames == 30 and (tmp_path / "out.mp4").exists()
    assert len(result.warnings) == 1 and f"frame {bad}" in result.warnings[0]
    doc = result.to_dict()
    assert doc["warnings"] == result.warnings
    assert doc["concealed"] == [c.to_dict(p.fps) for c in concealed]


def test_real_damaged_file_decodes_what_it_can() -> None:
    path = SHARED_MEDIA / "bear_h264_invalid_nalu_CORRUPT.mp4"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    info = probe(path)
    assert [round(float(d.at), 2) for d in scan(info)] == [0.87]


# -- defect 5: interlaced and anamorphic -----------------------------------------------------------
@needs_ffmpeg
def test_anamorphic_dv_is_shown_at_its_display_aspect(tmp_path: Path) -> None:
    dv = tmp_path / "dv.avi"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=720x480:r=30000/1001", "-t", "0.5", "-vf", "setdar=4/3",
        "-c:v", "dvvideo", "-pix_fmt", "yuv411p", str(dv),
    )  # fmt: skip
    info = probe(dv)
    assert info.video is not None
    assert info.video.sar == Fraction(8, 9) and info.video.display_size == (640, 480)
    assert info.video.interlaced
    assert info.to_dict()["video"]["display_width"] == 640  # type: ignore[index]
    p = proj.new_from_media(tmp_path / "p.toml", [str(dv)])
    assert (p.width, p.height) == (640, 480)  # `new` takes the display size: no pillarbox
    _, frame = next(iter(iter_project_frames(info, 0, 1, info.video.fps, (640, 480))))
    luma = frame.to_ndarray(format="gray")
    assert luma[:, :8].mean() > 30 and luma[:, -8:].mean() > 30  # picture to the edges, no bars


def _combing(luma: np.ndarray) -> float:
    """Mean difference of each line from the average of its neighbours (fields out of step comb)."""
    rows = luma.astype(np.float32)
    return float(np.abs(rows[1:-1] - (rows[:-2] + rows[2:]) / 2).mean())


@needs_ffmpeg
def test_interlaced_source_is_deinterlaced(tmp_path: Path) -> None:
    src = tmp_path / "i.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=60", "-t", "1",
        "-vf", "tinterlace=interleave_top,setfield=tff", "-c:v", "libx264", "-flags", "+ildct+ilme",
        "-x264opts", "tff=1", "-pix_fmt", "yuv420p", str(src),
    )  # fmt: skip
    info = probe(src)
    assert info.video is not None and info.video.field_order == "tt"
    progressive = replace(info, video=replace(info.video, field_order="progressive"))

    def comb(of: MediaInfo) -> float:
        frames = [f for _, f in iter_project_frames(of, 5, 15, Fraction(30), (320, 240))]
        return float(np.mean([_combing(f.to_ndarray(format="gray")) for f in frames]))

    assert comb(info) < 0.6 * comb(progressive)


# -- defect 6: the last frame ----------------------------------------------------------------------
@pytest.mark.parametrize(("frames", "fps"), [(72, Fraction(24000, 1001)), (61, Fraction(60))])
def test_webm_keeps_its_last_frame(tmp_path: Path, frames: int, fps: Fraction) -> None:
    """Millisecond WebM whose frame durations are truncated (41 ms at 23.976 fps, as real
    encoders write them): the container's length is a hair short of frames / fps."""
    stamps = [int(i * 1000 / fps) for i in range(frames)]
    made = make_source(
        tmp_path / "v.webm", frames=frames, fps=fps, codec="libvpx-vp9", audio=False,
        vfr_timestamps=stamps, time_base=Fraction(1, 1000),
    )  # fmt: skip
    src = tmp_path / "short.webm"
    with av.open(str(made)) as inp, av.open(str(src), "w") as out:
        ostream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.size:
                packet.duration = int(1000 / fps)
                packet.stream = ostream
                out.mux(packet)
    with av.open(str(src)) as c:
        assert c.duration is not None and c.duration / 1_000_000 < frames / fps  # really a hair short
    info = probe(src)
    assert info.video is not None and info.video.fps == fps
    assert info.video.frame_count == frames and info.frames_at(fps) == frames
    assert _indices(info, frames - 3, frames, fps) == [frames - 3, frames - 2, frames - 1]


def test_real_vp9_webm_keeps_its_last_frame() -> None:
    path = SHARED_MEDIA / "roadtrip_vp9_profile2_10bit_23.976.webm"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    info = probe(path)
    assert info.frames_at(Fraction(24000, 1001)) == 72


def test_vfr_frame_count_without_an_index_is_marked_an_estimate(tmp_path: Path) -> None:
    stamps = [0, 33, 80, 100, 167, 170, 250, 300, 400, 433]
    src = make_source(tmp_path / "vfr.webm", frames=10, fps=30, audio=False, vfr_timestamps=stamps)
    info = probe(src)
    assert info.video is not None and not info.video.frame_count_exact
    exact = probe(make_source(tmp_path / "cfr.mp4", frames=10, fps=30, audio=False))
    assert exact.video is not None and exact.video.frame_count_exact


# -- defect 8: decode amplification of long GOPs --------------------------------------------------
def test_single_gop_file_is_not_split_between_workers(tmp_path: Path) -> None:
    src = make_source(tmp_path / "long.mp4", frames=150, width=160, height=120, fps=25, gop=150, audio=False)
    p = replace(proj.new_from_media(tmp_path / "p.toml", [str(src)]), preview_height=60)
    with Engine(p, workers=2, store=CellStore(tmp_path / "cache")) as eng:
        assert eng.wait_ready(120)
        stats = eng.decode_stats
    assert stats.frames_shown == 150
    assert stats.frames_decoded <= 1.1 * 150
