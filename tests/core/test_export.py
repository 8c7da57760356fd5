"""Export: frame-exact, normal GOP, faststart, continuous audio, incremental, cancellable, atomic."""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest

from core.cells.store import CellStore
from core.errors import Cancelled, LivecutError
from core.export.render import (
    ExportOptions,
    ExportProgress,
    ExportResult,
    OutputExistsError,
    export,
    export_size,
)
from core.export.segments import ExportProfile, encode_segments, plan_segments, probe, read_segment
from core.media.audio import AAC_FRAME, samples_at
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.stream.fmp4 import top_level
from core.synthetic.testpattern import make_source
from tests.core.helpers import picture_index, timeline_with

OPTS = ExportOptions(segment_frames=30, gop_frames=15)
"""1 s segments and 0.5 s GOPs, so a few seconds of film has several of each."""
SIZES = {"a": (160, 120), "b": (160, 90)}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> proj.Project:
    d = tmp_path_factory.mktemp("export-src")
    make_source(d / "a.mp4", frames=90, width=160, height=120, fps=30, tone_hz=440)
    make_source(d / "b.mp4", frames=60, width=160, height=90, fps=30, tone_hz=660)  # letterboxed in 4:3
    p = proj.new_from_media(d / "p.toml", [str(d / "a.mp4"), str(d / "b.mp4")])
    clips = (Clip("a", 10, 70), Clip("b", 0, 1), Clip("b", 5, 47), Clip("a", 0, 2))  # 1- and 2-frame clips too
    return replace(p, timeline=Timeline(p.timeline.fps, p.timeline.media, clips), width=160, height=120)


@pytest.fixture(scope="module")
def exported(project: proj.Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ExportResult]:
    d = tmp_path_factory.mktemp("export-out")
    out = d / "film.mp4"
    return out, export(project, out, OPTS, store=CellStore(d / "cache"))


def expected_frames(project: proj.Project) -> list[tuple[str, int]]:
    return [(p.clip.media, p.clip.in_ + i) for p in project.timeline.placed() for i in range(p.clip.length)]


def decoded_indices(path: Path, project: proj.Project) -> list[int | None]:
    want = expected_frames(project)
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return [picture_index(rgb, SIZES[media]) for rgb, (media, _) in zip(frames, want, strict=False)] + [None] * (
        len(frames) - len(want)
    )


def test_every_frame_is_the_expected_source_frame(project: proj.Project, exported: tuple[Path, ExportResult]) -> None:
    out, result = exported
    assert result.frames == project.timeline.duration == 105
    assert decoded_indices(out, project) == [n for _, n in expected_frames(project)]


