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
from core.model.timeline import GAP, Clip, Marker, Timeline, gap
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


# -- gaps, lift, extract, insert, overwrite -------------------------------------------------------------
def test_lift_leaves_gaps_and_extract_closes() -> None:
    tl = base()  # a[0,200) b[50,200) c[10,90)
    lifted = tl.lift([1])
    assert lifted.clips == (Clip("a", 0, 200), gap(150), Clip("c", 10, 90))
    assert lifted.duration == tl.duration and lifted.starts() == tl.starts()
    assert lifted.lift([0]).clips == (gap(350), Clip("c", 10, 90))  # neighbouring gaps become one
    assert tl.lift([2]).clips == tl.clips[:2]  # nothing after it: the film ends earlier
    assert lifted.extract([1]) == tl.extract([1]) == tl.delete(1)
    assert tl.extract([0, 2]).clips == (Clip("b", 50, 200),)
    with pytest.raises(EditError, match="no clips selected"):
        tl.lift([])
    assert lifted.media_by_id(GAP).info is not None and lifted.media_by_id(GAP).info.video is None


def test_gaps_are_only_a_length() -> None:
    tl = base().lift([1])
    assert tl.trim_in(1, 30).clips[1] == gap(120)  # trimming a gap's start shortens it
    assert tl.slip(1, 10) == tl  # nothing to slip
    assert tl.split(260).clips[1:3] == (gap(60), gap(90))


def test_insert_and_overwrite_clips() -> None:
    tl = base()
    new = [Clip("c", 0, 10), Clip("a", 5, 10)]
    ins = tl.insert_clips(100, new)
    assert ins.clips == (Clip("a", 0, 100), *new, Clip("a", 100, 200), Clip("b", 50, 200), Clip("c", 10, 90))
    assert ins.duration == tl.duration + 15
    over = tl.overwrite(195, new)  # over the edit point at 200: a loses 5, b loses 10
    assert over.clips == (Clip("a", 0, 195), *new, Clip("b", 60, 200), Clip("c", 10, 90))
    assert over.duration == tl.duration
    assert tl.overwrite(200, new).clips[1:3] == tuple(new)
    past = tl.overwrite(tl.duration + 5, new)  # past the end: a gap up to it
    assert past.clips[3:] == (gap(5), *new)
    end = tl.overwrite(tl.duration - 3, new)
    assert end.clips[-3:] == (Clip("c", 10, 87), *new) and end.duration == tl.duration + 12
    assert tl.insert_clips(tl.duration, new).clips[3:] == tuple(new)
    with pytest.raises(EditError, match="past the end"):
        tl.insert_clips(0, [Clip("c", 0, 98)])


# -- properties ------------------------------------------------------------------------------------
new_edits = st.one_of(
    st.tuples(st.just("roll"), st.integers(0, 20), st.integers(-400, 400)),
    st.tuples(st.just("slip"), st.integers(0, 20), st.integers(-400, 400)),
    st.tuples(st.just("slide"), st.integers(0, 20), st.integers(-400, 400)),
    st.tuples(st.just("add_marker"), st.integers(0, 1500), st.text(max_size=8)),
    st.tuples(st.just("remove_marker"), st.integers(0, 1500)),
    st.tuples(st.just("lift"), st.lists(st.integers(0, 20), min_size=1, max_size=3)),
    st.tuples(st.just("set_gain"), st.lists(st.integers(0, 20), min_size=1, max_size=3), st.floats(-80, 30)),
    st.tuples(st.just("set_mute"), st.lists(st.integers(0, 20), min_size=1, max_size=3), st.booleans()),
    st.tuples(st.just("extract"), st.lists(st.integers(0, 20), min_size=1, max_size=3)),
    st.tuples(
        st.sampled_from(["insert_clips", "overwrite"]),
        st.integers(0, 1500),
        st.lists(st.tuples(st.sampled_from(sorted(LENGTHS)), st.integers(0, 96), st.integers(1, 60)), max_size=3),
    ),
)


NEW = (
    "roll",
    "slip",
    "slide",
    "add_marker",
    "remove_marker",
    "lift",
    "extract",
    "insert_clips",
    "overwrite",
    "set_gain",
    "set_mute",
)
old_edits = edit_ops(list(LENGTHS), split_max=800, source_max=97, min_size=1, max_size=3)


def clips_of(spec: list[tuple[str, int, int]]) -> list[Clip]:
    """Generated (media, in, length) made valid for the media."""
    out = []
    for mid, start, n in spec:
        start = min(start, LENGTHS[mid] - 1)
        out.append(Clip(mid, start, min(LENGTHS[mid], start + n)))
    return out


