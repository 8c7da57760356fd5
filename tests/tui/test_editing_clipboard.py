"""Multi-selection, lift / extract, gaps and the clipboard through the real app (Pilot) and as rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import EditError
from core.model.timeline import Clip, gap
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp
from tui.editor import editing
from tui.editor.editing import Cursor
from tui.settings.config import Config
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)
A, B, C = three_clips().timeline.clips  # a[0,60) b[100,190) a[200,230): starts 0, 60, 150


def notes(app: LivecutApp) -> list[str]:
    """Toasts (warnings, errors) and the status line's message (notes)."""
    return [n.message for n in app._notifications] + [app.editor.message]


def clips(app: LivecutApp) -> tuple[Clip, ...]:
    return app.document.timeline.clips


def test_rules() -> None:
    tl = three_clips().timeline
    cur = editing.toggle_mark(tl, Cursor(70))
    assert cur.marked == {1}
    assert editing.seek(tl, cur, 0).marked == {1}  # moving keeps the marks
    cur = editing.toggle_mark(tl, editing.seek(tl, cur, 0))
    assert editing.targets(tl, cur) == [0, 1] and editing.copy(tl, cur) == (A, B)
    lifted = editing.lift(tl, cur)
    assert lifted.timeline.clips == (gap(150), C) and lifted.label == "lift 2 clips"
    assert lifted.cursor == Cursor(0)
    out = editing.delete(tl, cur)  # with marks, delete extracts them
    assert out.timeline.clips == (C,) and out.label == "extract 2 clips"
    pasted = editing.paste(tl, Cursor(10), (B,), overwrite=False)
    assert pasted.timeline.clips == (Clip("a", 0, 10), B, Clip("a", 10, 60), B, C)
    assert pasted.cursor.playhead == 100
    over = editing.paste(tl, Cursor(10), (B,), overwrite=True)
    assert over.timeline.clips == (Clip("a", 0, 10), B, Clip("b", 140, 190), C)
    with pytest.raises(EditError, match="clipboard is empty"):
        editing.paste(tl, Cursor(10), (), overwrite=False)
    assert editing.after_history(tl.extract([2]), Cursor(0, None, None, frozenset({0, 2}))).marked == {0}


async def test_lift_leaves_a_gap_that_can_be_deleted() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "z")
        assert clips(app) == (A, gap(90), C)
        assert app.document.timeline.duration == 180 and app.editor.cursor.playhead == 60
        await pilot.pause()
        view = app.editor.query_one(TimelineView)
        assert "gap 3.0s" in view.render_line(1).text and "·" in view.render_line(2).text
        await pilot.press("x")  # the gap is a clip like any other: deleting it closes it
        assert clips(app) == (A, C)
        await pilot.press("ctrl+z", "ctrl+z")
        assert clips(app) == (A, B, C) and not app.document.dirty


async def test_multi_selection_copy_paste_cut() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("v", "end", "v")
        assert ed.cursor.marked == {0, 2}
        await pilot.pause()
        assert "2 marked" in ed.query_one(StatusLine).render_line(0).text
        await pilot.press("ctrl+c")
        assert ed.state.clipboard == (A, C) and ed.message == "copied 2 clips"
        await pilot.press("home", "down", "ctrl+v")  # insert at 60
        assert clips(app) == (A, A, C, B, C) and ed.cursor.playhead == 150
        assert ed.cursor.marked == frozenset()  # an edit clears the marks
        await pilot.press("home", "V")  # overwrite at 0: A and C over A and 30 frames of A
        assert clips(app) == (A, C, Clip("a", 30, 60), C, B, C)
        await pilot.press("ctrl+a")
        assert ed.cursor.marked == frozenset(range(6))
        await pilot.press("escape")
        assert ed.cursor.marked == frozenset()
        await pilot.press("home", "ctrl+x")  # cut = copy + extract
        assert ed.state.clipboard == (A,) and clips(app)[0] == C
        assert app.document.history.undo_label == "extract clip"


async def test_paste_with_an_empty_clipboard_explains() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+v")
        assert any("clipboard is empty" in n for n in notes(app))
        assert clips(app) == (A, B, C)


async def test_clipboard_keys_are_remappable(tmp_path: Path) -> None:
    config = Config(keys={"lift": "L", "mark_clip": "ctrl+t"}, path=tmp_path / "config.toml")
    app = make_app(three_clips(), config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z", "ctrl+t", "L")
        assert clips(app) == (gap(60), B, C)
