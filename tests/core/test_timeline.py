from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import EditError
from core.model.history import History
from core.model.timeline import Clip, Timeline

from .helpers import timeline_with

LENGTHS = {"a": 300, "b": 250, "c": 97}


def base() -> Timeline:
    tl = timeline_with(LENGTHS)
    return tl.append(Clip("a", 0, 300)).append(Clip("b", 50, 200)).append(Clip("c", 10, 97))


def test_queries() -> None:
    tl = base()
    assert tl.duration == 300 + 150 + 87
    assert tl.starts() == (0, 300, 450)
    assert tl.edit_points() == (0, 300, 450, 537)
    placed = tl.clip_at(300)
    assert placed is not None and placed.index == 1 and placed.start == 300
    assert tl.clip_at(537) is None and tl.clip_at(-1) is None
    assert tl.source_frame(301) == (tl.clips[1], 51)


def test_split_and_ripple_delete() -> None:
    tl = base().split(310)
    assert [c.length for c in tl.clips] == [300, 10, 140, 87]
    assert tl.clips[1] == Clip("b", 50, 60) and tl.clips[2] == Clip("b", 60, 200)
    assert tl.split(300) == tl  # at an edit point: nothing to cut
    tl2 = tl.delete(1)
    assert tl2.duration == tl.duration - 10 and tl2.starts()[1] == 300


def test_trims_clamp_to_media() -> None:
    tl = base()
    assert tl.trim_out(1, 10_000).clips[1].out == 250
    assert tl.trim_in(1, -5).clips[1].in_ == 0
    assert tl.trim_in(1, 500).clips[1].in_ == 199  # in stays before out
    assert tl.trim_out(1, 0).clips[1].out == 51


def test_move_and_errors() -> None:
    tl = base()
    assert [c.media for c in tl.move(0, 1).clips] == ["b", "a", "c"]
    assert tl.move(0, -1) == tl
    with pytest.raises(EditError, match="no clip number"):
        tl.delete(7)
    with pytest.raises(EditError, match="past the end"):
        tl.append(Clip("c", 0, 98))
    with pytest.raises(EditError, match="no media"):
        tl.append(Clip("zz", 0, 1))
    with pytest.raises(EditError, match="not over a clip"):
        tl.split(10_000)


def test_insert_at_frame_splits() -> None:
    tl = base().insert_at_frame(100, Clip("c", 0, 5))
    assert [c.media for c in tl.clips] == ["a", "c", "a", "b", "c"]
    assert tl.duration == base().duration + 5


edit = st.one_of(
    st.tuples(st.just("trim_in"), st.integers(0, 20), st.integers(-50, 400)),
    st.tuples(st.just("trim_out"), st.integers(0, 20), st.integers(-50, 400)),
    st.tuples(st.just("split"), st.integers(0, 1500)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("move"), st.integers(0, 20), st.sampled_from([-1, 1])),
    st.tuples(st.just("append"), st.sampled_from(sorted(LENGTHS)), st.integers(0, 400), st.integers(1, 400)),
)


def apply(tl: Timeline, op: tuple) -> Timeline:
    name, *args = op
    try:
        if name == "append":
            mid, start, length = args
            start = min(start, LENGTHS[mid] - 1)
            return tl.append(Clip(mid, start, min(LENGTHS[mid], start + length)))
        if name in ("trim_in", "trim_out", "delete", "move") and tl.clips:
            args[0] = args[0] % len(tl.clips)
        return getattr(tl, name)(*args)
    except EditError:
        return tl


@settings(max_examples=150, deadline=None)
@given(st.lists(edit, max_size=30))
def test_random_edits_keep_invariants_and_undo_restores(ops: list[tuple]) -> None:
    start = base()
    history = History(start)
    for op in ops:
        tl = history.push(apply(history.present, op), op[0])
        assert tl.duration == sum(c.length for c in tl.clips)
        for clip in tl.clips:
            assert 0 <= clip.in_ < clip.out <= LENGTHS[clip.media]
        assert tl.starts() == tuple(sum(c.length for c in tl.clips[:i]) for i in range(len(tl.clips)))
    states = []
    while history.can_undo:
        states.append(history.present)
        history.undo()
    assert history.present == start and not history.dirty
    replay = []
    while history.can_redo:
        replay.append(history.redo())
    assert replay == list(reversed(states))


def test_history_dirty_and_labels() -> None:
    h = History(base())
    assert not h.dirty and h.undo_label is None
    h.push(h.present.delete(0), "delete")
    assert h.dirty and h.undo_label == "delete"
    h.mark_saved()
    assert not h.dirty
    h.undo()
    assert h.dirty and h.redo_label == "delete"
    h.push(h.present.delete(1), "delete b")  # drops the saved state from the redo tail
    h.undo()
    assert h.dirty
    assert h.push(h.present, "noop") == h.present and h.redo_label == "delete b"


def test_fps_is_exact() -> None:
    tl = timeline_with({"a": 1000}, Fraction(30000, 1001)).append(Clip("a", 0, 999))
    assert tl.duration == 999
