"""Markers, go to timecode and the trim modes through the real app (Pilot), plus their pure rules."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from core.errors import EditError
from core.model.timeline import Clip, Marker
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp
from tui.editor import editing
from tui.editor.editing import Cursor
from tui.screens.path_prompt import PathPrompt
from tui.settings.config import Config
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)
FPS = Fraction(30)


def notes(app: LivecutApp) -> list[str]:
    """Toasts (warnings, errors) and the status line's message (notes)."""
    return [n.message for n in app._notifications] + [app.editor.message]


def clips(app: LivecutApp) -> tuple[Clip, ...]:
    return app.document.timeline.clips


def ruler(app: LivecutApp) -> str:
    return app.editor.query_one(TimelineView).render_line(0).text


async def type_text(pilot: object, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)  # type: ignore[attr-defined]


# -- pure rules ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("00:00:02:00", 60),
        ("1:02:03:04", ((62 * 60) + 3) * 30 + 4),
        ("2:10", 70),
        ("1:00:00", 1800),
        ("90", 90),
        ("90f", 90),
        ("2.5s", 75),
        ("+2s", 160),
        ("-10f", 90),
        ("+ 15", 115),
        ("-1:00", 70),
    ],
)
def test_parse_goto(text: str, frame: int) -> None:
    assert editing.parse_goto(text, 100, FPS) == frame


@pytest.mark.parametrize("text", ["", "abc", "1.5", "00:00:00:30", "1:61:00", "++2s", "2m"])
def test_parse_goto_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        editing.parse_goto(text, 100, FPS)


def test_goto_clamps_and_explains() -> None:
    tl = three_clips().timeline
    assert editing.goto(tl, Cursor(10), "+10s").playhead == 179
    assert editing.goto(tl, Cursor(10), "-1s").playhead == 0
    with pytest.raises(EditError, match="not a time"):
        editing.goto(tl, Cursor(10), "soon")


def test_trim_modes_rules() -> None:
    tl = three_clips().timeline  # a[0,60) b[100,190) a[200,230)
    with pytest.raises(EditError, match="select the edit point"):
        editing.trim_step(tl, Cursor(70), "roll", 1)
    out = editing.trim_step(tl, Cursor(70, None, "out"), "roll", 5)
    assert out.timeline.clips[1:] == (Clip("b", 100, 195), Clip("a", 205, 230))
    assert out.cursor.playhead == 154 and out.label == "roll edit"  # the outgoing clip's new last frame
    inn = editing.trim_step(tl, Cursor(70, None, "in"), "roll", -5)
    assert inn.timeline.clips[:2] == (Clip("a", 0, 55), Clip("b", 95, 190)) and inn.cursor.playhead == 55
    with pytest.raises(EditError, match="each side"):
        editing.trim_step(tl, Cursor(0, None, "in"), "roll", 1)
    slip = editing.trim_step(tl, Cursor(70), "slip", -30)
    assert slip.timeline.clips[1] == Clip("b", 70, 160) and slip.cursor.playhead == 70
    slide = editing.trim_step(tl, Cursor(70), "slide", 10)
    assert slide.timeline.clips == (Clip("a", 0, 70), Clip("b", 100, 190), Clip("a", 210, 230))
    assert slide.cursor.playhead == 80  # still on the same picture of the slid clip
    far = editing.trim_step(slide.timeline, slide.cursor, "slide", 1000)
    assert far.timeline.clips[2] == Clip("a", 229, 230)  # clamped: the next clip keeps one frame
    with pytest.raises(EditError, match="cannot slide further"):
        editing.trim_step(far.timeline, far.cursor, "slide", 1)


# -- keys ----------------------------------------------------------------------------------------------
async def test_marker_keys_add_remove_jump_and_undo() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("right", "right", "m", "down", "m", "end", "m")
        assert [m.frame for m in app.document.timeline.markers] == [2, 60, 179]
        await pilot.press("home")
        await pilot.pause()
        assert ruler(app).count("◆") == 3
        await pilot.press("end", "shift+up")
        assert ed.cursor.playhead == 60
        await pilot.press("shift+up", "shift+up")
        assert ed.cursor.playhead == 2 and any("no marker before" in n for n in notes(app))
        await pilot.press("shift+down", "m")
        assert [m.frame for m in app.document.timeline.markers] == [2, 179]
        assert app.document.history.undo_label == "remove marker"
        await pilot.press("ctrl+z")
        assert [m.frame for m in app.document.timeline.markers] == [2, 60, 179]


async def test_marker_name_prompt_and_ruler_label() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "M")
        assert isinstance(app.screen, PathPrompt)
        await type_text(pilot, "laugh")
        await pilot.press("enter")
        await pilot.pause()
        assert app.document.timeline.markers == (Marker(60, "laugh"),)
        await pilot.press("home")
        await pilot.pause()
        assert "◆ laugh " in ruler(app)
        await pilot.press("down")
        await pilot.press("M", "escape")  # cancelled: nothing changes
        assert app.document.timeline.markers == (Marker(60, "laugh"),)
        assert app.document.history.undo_label == "name marker"


async def test_goto_key() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("g")
        assert isinstance(app.screen, PathPrompt)
        await type_text(pilot, "+2s")
        await pilot.press("enter")
        await pilot.pause()
        assert ed.cursor.playhead == 60
        await pilot.press("g", *"-10f", "enter")
        await pilot.pause()
        assert ed.cursor.playhead == 50
        await pilot.press("g", *"00:00:05:03", "enter")
        await pilot.pause()
        assert ed.cursor.playhead == 153
        await pilot.press("g", *"later", "enter")
        await pilot.pause()
        assert ed.cursor.playhead == 153 and any("not a time" in n for n in notes(app))


async def test_trim_mode_key_roll_slip_slide() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("down", "t")
        assert ed.state.trim_mode == "roll" and ed.message == "trim mode: roll (edit point)"
        await pilot.press("left", "right")  # moving clears the message: the selection shows the mode
        await pilot.pause()
        assert "· roll" in ed.query_one(StatusLine).render_line(0).text
        await pilot.press("right_square_bracket", "full_stop")
        assert clips(app) == (Clip("a", 0, 60), Clip("b", 100, 191), Clip("a", 201, 230))
        await pilot.press("greater_than_sign")  # one second, clamped: the next clip keeps a frame
        assert clips(app)[1:] == (Clip("b", 100, 219), Clip("a", 229, 230))
        await pilot.press("comma")
        assert clips(app)[1:] == (Clip("b", 100, 218), Clip("a", 228, 230))
        await pilot.press("t", "full_stop")
        assert ed.state.trim_mode == "slip" and clips(app)[1] == Clip("b", 101, 219)
        await pilot.press("t", "less_than_sign")
        assert ed.state.trim_mode == "slide"
        assert clips(app) == (Clip("a", 0, 30), Clip("b", 101, 219), Clip("a", 198, 230))
        assert app.document.history.undo_label == "slide clip"
        await pilot.press("t")
        assert ed.state.trim_mode == "trim"
        await pilot.press(*["ctrl+z"] * 5)
        assert clips(app) == three_clips().timeline.clips and not app.document.dirty


async def test_new_keys_are_remappable(tmp_path: Path) -> None:
    config = Config(keys={"marker_toggle": "n", "goto": "ctrl+g", "trim_mode": "r"}, path=tmp_path / "config.toml")
    app = make_app(three_clips(), config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m", "right", "n")
        assert [m.frame for m in app.document.timeline.markers] == [1]
        await pilot.press("r")
        assert app.editor.state.trim_mode == "roll"
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, PathPrompt)
