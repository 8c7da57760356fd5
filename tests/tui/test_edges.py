"""Empty and edge states: nothing plays past either end, and an empty timeline shows no old picture."""

from __future__ import annotations

import numpy as np

from core.model.project import new_project
from tests.tui.conftest import make_app, three_clips
from tui.bridge.messages import PreviewFrame
from tui.widgets.preview_pane import PreviewPane

SIZE = (100, 30)


async def test_an_empty_timeline_does_not_play() -> None:
    app = make_app(new_project("empty"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert not app.editor.transport.playing
        assert app.editor.message == "nothing to play: the timeline is empty"
        await pilot.press("l", "j")
        assert not app.editor.transport.playing


async def test_no_play_past_either_end() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "l")
        assert not app.editor.transport.playing and app.editor.message == "at the end of the timeline"
        await pilot.press("home", "j")
        assert not app.editor.transport.playing and app.editor.message == "at the start of the timeline"
        await pilot.press("l")  # from the start, forwards plays
        assert app.editor.transport.playing


async def test_deleting_every_clip_clears_the_picture() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        editor.post_message(PreviewFrame(np.full((36, 64, 3), 200, dtype=np.uint8)))
        await pilot.pause(0.2)
        pane = editor.query_one(PreviewPane)
        assert pane.frame is not None
        for _ in range(len(app.document.timeline.clips)):
            await pilot.press("x")
        await pilot.pause()
        assert not app.document.timeline.clips
        assert pane.frame is None and "empty timeline" in pane.placeholder[0]
