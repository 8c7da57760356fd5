"""Snapping, loop playback and the clip / frames / wheel zooms: rules and keys (Pilot)."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import pytest
from textual import events

from core.errors import EditError
from tests.tui.conftest import make_app, three_clips
from tui.editor import editing, viewport
from tui.editor.editing import Cursor, LoopRange, SourceMarks
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)


def test_snap_rules() -> None:
    tl = three_clips().timeline  # edit points 0, 60, 150, 180
    assert editing.snap_points(tl.add_marker(45)) == (0, 45, 60, 150, 180)
    assert editing.snap_delta(40, 30, (0, 60, 150)) == 20
    assert editing.snap_delta(70, -30, (0, 60, 150)) == -10
    assert editing.snap_delta(60, 30, (0, 60, 150)) == 30  # starting on a point does not hold it
    assert editing.snap_delta(59, 1, (60,)) == 1  # frame steps are exact
    assert editing.snapped_seek(tl.add_marker(45), Cursor(40), 30).playhead == 45
    marked = tl.add_marker(75)
    assert editing.snapped_trim(marked, Cursor(10, None, "out"), "roll", 30) == 15  # the edit point stops at 75
    assert editing.snapped_trim(marked, Cursor(10, None, "out"), "trim", 30) == 15
    assert editing.snapped_trim(marked, Cursor(10, None, "in"), "trim", 30) == 30  # nothing moves on the timeline
    assert editing.snapped_trim(marked, Cursor(70), "slide", 30) == 15  # the slid clip's start stops at 75
    assert editing.snapped_trim(marked, Cursor(70), "slip", 30) == 30


def test_loop_rules() -> None:
    tl = three_clips().timeline
    assert editing.loop_range(tl, Cursor(70), SourceMarks()) == LoopRange(60, 150)  # the selected clip
    assert editing.loop_range(tl, Cursor(70), SourceMarks(10, 31)) == LoopRange(10, 31)
    assert editing.loop_range(tl, Cursor(70), SourceMarks(100, None)) == LoopRange(100, 150)
    with pytest.raises(EditError, match="empty"):
        editing.loop_range(tl, Cursor(0), SourceMarks(100, 90))
    loop = LoopRange(10, 31)
    assert editing.loop_wrap(loop, 31, 1.0) == 10 and editing.loop_wrap(loop, 20, 1.0) is None
    assert editing.loop_wrap(loop, 30, 1.0) is None  # the last frame of the range plays (#26)
    assert editing.loop_wrap(loop, 10, -1.0) == 30 and editing.loop_wrap(loop, 5, 2.0) == 10


async def goto(pilot: object, text: str) -> None:
    await pilot.press("g", *text, "enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_snapping_key_and_second_steps() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await goto(pilot, "40")
        await pilot.press("shift+right")
        assert ed.cursor.playhead == 60  # stopped at the edit point
        await pilot.press("shift+right", "m")
        await goto(pilot, "80")
        await pilot.press("shift+right")
        assert ed.cursor.playhead == 90  # stopped at the marker at 90
        await pilot.press("S")
        assert not ed.state.snapping and ed.message == "snapping off"
        await goto(pilot, "40")
        await pilot.press("shift+right")
        assert ed.cursor.playhead == 70


async def test_snapped_roll_stops_at_a_marker() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await goto(pilot, "75f")
        await pilot.press("m", "home", "t", "right_square_bracket", "greater_than_sign")
        assert app.document.timeline.clips[0].out == 75  # one second would have been 90


async def test_loop_playback_stays_in_the_range() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await goto(pilot, "10")
        await pilot.press("I")
        await goto(pilot, "30")
        await pilot.press("O")
        assert ed.state.range_marks == SourceMarks(10, 31)
        await pilot.pause()
        assert ed.query_one(TimelineView).state.loop == (10, 31)
        await pilot.press("L")
        assert ed.state.loop == LoopRange(10, 31) and ed.transport.speed == 1
        seen = []
        for _ in range(16):  # the stand-in clock plays 30 fps: 1.6 s is two passes of 21 frames
            await asyncio.sleep(0.1)
            await pilot.pause()
            seen.append(ed.cursor.playhead)
        assert all(10 <= f <= 30 for f in seen), seen
        assert len(set(seen)) > 3 and ed.transport.playing
        await pilot.press("L")
        assert ed.state.loop is None and ed.message == "loop off"
        await pilot.press("k")


async def test_zoom_keys_and_wheel() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        view = ed.query_one(TimelineView)
        await pilot.press("down", "9")  # clip 2: frames 60..149
        width = view.size.width
        assert ed.state.zoom == viewport.clip_fpc(90, width)
        assert ed.scale.col(60) >= 0 and ed.scale.col(150) <= width
        await pilot.press("1")
        assert ed.scale.fpc == Fraction(1, 4) and 0 <= ed.scale.col(60) < width
        await pilot.press("0")
        assert ed.state.zoom is None
        fit = ed.scale.fpc
        view.post_message(events.MouseScrollUp(view, 5, 1, 0, -1, 0, False, False, False))
        await pilot.pause()
        assert ed.scale.fpc == fit / 2
        view.post_message(events.MouseScrollDown(view, 5, 1, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert ed.state.zoom is None
