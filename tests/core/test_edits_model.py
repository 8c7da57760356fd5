"""Markers and the roll / slip / slide trims on the timeline value, and their place in the project file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import EditError, ProjectError
from core.model import project as proj
from core.model.history import History
from core.model.timeline import Clip, Marker, Timeline
from core.synthetic.testpattern import make_source

from .helpers import apply_op, edit_ops, timeline_with

LENGTHS = {"a": 300, "b": 250, "c": 97}


def base() -> Timeline:
    tl = timeline_with(LENGTHS)
    return tl.append(Clip("a", 0, 200)).append(Clip("b", 50, 200)).append(Clip("c", 10, 90))


# -- markers ---------------------------------------------------------------------------------------
def test_markers_sorted_renamed_removed() -> None:
    tl = base().add_marker(300, "b").add_marker(10, " first   take ").add_marker(300, "beat")
    assert tl.markers == (Marker(10, "first take"), Marker(300, "beat"))
    assert tl.next_marker(10) == Marker(300, "beat") and tl.next_marker(300) is None
    assert tl.prev_marker(300) == Marker(10, "first take") and tl.prev_marker(10) is None
    assert tl.remove_marker(10).markers == (Marker(300, "beat"),)
    with pytest.raises(EditError, match="no marker"):
        tl.remove_marker(11)
    with pytest.raises(EditError, match="≥ 0"):
        tl.add_marker(-1)
    with pytest.raises(EditError, match="at most"):
        tl.add_marker(5, "x" * 201)


def test_markers_stay_at_their_timeline_position_through_clip_edits() -> None:
    tl = base().add_marker(250, "m")
    assert tl.delete(0).markers == tl.markers and tl.roll(0, 5).markers == tl.markers


# -- roll / slip / slide ------------------------------------------------------------------------------
def test_roll_moves_one_edit_point_and_keeps_duration() -> None:
    tl = base()
    rolled = tl.roll(0, 10)
    assert rolled.clips[:2] == (Clip("a", 0, 210), Clip("b", 60, 200))
    assert rolled.duration == tl.duration and rolled.clips[2] == tl.clips[2]
    assert tl.roll(0, -1000).clips[:2] == (Clip("a", 0, 150), Clip("b", 0, 200))  # clamped by b's media start
    assert tl.roll(1, 1000).clips[1:] == (Clip("b", 50, 250), Clip("c", 60, 90))  # clamped by b's media end
    with pytest.raises(EditError, match="each side"):
        tl.roll(2, 1)


def test_roll_clamps_to_the_incoming_clip_start() -> None:
    tl = timeline_with(LENGTHS).append(Clip("a", 0, 100)).append(Clip("b", 3, 100))
    assert tl.roll(0, -50).clips == (Clip("a", 0, 97), Clip("b", 0, 100))


def test_slip_keeps_place_and_length() -> None:
    tl = base()
    slipped = tl.slip(1, 20)
    assert slipped.clips[1] == Clip("b", 70, 220) and slipped.starts() == tl.starts()
    assert tl.slip(1, 1000).clips[1] == Clip("b", 100, 250)
    assert tl.slip(1, -1000).clips[1] == Clip("b", 0, 150)
    assert tl.slip(0, -1) == tl  # already at the media start


def test_slide_moves_a_clip_between_its_neighbours() -> None:
    tl = base()
    slid = tl.slide(1, 10)
    assert slid.clips == (Clip("a", 0, 210), Clip("b", 50, 200), Clip("c", 20, 90))
    assert slid.starts()[1] == tl.starts()[1] + 10 and slid.duration == tl.duration
    assert tl.slide(1, -1000).clips[0] == Clip("a", 0, 190)  # the next clip's in cannot go below 0
    with pytest.raises(EditError, match="each side"):
        tl.slide(0, 1)


# -- properties ------------------------------------------------------------------------------------
new_edits = st.one_of(
    st.tuples(st.just("roll"), st.integers(0, 20), st.integers(-400, 400)),
    st.tuples(st.just("slip"), st.integers(0, 20), st.integers(-400, 400)),
    st.tuples(st.just("slide"), st.integers(0, 20), st.integers(-400, 400)),
    st.tuples(st.just("add_marker"), st.integers(0, 1500), st.text(max_size=8)),
    st.tuples(st.just("remove_marker"), st.integers(0, 1500)),
)


NEW = ("roll", "slip", "slide", "add_marker", "remove_marker")
old_edits = edit_ops(list(LENGTHS), split_max=800, source_max=97, min_size=1, max_size=3)


def apply_new(tl: Timeline, op: tuple[Any, ...]) -> Timeline:
    name, *args = op
    try:
        if name in ("roll", "slip", "slide") and tl.clips:
            args[0] %= len(tl.clips)
        if name == "remove_marker" and tl.markers:
            args[0] = tl.markers[args[0] % len(tl.markers)].frame
        edited: Timeline = getattr(tl, name)(*args)
    except EditError:
        return tl
    return edited


def check_invariants(before: Timeline, after: Timeline, op: tuple[Any, ...]) -> None:
    assert after.duration == sum(c.length for c in after.clips)
    for clip in after.clips:
        assert 0 <= clip.in_ < clip.out <= LENGTHS[clip.media]
    assert list(after.markers) == sorted(after.markers)
    assert len({m.frame for m in after.markers}) == len(after.markers)
    if op[0] in ("roll", "slip", "slide", "add_marker", "remove_marker"):
        assert after.duration == before.duration  # none of these changes the film's length
        assert len(after.clips) == len(before.clips)
    if op[0] == "slip":
        assert after.starts() == before.starts()
    if op[0] == "slide" and before.clips:
        i = op[1] % len(before.clips)
        assert after.clips[i] == before.clips[i]  # the slid clip shows the same frames
    if op[0] == "roll" and before.clips:
        i = op[1] % len(before.clips)
        assert after.clips[:i] == before.clips[:i] and after.clips[i + 2 :] == before.clips[i + 2 :]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(new_edits.map(lambda op: [op]), old_edits), max_size=20))
def test_random_new_edits_keep_invariants_and_undo_restores(batches: list[list[tuple[Any, ...]]]) -> None:
    """The new edits mixed with the old ones (the engine tests' shared strategy)."""
    start = base()
    history = History(start)
    for batch in batches:
        for op in batch:
            before = history.present
            after = apply_new(before, op) if op[0] in NEW else apply_op(before, op)
            history.push(after, op[0])
            check_invariants(before, history.present, op)
    while history.can_undo:
        history.undo()
    assert history.present == start and not history.dirty


# -- the project file --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("media")
    make_source(d / "a.mp4", frames=60, width=64, height=48, fps=30)
    make_source(d / "b.mp4", frames=50, width=64, height=48, fps=25, audio=False)
    return d


V1 = """version = 1
[project]
name = "t"
fps = "30"
[[media]]
id = "a"
path = "{a}"
[[clips]]
media = "a"
in = 0
out = 30
"""


def test_version_1_file_loads_unchanged_and_saves_as_version_2(media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "v1.toml"
    path.write_text(V1.format(a=media_dir / "a.mp4"))
    p = proj.load(path)
    assert p.timeline.clips == (Clip("a", 0, 30),) and p.timeline.markers == ()
    saved = proj.save(p, tmp_path / "v2.toml")
    text = (tmp_path / "v2.toml").read_text()
    assert text.startswith("version = 2") and "markers" not in text
    again = proj.load(tmp_path / "v2.toml").timeline
    assert (again.clips, again.markers, again.media[0].resolved) == (p.timeline.clips, (), p.timeline.media[0].resolved)
    assert saved.timeline == p.timeline


def test_markers_round_trip_and_are_validated(media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(V1.format(a=media_dir / "a.mp4"))
    p = proj.load(path)
    tl = p.timeline.add_marker(12, "laugh").add_marker(0).add_marker(400, 'quote "x" \\ ü')
    proj.save(proj.Project(p.name, tl, path=path), path)
    assert proj.load(path).timeline.markers == tl.markers
    bad = V1.replace("version = 1", "version = 2").format(a=media_dir / "a.mp4")
    bad += '[[markers]]\nframe = -3\n[[markers]]\nframe = "1s"\nname = 4\n[[markers]]\nframe = 30\nnote = ""\n'
    path.write_text(bad)
    with pytest.raises(ProjectError) as err:
        proj.load(path)
    text = str(err.value)
    assert "markers[0].frame: -3 is out of range" in text
    assert "markers[1].name: expected str" in text
    assert "markers[2].note: unknown key" in text and "markers[2].frame: a second marker" in text


def test_version_1_with_markers_and_unknown_versions_are_refused(media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(V1.format(a=media_dir / "a.mp4") + "[[markers]]\nframe = 1\n")
    with pytest.raises(ProjectError, match="not part of a version 1 file"):
        proj.load(path)
    path.write_text(V1.replace("version = 1", "version = 3").format(a=media_dir / "a.mp4"))
    with pytest.raises(ProjectError, match="versions 1 to 2"):
        proj.load(path)


@pytest.fixture(scope="module")
def long_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("long") / "a.mp4", frames=300, width=32, height=24, fps=30, audio=False)


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(new_edits, max_size=15))
def test_save_load_is_the_identity(long_source: Path, ops: list[tuple[Any, ...]]) -> None:
    folder = long_source.parent
    tl = proj.new_from_media(folder / "p.toml", [str(long_source)], fps="30").timeline
    tl = tl.split(100).split(200)
    for op in ops:
        tl = apply_new(tl, op)
    p = proj.save(proj.Project("p", tl), folder / "p.toml")
    assert proj.load(folder / "p.toml").timeline == p.timeline == tl
