"""Every editor key through the real app (Pilot): its effect on timeline, playhead and selection."""

from __future__ import annotations

from pathlib import Path

from core.model.timeline import Clip
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp
from tui.editor import viewport
from tui.screens.help import HelpScreen
from tui.settings.config import Config
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)


def notes(app: LivecutApp) -> list[str]:
    """Toasts (warnings, errors) and the status line's message (notes)."""
    return [n.message for n in app._notifications] + [app.editor.message]


def clips(app: LivecutApp) -> tuple[Clip, ...]:
    return app.document.timeline.clips


async def test_transport_keys() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("space")
        assert ed.transport.speed == 1
        await pilot.press("space")
        assert not ed.transport.playing
        await pilot.press("l", "l", "l")
        assert ed.transport.speed == 4
        await pilot.press("j")
        assert ed.transport.speed == -1
        await pilot.press("j")
        assert ed.transport.speed == -2
        await pilot.press("k")
        assert not ed.transport.playing
        await pilot.press("l")
        await pilot.pause(0.4)  # the stand-in clock moves the playhead while playing
        await pilot.press("k")
        assert ed.cursor.playhead > 0


async def test_navigation_keys() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("right", "right", "right", "left")
        assert ed.cursor.playhead == 2
        await pilot.press("shift+right")
        assert ed.cursor.playhead == 32
        await pilot.press("shift+left", "shift+left")
        assert ed.cursor.playhead == 0
        await pilot.press("down")
        assert ed.cursor.playhead == 60
        await pilot.press("down", "down")
        assert ed.cursor.playhead == 179  # the last frame
        await pilot.press("up")
        assert ed.cursor.playhead == 150
        await pilot.press("home")
        assert ed.cursor.playhead == 0
        await pilot.press("end")
        assert ed.cursor.playhead == 179
        await pilot.press("l", "left")  # a step pauses playback
        assert not ed.transport.playing


async def test_selection_keys() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        view = app.editor.query_one(TimelineView)
        assert view.state.selected == 0
        await pilot.press("tab")  # the clip under the playhead first (#26)
        assert view.state.selected == 0 and ed.cursor.playhead == 0 and ed.cursor.picked == 0
        await pilot.press("tab")
        assert view.state.selected == 1 and ed.cursor.playhead == 0
        await pilot.press("tab", "tab")
        assert view.state.selected == 0
        await pilot.press("shift+tab")
        assert view.state.selected == 2
        await pilot.press("right")  # moving the playhead keeps the selection
        assert view.state.selected == 2 and view.state.picked
        await pilot.press("escape")  # esc clears it: the clip under the playhead again
        assert view.state.selected == 0 and not view.state.picked
        await pilot.press("left_square_bracket")
        assert view.state.edge == "in"
        await pilot.press("right_square_bracket")
        assert view.state.edge == "out"
        await pilot.press("right_square_bracket")
        assert view.state.edge is None


async def test_trim_keys_act_on_the_selected_clip() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("down", *["right"] * 10)  # frame 70: clip 1 shows source 110
        await pilot.press("i")
        assert clips(app)[1] == Clip("b", 110, 190)
        assert ed.cursor.playhead == 60 and ed.cursor.edge == "in"
        await pilot.press(*["right"] * 20, "o")
        assert clips(app)[1] == Clip("b", 110, 131)
        assert ed.cursor.playhead == 80
        await pilot.press("tab", "tab", "i")  # clip 3 is selected, the playhead is in clip 1: refused, with a reason
        assert clips(app)[2] == Clip("a", 200, 230)
        assert any("not over the selected clip 3/3" in n for n in notes(app))


async def test_nudge_keys() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("full_stop")
        assert any("select an edge" in n for n in notes(app))
        await pilot.press("down", "left_square_bracket", "full_stop", "full_stop")
        assert clips(app)[1] == Clip("b", 102, 190)
        await pilot.press("comma")
        assert clips(app)[1] == Clip("b", 101, 190)
        await pilot.press("right_square_bracket", "less_than_sign")
        assert clips(app)[1] == Clip("b", 101, 160)
        assert ed.cursor.playhead == 60 + 59 - 1  # shows the new last frame
        await pilot.press("greater_than_sign")
        assert clips(app)[1] == Clip("b", 101, 190)
        assert app.document.history.undo_label == "nudge end"


async def test_split_delete_move_undo_redo() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("down", *["right"] * 30, "s")
        assert [c.length for c in clips(app)] == [60, 30, 60, 30]
        assert ed.cursor.playhead == 90
        await pilot.press("ctrl+b")  # at an edit point now: refused
        assert len(clips(app)) == 4
        await pilot.press("x")
        assert [c.length for c in clips(app)] == [60, 30, 30]
        await pilot.press("home", "delete")
        assert [c.length for c in clips(app)] == [30, 30]
        await pilot.press("ctrl+right")
        assert clips(app) == (Clip("a", 200, 230), Clip("b", 100, 130))
        assert ed.cursor.playhead == 30  # still on the moved clip
        await pilot.press("ctrl+left")
        assert clips(app) == (Clip("b", 100, 130), Clip("a", 200, 230))
        await pilot.press("right_curly_bracket")  # { and }: the moves that work on macOS terminals too
        assert clips(app) == (Clip("a", 200, 230), Clip("b", 100, 130))
        await pilot.press("left_curly_bracket")
        assert clips(app) == (Clip("b", 100, 130), Clip("a", 200, 230))
        await pilot.press("ctrl+z", "ctrl+z")
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z", "ctrl+z", "ctrl+z")
        assert clips(app) == three_clips().timeline.clips
        assert not app.document.dirty
        await pilot.press("ctrl+z")
        assert "nothing to undo" in notes(app)
        await pilot.press("ctrl+y", "ctrl+y")
        assert [c.length for c in clips(app)] == [60, 30, 30]
        assert ed.message == "Redo delete clip"


async def test_zoom_keys() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.pause()
        fit = ed.scale.fpc
        assert fit == viewport.fit_fpc(180, ed.query_one(TimelineView).size.width)
        await pilot.press("plus")
        assert ed.scale.fpc == fit / 2
        await pilot.press("equals_sign", "minus")
        assert ed.scale.fpc == fit / 2
        await pilot.press("0")
        assert ed.state.zoom is None and ed.scale.fpc == fit
        await pilot.press(*["plus"] * 6, "end")
        view = ed.query_one(TimelineView)
        assert 0 <= ed.scale.col(179) < view.size.width  # the view follows the playhead


async def test_help_lists_every_key_and_closes() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1", "q")
        assert not isinstance(app.screen, HelpScreen)


async def test_keys_are_remappable_from_config(tmp_path: Path) -> None:
    config = Config(keys={"split": "ctrl+k", "undo": "u"}, path=tmp_path / "config.toml")
    app = make_app(three_clips(), config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "right", "s")
        assert len(clips(app)) == 3  # s is no longer split
        await pilot.press("ctrl+k")
        assert len(clips(app)) == 4
        await pilot.press("u")
        assert len(clips(app)) == 3
        assert app.editor.help_hint == "? help"


async def test_command_palette_runs_editor_actions() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "right", "ctrl+p")
        await pilot.pause()
        for ch in "split at":
            await pilot.press("space" if ch == " " else ch)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert len(clips(app)) == 4
