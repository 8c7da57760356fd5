"""The source view and three-point insert / overwrite through the real app (Pilot) and as rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import EditError
from core.model.timeline import Clip, Marker
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp
from tui.editor import editing
from tui.editor.editing import Cursor, SourceMarks
from tui.settings.config import Config
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)
A, B, C = three_clips().timeline.clips  # a[0,60) b[100,190) a[200,230); a and b are 300 frames long


def clips(app: LivecutApp) -> tuple[Clip, ...]:
    return app.document.timeline.clips


def test_rules() -> None:
    tl = three_clips().timeline
    marks = editing.mark_source(SourceMarks(), "in", 10)
    marks = editing.mark_source(marks, "out", 40)
    assert marks == SourceMarks(10, 41)
    assert editing.mark_source(marks, "in", 50) == SourceMarks(50, None)  # out before in is dropped
    assert editing.mark_source(marks, "out", 5) == SourceMarks(None, 6)
    assert editing.source_clip(tl, "a", marks) == Clip("a", 10, 41)
    assert editing.source_clip(tl, "b", SourceMarks()) == Clip("b", 0, 300)
    assert editing.source_clip(tl, "b", SourceMarks(250, None)) == Clip("b", 250, 300)
    view = editing.source_timeline(tl, "a", marks)
    assert view.clips == (Clip("a", 0, 300),) and view.markers == (Marker(10, "IN"), Marker(40, "OUT"))
    assert editing.source_timeline(tl, "a", SourceMarks(7, 8)).markers == (Marker(7, "IN/OUT"),)
    ins = editing.three_point(tl, Cursor(60), Clip("a", 10, 41), overwrite=False)
    assert ins.timeline.clips == (A, Clip("a", 10, 41), B, C) and ins.label == "insert a.mp4"
    assert ins.cursor.playhead == 91
    over = editing.three_point(tl, Cursor(60), Clip("a", 10, 41), overwrite=True)
    assert over.timeline.clips == (A, Clip("a", 10, 41), Clip("b", 131, 190), C)
    assert over.timeline.duration == tl.duration


def test_offline_media_cannot_be_viewed() -> None:
    from tests.tui.conftest import ref

    tl = three_clips().timeline.add_media(ref("x", "x.mp4", online=False))
    with pytest.raises(EditError, match="offline"):
        editing.source_timeline(tl, "x", SourceMarks())


async def test_source_view_marks_and_three_point_insert_and_overwrite() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("down")  # the timeline's playhead at 60
        await pilot.press("b")
        assert ed.state.source.view is not None and ed.shown.clips == (Clip("a", 0, 300),)
        assert ed.cursor.playhead == 0 and ed.query_one(TimelineView).state.timeline == ed.shown
        await pilot.press(*["right"] * 10, "i", "shift+right", "o")
        assert ed.state.source.marks["a"] == SourceMarks(10, 41) and clips(app) == (A, B, C)  # i/o marked, not trimmed
        await pilot.press("x", "s", "m", "z")  # edits do nothing in the source view
        assert clips(app) == (A, B, C) and app.document.timeline.markers == ()
        assert ed.message.startswith("source 00:00:00:10–00:00:01:11 (31 frames)")
        await pilot.press("left", "right")  # moving clears the message: the status shows the marks
        await pilot.pause()
        status = ed.query_one(StatusLine).render_line(0).text
        assert "SOURCE a.mp4 · in 00:00:00:10 out 00:00:01:11" in status
        assert "IN" in ed.query_one(TimelineView).render_line(0).text
        await pilot.press("escape")
        assert ed.state.source.view is None and ed.cursor.playhead == 60 and ed.shown == app.document.timeline
        await pilot.press("n")  # insert the marked range at the playhead
        assert clips(app) == (A, Clip("a", 10, 41), B, C) and ed.cursor.playhead == 91
        await pilot.press("home", "f9")  # again: a bin item can be used many times
        assert clips(app)[:2] == (Clip("a", 10, 41), A)
        await pilot.press("b")  # back in the source view of a, where it was, marks kept
        assert ed.cursor.playhead == 40 and ed.state.source.marks["a"] == SourceMarks(10, 41)
        await pilot.press("b")  # the next bin item
        assert ed.state.source.media == "b" and ed.shown.clips == (Clip("b", 0, 300),)
        await pilot.press("end", "shift+left", "i", "r")  # overwrite from the source view: back to the timeline
        assert ed.state.source.view is None
        # at the playhead (31, after the last insert), over the first 31 frames of A
        assert clips(app) == (Clip("a", 10, 41), Clip("b", 269, 300), Clip("a", 31, 60), Clip("a", 10, 41), B, C)
        assert app.document.history.undo_label == "overwrite b.mp4"
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z")
        assert clips(app) == (A, B, C) and not app.document.dirty


async def test_i_and_o_still_trim_on_the_timeline_and_b_cycles_back() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("right", "i")
        assert clips(app)[0] == Clip("a", 1, 60)
        await pilot.press("b", "b", "b")  # a, b, then back to the timeline
        assert ed.state.source.view is None and ed.cursor.playhead == 0
        await pilot.press("f10")  # the last source shown (b, unmarked: all of it) over the timeline
        assert clips(app)[0] == Clip("b", 0, 300)


async def test_insert_without_a_source_explains() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert "choose a source first" in app.editor.message


async def test_source_keys_are_remappable(tmp_path: Path) -> None:
    config = Config(keys={"mark_in": "I", "source_next": "ctrl+t"}, path=tmp_path / "config.toml")
    app = make_app(three_clips(), config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t", "right", "I")
        assert app.editor.state.source.marks["a"] == SourceMarks(1, None)
