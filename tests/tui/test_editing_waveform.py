"""The timeline draws each clip's waveform from the real audio, computed in the background and cached."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.media.waveform import cache_path
from core.model import project as proj
from tests.core.test_edits_waveform import tone_burst
from tests.tui.conftest import make_app
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)


async def test_waveform_row_shows_the_burst_at_its_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVECUT_CACHE_DIR", str(tmp_path / "cache"))
    wav = tone_burst(tmp_path / "burst.wav")  # silence, a tone from 1.0 s to 1.5 s, silence to 2 s
    p = proj.new_from_media(tmp_path / "p.toml", [str(wav)], fps="30")
    app = make_app(p)
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        for _ in range(100):
            if ed.waves.ready:
                break
            await asyncio.sleep(0.05)
        await pilot.pause()
        view = ed.query_one(TimelineView)
        rows = [view.render_line(y).text for y in range(view.size.height)]
        wave = rows[-1]
        scale = ed.scale
        loud = [c for c, ch in enumerate(wave) if ch in "▄▅▆▇█"]
        assert loud, rows
        assert scale.frame(min(loud)) in range(28, 31) and scale.frame(max(loud) + 1) in range(45, 48)
        assert wave[scale.col(10)] == " " and wave[scale.col(55)] == " "
        assert list((tmp_path / "cache" / "waveforms").iterdir()) == [
            cache_path(tmp_path / "cache", _fp(wav)).resolve()
        ]
        await pilot.press(*["ctrl+down"] * 10)  # -10 dB: the drawing follows the gain
        await pilot.pause()
        quieter = view.render_line(view.size.height - 1).text
        assert not any(ch in "▄▅▆▇█" for ch in quieter) and any(ch in "▁▂" for ch in quieter)


def _fp(path: Path) -> str:
    from core.media.fingerprint import fingerprint

    return fingerprint(path)
