"""The engine end to end with real PyAV encodes into a real on-disk store."""

from __future__ import annotations

import io
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest
from hypothesis import HealthCheck, given, settings

from core.cells.plan import SegmentState
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.model.timeline import Clip
from core.synthetic.testpattern import make_source

from .helpers import apply_op, edit_ops, picture_index

C = 20


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("engine-media")
    make_source(d / "a.mp4", frames=90, width=160, height=120, fps=30)
    make_source(d / "b.mp4", frames=60, width=192, height=108, fps=25)
    make_source(d / "s.m4a", frames=30, video=False, fps=30)
    return d


def project_of(d: Path, tmp: Path) -> proj.Project:
    p = proj.new_from_media(tmp / "p.toml", [str(d / "a.mp4"), str(d / "b.mp4")], fps="30")
    return replace(p, width=320, height=240, preview_height=120, cell_frames=C)


@pytest.fixture(scope="module")
def warm(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[proj.Project, Path]:
    """A project whose whole media is in a store (every cell of both files)."""
    tmp = tmp_path_factory.mktemp("warm")
    p = project_of(sources, tmp)
    with Engine(p, workers=2, store=CellStore(tmp / "cache")) as eng:
        assert eng.wait_ready(60)
        assert all(s == SegmentState.READY for s in eng.snapshot().states)
    return p, tmp / "cache"


def test_cells_are_all_intra_and_frame_exact(warm: tuple[proj.Project, Path]) -> None:
    p, cache = warm
    store = CellStore(cache)
    with Engine(p, workers=1, store=store) as eng:
        segs = eng.segments
        assert eng.scheduler.stats["cells_encoded"] == 0  # reopening a cached project encodes nothing
    for seg in segs:
        with av.open(io.BytesIO(store.get(seg.key))) as c:
            packets = [pk for pk in c.demux(video=0) if pk.size]
            assert all(pk.is_keyframe for pk in packets)
            frames = list(av.open(io.BytesIO(store.get(seg.key))).decode(video=0))
        assert len(frames) == seg.cell.frames
        assert (frames[0].width, frames[0].height) == (160, 120)
        media_fps = Fraction(30) if seg.cell.media == "a" else Fraction(25)
        for i, frame in enumerate(frames):
            n = seg.cell.index * C + i  # project frame of the media
            expected = int(n * media_fps / 30)
            size = (160, 120) if seg.cell.media == "a" else (192, 108)
            assert picture_index(frame.to_ndarray(format="rgb24"), size) == expected


edits = edit_ops(["a", "b"], split_max=200, source_max=90)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits)
def test_edits_over_cached_material_need_zero_new_cells(warm: tuple[proj.Project, Path], ops: list[tuple]) -> None:
    p, cache = warm
    store = CellStore(cache)
    tl = p.timeline
    with Engine(p, workers=1, store=store) as eng:
        for op in ops:
            tl = apply_op(tl, op)
            eng.set_timeline(tl)
            assert all(store.has(s.key) for s in eng.segments), op
        assert eng.wait_ready(10)
        assert eng.scheduler.stats["cells_encoded"] == 0


def test_extending_into_unseen_source_encodes_only_new_cells(sources: Path, tmp_path: Path) -> None:
    p = project_of(sources, tmp_path)
    tl = p.timeline.trim_out(0, 30).trim_in(1, 0).trim_out(1, 20)  # a[0,30) b[0,20)
    store = CellStore(tmp_path / "cache")
    with Engine(replace(p, timeline=tl), workers=1, store=store) as eng:
        assert eng.wait_ready(30)
        first = set(store.keys())
        eng.set_timeline(tl.trim_out(0, 45))  # reveals a's frames 30..44: cell 2 only
        assert eng.wait_ready(30)
        new = set(store.keys()) - first
        needed = {s.key for s in eng.segments}
    assert new & needed == {s.key for s in eng.segments if s.cell.media == "a" and s.cell.index == 2}


def test_idle_time_pre_encodes_trim_handles(sources: Path, tmp_path: Path) -> None:
    p = project_of(sources, tmp_path)
    tl = p.timeline.trim_in(0, 25).trim_out(0, 45)  # a[25,45): cells 1 and 2; handles 0 and 3
    store = CellStore(tmp_path / "cache")
    with Engine(replace(p, timeline=tl), workers=1, store=store) as eng:
        assert eng.scheduler.wait_idle(30, include_idle_work=True)
        handles = eng._handles(tl, {})
    assert {c.index for c in handles if c.media == "a"} == {0, 3}
    assert all(store.has(c.key) for c in handles)


def test_offline_and_audio_only_segments(sources: Path, tmp_path: Path) -> None:
    p = project_of(sources, tmp_path)
    tl = p.timeline
    tl = tl.add_media(proj.media_ref("s", str(sources / "s.m4a"), tmp_path)).append(Clip("s", 0, 30))
    tl = tl.add_media(proj.media_ref("x", "missing.mp4", tmp_path)).append(Clip("x", 0, 50))
    with Engine(replace(p, timeline=tl), workers=2, store=CellStore(tmp_path / "cache")) as eng:
        assert eng.wait_ready(60)
        snap = eng.snapshot()
    by_media = {}
    for seg, state in zip(snap.segments, snap.states, strict=True):
        by_media.setdefault(seg.cell.media, set()).add(state)
    assert by_media["x"] == {SegmentState.OFFLINE}
    assert by_media["black"] == {SegmentState.READY}  # the audio-only clip plays black video
    assert "offline" in snap.summary()


def test_damaged_file_fails_its_cell_and_the_rest_go_on(shared_media: Path, sources: Path, tmp_path: Path) -> None:
    p = project_of(sources, tmp_path)
    tl = p.timeline.add_media(proj.media_ref("z", str(shared_media / "bear_h264_invalid_nalu_CORRUPT.mp4"), tmp_path))
    tl = tl.append(Clip("z", 0, tl.media_length("z") or 1))
    with Engine(replace(p, timeline=tl, cell_frames=10), workers=2, store=CellStore(tmp_path / "cache")) as eng:
        assert eng.wait_ready(60)
        snap = eng.snapshot()
    states = {st for seg, st in zip(snap.segments, snap.states, strict=True) if seg.cell.media != "z"}
    assert states == {SegmentState.READY}
    z_states = [st for seg, st in zip(snap.segments, snap.states, strict=True) if seg.cell.media == "z"]
    assert all(s in (SegmentState.READY, SegmentState.FAILED) for s in z_states)
    for message in snap.errors.values():
        assert "bear_h264_invalid_nalu_CORRUPT.mp4" in message
