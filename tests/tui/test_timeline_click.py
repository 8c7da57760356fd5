"""A click on the timeline moves the playhead there."""

from __future__ import annotations

from tests.tui.conftest import make_app, three_clips
from tui.widgets.timeline_view import TimelineView


async def test_click_on_the_ruler_seeks() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        view = app.editor.query_one(TimelineView)
        scale = view.state.scale
        await pilot.click(TimelineView, offset=(40, 0))
        await pilot.pause()
        assert app.editor.cursor.playhead == scale.frame(40)
        await pilot.click(TimelineView, offset=(5, 2))
        await pilot.pause()
        assert app.editor.cursor.playhead == scale.frame(5)
