"""The level meter in the status line while playing: the waveform at the playhead, with clip gain."""

from __future__ import annotations

import numpy as np

from core.media.waveform import Waveform
from tests.tui.conftest import make_app, three_clips
from tui.widgets.status_line import StatusLine, level_meter


def test_meter_levels() -> None:
    assert level_meter(0.85) == "♪█ -1 dB"  # under the limiter's ceiling (-1 dBTP)
    assert level_meter(0.5).startswith("♪") and "-6 dB" in level_meter(0.5)
    assert level_meter(0.0) == "♪▁ -∞ dB"
    assert level_meter(0.001)[1] == "▁"  # -60 dB: the floor


async def test_meter_shows_while_playing_and_follows_gain() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(120, 30)) as pilot:
        editor = app.editor
        first = app.document.timeline.clips[0].media
        editor.waves.ready = {first: Waveform(np.full(1000, 128, dtype=np.uint8))}  # half scale: -6 dB
        await pilot.press("right")
        assert "♪" not in editor.query_one(StatusLine).render().plain  # paused: no meter
        await pilot.press("space")
        await pilot.pause()
        assert (
            "♪" in editor.query_one(StatusLine).render().plain
            and "-6 dB" in editor.query_one(StatusLine).render().plain
        )
        await pilot.press("space")


def test_meter_shows_the_limiter_at_work() -> None:
    """#26: over the ceiling the meter says what plays (the ceiling) and by how much it is limited."""
    assert level_meter(1.0) == "♪█ -1 dB limit -1"
    assert level_meter(10 ** (12 / 20)) == "♪█ -1 dB limit -13"  # +12 dB of clip gain on a full-scale peak