def test_frame_exact_at_a_smaller_height(project: proj.Project, tmp_path: Path) -> None:
    result = export(project, tmp_path / "small.mp4", replace(OPTS, height=96), store=CellStore(tmp_path / "c"))
    assert (result.width, result.height) == (128, 96)
    with av.open(str(result.output)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (128, 96)
    assert decoded_indices(result.output, project) == [n for _, n in expected_frames(project)]


def test_normal_gop_keyframes_only_at_segment_starts_and_gop_boundaries(
    project: proj.Project, exported: tuple[Path, ExportResult]
) -> None:
    out, _ = exported
    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        packets = [p for p in c.demux(stream) if p.size]
        tb = stream.time_base
        keys = {round(p.pts * tb * 30) for p in packets if p.is_keyframe}
        dts = [p.dts for p in packets]
    segments = plan_segments(project.timeline, "sig", OPTS.segment_frames or 0, lambda ref: ref.id)
    want = {s.at + k for s in segments for k in range(0, s.frames, OPTS.gop_frames or 0)}
    assert keys == want
    assert len(packets) == 105 and len(keys) < len(packets) / 3  # not all-intra
    assert all(a < b for a, b in itertools.pairwise(dts))  # dts strictly rise across every join


def test_normal_mp4_with_faststart(exported: tuple[Path, ExportResult]) -> None:
    kinds = [kind for kind, _ in top_level(exported[0].read_bytes())]
    assert kinds[0] == b"ftyp" and b"moof" not in kinds
    assert kinds.index(b"moov") < kinds.index(b"mdat")


def test_one_continuous_audio_track_as_long_as_the_film(
    project: proj.Project, exported: tuple[Path, ExportResult]
) -> None:
    out, result = exported
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 1 and c.streams.audio[0].codec_context.name == "aac"
        audio = [p for p in c.demux(audio=0) if p.size]
        c.seek(0)
        video_start = min(p.pts for p in c.demux(video=0) if p.size)
    assert video_start == 0  # picture and sound both start at 0: in sync
    rate = audio[0].time_base.denominator
    assert rate == 48000 and audio[0].pts == 0
    pts = [p.pts for p in audio]
    assert all(b - a == AAC_FRAME for a, b in itertools.pairwise(pts))  # no gap, no overlap
    length = pts[-1] + AAC_FRAME - pts[0]
    assert abs(length - samples_at(result.frames, project.fps)) <= AAC_FRAME


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg CLI (validator) not installed")
def test_decodes_without_errors(exported: tuple[Path, ExportResult]) -> None:
    run = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(exported[0]), "-f", "null", "-"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and run.stderr == ""


def test_segments_share_identical_headers(project: proj.Project) -> None:
    profile = ExportProfile(160, 120, Fraction(30), gop=15)
    infos = {m.id: m.info for m in project.timeline.media if m.info}
    segments = [s for s in plan_segments(project.timeline, "sig", 30, lambda ref: ref.id) if s.frames in (1, 2, 17)]
    datas = [data for _, data in encode_segments(segments, infos, profile)]
    datas += [data for _, data in encode_segments(segments[:1], infos, profile, threads=2)]  # a lone segment's threads
    headers = {read_segment(data, profile.fps).extradata for data in datas}
    assert len(datas) == 4 and headers == {probe(profile).extradata}
    assert probe(profile).delay >= 1  # B-frames: a normal GOP, not the preview's all-intra


def test_trim_changes_only_that_clips_edge_segment() -> None:
    tl = timeline_with({"a": 900, "b": 900})
    tl = tl.append(Clip("a", 0, 700)).append(Clip("b", 100, 400))
    before = plan_segments(tl, "sig", 300, lambda ref: ref.id)
    after = plan_segments(tl.trim_in(0, 50), "sig", 300, lambda ref: ref.id)  # ripple: b moves 50 frames earlier
    assert [(s.first, s.stop) for s in before] == [(0, 300), (300, 600), (600, 700), (100, 300), (300, 400)]
    assert len({s.key for s in after} - {s.key for s in before}) == 1
    assert after[3].at == before[3].at - 50 and after[3].key == before[3].key


def test_reexport_after_trimming_one_clip_encodes_only_its_changed_segment(
    project: proj.Project, tmp_path: Path
) -> None:
    store = CellStore(tmp_path / "cache")
    first = export(project, tmp_path / "a.mp4", OPTS, store=store)
    assert first.segments_reused == 0 and first.segments_encoded == first.segments == 7
    trimmed = replace(project, timeline=project.timeline.trim_in(0, 20))
    second = export(trimmed, tmp_path / "b.mp4", OPTS, store=store)
    assert (second.segments_encoded, second.segments_reused) == (1, 6)
    assert decoded_indices(second.output, trimmed) == [n for _, n in expected_frames(trimmed)]


def test_existing_output_is_refused_without_force(project: proj.Project, tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="already exists"):
        export(project, out, OPTS, store=CellStore(tmp_path / "c"))
    assert out.read_bytes() == b"keep me"
    export(project, out, replace(OPTS, force=True), store=CellStore(tmp_path / "c"))
    assert out.stat().st_size > 1000


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize("stage", ["encode", "join"])
def test_cancel_leaves_no_output_and_no_temp_file(project: proj.Project, tmp_path: Path, stage: str) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    cancel = threading.Event()

    def on_progress(p: ExportProgress) -> None:
        if p.stage == stage and p.done > 0:
            cancel.set()

    with pytest.raises(Cancelled):
        export(
            project,
            out_dir / "film.mp4",
            OPTS,
            cancel=cancel,
            on_progress=on_progress,
            store=CellStore(tmp_path / "cache"),
        )
    assert leftovers(out_dir) == []


def test_cancel_stops_a_long_encode_within_a_second(tmp_path: Path) -> None:
    src = make_source(tmp_path / "long.mp4", frames=300, width=160, height=120, fps=30, audio=False)
    p = replace(proj.new_from_media(tmp_path / "p.toml", [str(src)]), width=1280, height=960)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def on_progress(progress: ExportProgress) -> None:
        if progress.stage == "encode" and progress.done >= 10 and not cancel.is_set():  # mid-encode
            cancelled_at.append(time.monotonic())
            cancel.set()

    with pytest.raises(Cancelled):
        export(
            p,
            out_dir / "film.mp4",
            ExportOptions(workers=2),
            cancel=cancel,
            on_progress=on_progress,
            store=CellStore(tmp_path / "cache"),
        )
    assert time.monotonic() - cancelled_at[0] < 1.0
    assert leftovers(out_dir) == []
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_offline_media_fail_clearly_unless_allowed(tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=20, width=160, height=120, fps=30)
    p = proj.new_from_media(tmp_path / "p.toml", [str(src), str(src)])
    proj.save(p, tmp_path / "p.toml")
    text = (tmp_path / "p.toml").read_text().replace('id = "b"\npath = "a.mp4"', 'id = "b"\npath = "gone.mp4"')
    assert "gone.mp4" in text
    (tmp_path / "p.toml").write_text(text)
    p = replace(proj.load(tmp_path / "p.toml"), width=160, height=120)
    assert [m.id for m in p.offline_media()] == ["b"]
    with pytest.raises(LivecutError, match=r"gone\.mp4"):
        export(p, tmp_path / "x.mp4", OPTS, store=CellStore(tmp_path / "c"))
    assert not (tmp_path / "x.mp4").exists()
    result = export(p, tmp_path / "x.mp4", replace(OPTS, allow_offline=True), store=CellStore(tmp_path / "c"))
    with av.open(str(result.output)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert [picture_index(f, (160, 120)) for f in frames] == [*range(20), *[None] * 20]
    assert frames[-1].max() < 30  # black


def test_a_source_gone_since_loading_is_a_clear_error(tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=10, width=160, height=120, fps=30)
    p = replace(proj.new_from_media(tmp_path / "p.toml", [str(src)]), width=160, height=120)
    src.unlink()
    with pytest.raises(LivecutError, match=r"a\.mp4"):
        export(p, tmp_path / "x.mp4", OPTS, store=CellStore(tmp_path / "c"))
    assert leftovers(tmp_path) == []


def test_export_size_follows_the_aspect_and_stays_even(project: proj.Project) -> None:
    wide = replace(project, width=1920, height=1080)
    assert export_size(wide) == (1920, 1080)
    assert export_size(wide, 720) == (1280, 720)
    assert export_size(wide, 481) == (854, 480)


def test_ntsc_rate_is_frame_exact(tmp_path: Path) -> None:
    src = make_source(tmp_path / "n.mp4", frames=40, width=160, height=120, fps=Fraction(30000, 1001))
    p = proj.new_from_media(tmp_path / "p.toml", [str(src)])
    p = replace(p, timeline=Timeline(p.fps, p.timeline.media, (Clip("a", 25, 40), Clip("a", 3, 20))))
    result = export(p, tmp_path / "n-out.mp4", replace(OPTS, segment_frames=8), store=CellStore(tmp_path / "c"))
    with av.open(str(result.output)) as c:
        stream = c.streams.video[0]
        pts = sorted(pk.pts * stream.time_base * p.fps for pk in c.demux(stream) if pk.size)
        c.seek(0)
        indices = [picture_index(f.to_ndarray(format="rgb24"), (160, 120)) for f in c.decode(video=0)]
    assert pts == list(range(32))  # every frame exactly on the 30000/1001 grid
    assert indices == [*range(25, 40), *range(3, 20)]


def test_jittered_phone_clip_exports_every_frame_once(tmp_path: Path) -> None:
    # Issue 31: stamps ±0.4 ms off a 30 fps grid (1/90000 s, alternately early and late, no
    # B-frames) exported in a 30 fps project had 60 of 120 frames wrong.
    stamps = [36 + 3000 * i + (36 if i % 2 else -36) for i in range(120)]
    src = make_source(
        tmp_path / "phone.mp4", frames=120, width=160, height=120, fps=30, bframes=0,
        vfr_timestamps=stamps, time_base=Fraction(1, 90000),
    )  # fmt: skip
    p = proj.new_from_media(tmp_path / "p.toml", [str(src)])
    assert p.fps == 30 and p.timeline.duration == 120
    p = replace(p, width=160, height=120)
    result = export(p, tmp_path / "out.mp4", OPTS, store=CellStore(tmp_path / "c"))
    with av.open(str(result.output)) as c:
        indices = [picture_index(f.to_ndarray(format="rgb24"), (160, 120)) for f in c.decode(video=0)]
    assert indices == list(range(120))


def test_the_output_file_follows_the_umask_or_keeps_the_replaced_files_mode(
    project: proj.Project, tmp_path: Path
) -> None:
    """#26: the staged file came from mkstemp (0600) and kept that mode."""
    store = CellStore(tmp_path / "cache")
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        old = os.umask(umask)
        try:
            out = export(project, tmp_path / f"film-{umask:o}.mp4", OPTS, store=store).output
        finally:
            os.umask(old)
        assert stat.S_IMODE(out.stat().st_mode) == mode
    out.chmod(0o640)
    export(project, out, replace(OPTS, force=True), store=store)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
