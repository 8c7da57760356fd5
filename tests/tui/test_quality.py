"""Quality in the UI: the segment bar tells lower-rung cells apart, the key cycles, the config pins."""

from __future__ import annotations

from pathlib import Path

from core.cells.plan import SegmentState
from core.engine.quality import QUALITY_CHOICES
from tests.tui.conftest import FAKE_CONFIG, make_app, synthetic_snapshot, three_clips
from tui.bridge.bridge import Bridge
from tui.settings import config as cfg
from tui.widgets.segment_bar import GLYPH, SegmentBar, summary


def test_the_config_choices_are_the_engines() -> None:
    assert cfg.QUALITY_CHOICES == QUALITY_CHOICES


def test_quality_is_read_checked_and_written(tmp_path: Path) -> None:
    config, problems = cfg.from_dict({"version": 1, "quality": "half"})
    assert config.quality == "half" and not problems
    config, problems = cfg.from_dict({"version": 1, "quality": "best"})
    assert config.quality == "auto" and problems and "quality" in problems[0]
    path = tmp_path / "config.toml"
    assert cfg.save_config(cfg.Config(path=path, quality="quarter")) == path
    assert cfg.load_config(path)[0].quality == "quarter"


def test_lower_rung_segments_are_shaded_and_counted() -> None:
    tl = three_clips().timeline
    snap = synthetic_snapshot(tl, states={0: SegmentState.LOWER, 1: SegmentState.LOWER})
    assert "2 at lower quality" in summary(snap)
    assert GLYPH[SegmentState.LOWER] != GLYPH[SegmentState.READY]


async def test_the_bar_draws_lower_rung_columns_and_the_key_cycles_quality() -> None:
    bridge = Bridge(preview="none", engine=False)
    app = make_app(three_clips(), bridge=bridge, config=cfg.Config(path=FAKE_CONFIG, quality="half"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert bridge.quality == "half"  # the config's setting reached the bridge
        bar = app.screen.query_one(SegmentBar)
        tl = three_clips().timeline
        bar.show(synthetic_snapshot(tl, states={0: SegmentState.LOWER}), bar.scale)
        await pilot.pause()
        states = {state for state, _ in bar.column_states(bar.size.width)}
        assert SegmentState.LOWER in states and SegmentState.READY in states
        await pilot.press("Q")
        await pilot.pause()
        assert bridge.quality == "quarter"
        assert "preview quality: quarter" in app.screen.message  # type: ignore[attr-defined]
        await pilot.press("Q")
        assert bridge.quality == "auto"