def apply_new(tl: Timeline, op: tuple[Any, ...]) -> Timeline:
    name, *args = op
    try:
        if name in ("roll", "slip", "slide") and tl.clips:
            args[0] %= len(tl.clips)
        if name == "remove_marker" and tl.markers:
            args[0] = tl.markers[args[0] % len(tl.markers)].frame
        if name in ("lift", "extract", "set_gain", "set_mute"):
            args[0] = [i % max(1, len(tl.clips)) for i in args[0]]
        if name in ("insert_clips", "overwrite"):
            args[1] = [
                Clip(m, min(i, LENGTHS[m] - 1), min(LENGTHS[m], min(i, LENGTHS[m] - 1) + n)) for m, i, n in args[1]
            ]
        edited: Timeline = getattr(tl, name)(*args)
    except EditError:
        return tl
    return edited


def check_invariants(before: Timeline, after: Timeline, op: tuple[Any, ...]) -> None:
    assert after.duration == sum(c.length for c in after.clips)
    for clip in after.clips:
        if clip.media == GAP:
            assert clip.in_ == 0 < clip.out
        else:
            assert 0 <= clip.in_ < clip.out <= LENGTHS[clip.media]
    assert list(after.markers) == sorted(after.markers)
    assert len({m.frame for m in after.markers}) == len(after.markers)
    if op[0] == "lift" and after != before:
        assert after.duration <= before.duration and (not after.clips or after.clips[-1].media != GAP)
    if op[0] == "extract" and after != before:
        assert after.duration < before.duration
    if op[0] == "insert_clips" and after != before:
        assert after.duration == max(before.duration, op[1]) + sum(c.length for c in clips_of(op[2]))
    if op[0] == "overwrite" and after != before:
        assert after.duration == max(before.duration, op[1] + sum(c.length for c in clips_of(op[2])))
    if op[0] in ("set_gain", "set_mute"):
        assert [(c.media, c.in_, c.out) for c in after.clips] == [(c.media, c.in_, c.out) for c in before.clips]
        assert all(-60 <= c.gain_db <= 24 for c in after.clips)
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


def test_gaps_round_trip_and_are_validated(media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text(V1.format(a=media_dir / "a.mp4"))
    p = proj.load(path)
    tl = p.timeline.insert_clips(10, [gap(15)]).overwrite(50, [Clip("a", 0, 5)])
    proj.save(proj.Project(p.name, tl, path=path), path)
    text = path.read_text()
    assert "gap = 15" in text and "gap = 5" in text and '"gap"' not in text  # the gap media is never saved
    assert proj.load(path).timeline.clips == tl.clips
    bad = V1.replace("version = 1", "version = 2").format(a=media_dir / "a.mp4")
    bad += '[[clips]]\ngap = 0\n[[clips]]\ngap = "1s"\nmedia = "a"\n[[clips]]\ngap = "soon"\n'
    path.write_text(bad)
    with pytest.raises(ProjectError) as err:
        proj.load(path)
    text = str(err.value)
    assert "clips[1].gap: 0 is out of range" in text and "clips[2]: a gap has only a length" in text
    assert "clips[3].gap:" in text
    path.write_text(V1.format(a=media_dir / "a.mp4") + "[[clips]]\ngap = 3\n")
    with pytest.raises(ProjectError, match="gaps, gain_db and mute are not part of a version 1 file"):
        proj.load(path)


def test_gain_and_mute_round_trip_and_are_validated(media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(V1.format(a=media_dir / "a.mp4"))
    p = proj.load(path)
    tl = p.timeline.split(10).set_gain([0], -6.5).set_mute([1], True)
    assert tl.clips[0].audio_gain == pytest.approx(10 ** (-6.5 / 20)) and tl.clips[1].audio_gain == 0.0
    proj.save(proj.Project(p.name, tl, path=path), path)
    text = path.read_text()
    assert "gain_db = -6.5" in text and "mute = true" in text and text.count("gain_db") == 1
    assert proj.load(path).timeline.clips == tl.clips
    bad = V1.replace("version = 1", "version = 2").format(a=media_dir / "a.mp4")
    bad = bad.replace("out = 30\n", "out = 30\ngain_db = 90\nmute = 1\n")
    bad += '[[clips]]\nmedia = "a"\nin = 0\nout = 5\ngain_db = nan\n'
    path.write_text(bad)
    with pytest.raises(ProjectError) as err:
        proj.load(path)
    text = str(err.value)
    assert "clips[0].gain_db: 90 is not between -60 and 24 dB" in text
    assert "clips[1].gain_db: nan" in text


def test_gain_is_clamped_and_gaps_have_no_sound() -> None:
    tl = base().lift([1])
    assert tl.set_gain([0, 1], 100).clips[:2] == (Clip("a", 0, 200, 24.0), gap(150))
    assert tl.set_gain([0], -6.04).clips[0].gain_db == -6.0
    assert tl.set_mute([0], True).split(50).clips[:2] == (Clip("a", 0, 50, mute=True), Clip("a", 50, 200, mute=True))


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
