"""The selection rule (``tui.editor.editing``): every clip key acts on the clip selected with tab, else
on the clip under the playhead; moving the playhead keeps the selection, esc clears it, deleting
the clip drops it. Through the real app (Pilot), and as rules."""

from __future__ import annotations

from core.model.timeline import Clip
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp
from tui.editor import editing
from tui.editor.editing import Cursor
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView

SIZE = (120, 30)
TL = three_clips().timeline  # clips [0,60) a 0-60, [60,150) b 100-190, [150,180) a 200-230
A, B, C = TL.clips


def notes(app: LivecutApp) -> list[str]:
    """Toasts (warnings, errors) and the status line's message (notes)."""
    return [n.message for n in app._notifications] + [app.editor.message]


def clips(app: LivecutApp) -> tuple[Clip, ...]:
    return app.document.timeline.clips


def status(app: LivecutApp) -> str:
    return app.editor.query_one(StatusLine).render_line(0).text


async def test_the_status_line_says_which_clip_the_keys_act_on() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "clip 1/3 under playhead: a.mp4" in status(app)
        await pilot.press("tab")  # the first tab selects the clip under the playhead (#26)
        await pilot.pause()
        assert "clip 1/3 selected: a.mp4" in status(app)
        await pilot.press("tab", "tab")
        await pilot.pause()
        assert "clip 3/3 selected: a.mp4" in status(app)
        await pilot.press("down", "right", "shift+right", "end", "home")  # no playhead move drops it
        await pilot.pause()
        assert "clip 3/3 selected" in status(app)
        view = app.editor.query_one(TimelineView)
        assert view.state.selected == 2 and view.state.picked
        await pilot.press("escape")
        await pilot.pause()
        assert "clip 1/3 under playhead" in status(app) and not view.state.picked


async def test_the_selected_clip_is_bracketed_on_the_timeline() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.editor.query_one(TimelineView)
        rows = [view.render_line(y).text for y in range(1, 4)]
        assert not any("⎡" in r or "⎤" in r for r in rows)  # nothing selected: no brackets
        await pilot.press("tab", "tab")  # clip 2 (b.mp4), the playhead stays in clip 1
        await pilot.pause()
        rows = [view.render_line(y).text for y in range(1, 4)]
        assert [r.count("⎡") + r.count("⎢") + r.count("⎣") for r in rows] == [1, 1, 1]
        assert [r.count("⎤") + r.count("⎥") + r.count("⎦") for r in rows] == [1, 1, 1]
        assert rows[0].index("⎡") < rows[0].index("b.mp4") < rows[0].index("⎤")
        await pilot.press("v")  # marked: a ✓ before the name
        await pilot.pause()
        assert "✓b.mp4" in view.render_line(1).text


async def test_every_clip_key_acts_on_the_selection_wherever_the_playhead_is() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("tab", "tab", "tab", "home")  # clip 3 selected, the playhead in clip 1
        await pilot.press("ctrl+down", "u")  # gain and mute: clip 3
        assert clips(app)[2] == Clip("a", 200, 230, -1.0, True) and clips(app)[0] == A
        await pilot.press("right_square_bracket", "comma")  # nudge clip 3's end
        assert clips(app)[2].out == 229 and clips(app)[1] == B
        assert ed.cursor.picked == 2 and ed.cursor.playhead == 60 + 90 + 29 - 1  # shows the new end
        await pilot.press("home", "left_curly_bracket")  # move clip 3 left: the selection goes with it
        assert clips(app)[1].in_ == 200 and ed.cursor.picked == 1
        assert editing.selected(app.document.timeline, ed.cursor) == 1
        await pilot.press("home", "s")  # split cuts at the playhead: not inside the selected clip
        assert len(clips(app)) == 3
        assert any("not over the selected clip 2/3" in n for n in notes(app))
        await pilot.press("x")  # delete the selected clip (the playhead's picture stays)
        assert clips(app) == (A, B)
        assert ed.cursor.picked is None and ed.cursor.playhead == 0  # deleted: no selection
        assert "clip 1/2 under playhead" in status(app)


async def test_without_a_selection_the_keys_act_under_the_playhead() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("down", *["right"] * 10, "i")  # clip 2 trimmed to frame 70's source
        assert clips(app)[1] == Clip("b", 110, 190) and ed.cursor.picked is None
        await pilot.press("end", "ctrl+up")  # the playhead moved on: so did the target
        assert clips(app)[2].gain_db == 1.0 and clips(app)[1].gain_db == 0.0
        await pilot.press("s")
        assert len(clips(app)) == 4 and ed.cursor.picked is None


async def test_an_edit_keeps_the_selection_on_its_clip() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press("tab", "tab", "v", "tab")  # clip 2 marked, clip 3 selected
        await pilot.press("x")  # extract the marked clip 2: clip 3 is now clip 2, still selected
        assert clips(app) == (A, C) and ed.cursor.picked == 1
        await pilot.press("home", "ctrl+c", "ctrl+v")  # copy the selected clip, paste it at 0
        assert clips(app) == (C, A, C) and ed.cursor.picked == 2
        await pilot.press("ctrl+z")  # undo keeps the selection's index where the timeline still has it
        assert clips(app) == (A, C) and ed.cursor.picked is None
        await pilot.press("ctrl+z", "tab", "tab")
        assert clips(app) == TL.clips and ed.cursor.picked == 1
        await pilot.press("escape")
        assert ed.cursor == Cursor(ed.cursor.playhead)


def test_rules_follow_the_selected_clip_through_edits_of_others() -> None:
    picked = Cursor(0, picked=2)
    out = editing.lift(TL, Cursor(0, picked=2, marked=frozenset({1})))  # a gap where clip 2 was
    assert out.cursor.picked == 2 and out.timeline.clips[2] == C
    out = editing.paste(TL, picked, (A,), overwrite=True)  # over clip 1: clip 3 untouched
    assert out.cursor.picked == 2 and out.timeline.clips[2] == C
    out = editing.paste(TL, Cursor(160, picked=2), (A,), overwrite=False)  # inside clip 3: cut in two
    assert out.cursor.picked is None
    out = editing.split(TL, Cursor(100, picked=1))
    assert out.cursor.picked == 2 and out.timeline.clips[2] == Clip("b", 140, 190)


async def test_the_bin_highlight_follows_the_playhead_when_playback_stops() -> None:
    """While playing, the bin keeps its highlight across cuts (a change there made Textual redraw
    the whole preview pane at every cut); it catches up as soon as playback stops."""
    import asyncio

    from tui.widgets.media_bin import MediaBin

    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("shift+right")  # frame 30, in clip 1 (a.mp4); clip 2 (b.mp4) starts at 60
        await pilot.pause()
        bin_widget = app.editor.query_one(MediaBin)
        assert bin_widget.current == "a"
        await pilot.press("space")
        for _ in range(100):
            await asyncio.sleep(0.05)
            if app.editor.cursor.playhead > 70:
                break
        assert app.editor.cursor.playhead > 60 and app.editor.transport.playing
        assert "clip 2/3" in status(app)  # the status line follows the cut at once
        assert bin_widget.current == "a"
        await pilot.press("space")
        await pilot.pause()
        assert not app.editor.transport.playing
        assert bin_widget.current == "b"
