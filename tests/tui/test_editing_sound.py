"""Clip gain and mute keys (Pilot) and rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import EditError
from core.model.timeline import Clip
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp
from tui.editor import editing
from tui.editor.editing import Cursor
from tui.settings.config import Config
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)


def clips(app: LivecutApp) -> tuple[Clip, ...]:
    return app.document.timeline.clips


def test_rules() -> None:
    tl = three_clips().timeline
    out = editing.change_gain(tl, Cursor(0, None, None, frozenset({0, 2})), -3)
    assert [c.gain_db for c in out.timeline.clips] == [-3.0, 0.0, -3.0] and out.label == "gain -3.0 dB"
    assert out.cursor.marked == {0, 2}
    muted = editing.toggle_mute(out.timeline, Cursor(0))
    assert muted.timeline.clips[0].mute and muted.label == "mute"
    assert not editing.toggle_mute(muted.timeline, Cursor(0)).timeline.clips[0].mute
    with pytest.raises(EditError, match="gap has no sound"):
        editing.toggle_mute(tl.lift([1]), Cursor(70))
    loud = tl.set_gain([0], 24)
    with pytest.raises(EditError, match="limit"):
        editing.change_gain(loud, Cursor(0), 1)


async def test_gain_and_mute_keys() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+down", "ctrl+down", "ctrl+down")
        assert clips(app)[0].gain_db == -3.0
        await pilot.press("down", "u")
        assert clips(app)[1].mute and app.document.history.undo_label == "mute"
        await pilot.pause()
        label = app.editor.query_one(TimelineView).render_line(1).text
        assert "-3.0dB" in label and "MUTE" in label
        await pilot.press("ctrl+up", "u")
        assert clips(app)[1] == Clip("b", 100, 190, 1.0, False)
        await pilot.press(*["ctrl+z"] * 6)
        assert clips(app) == three_clips().timeline.clips and not app.document.dirty


async def test_sound_keys_are_remappable(tmp_path: Path) -> None:
    config = Config(keys={"mute": "ctrl+t"}, path=tmp_path / "config.toml")
    app = make_app(three_clips(), config=config)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u", "ctrl+t")
        assert clips(app)[0].mute
