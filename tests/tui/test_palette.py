"""The command palette offers livecut's commands and themes only, and says when a theme is saved."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import make_app, three_clips
from tui.settings.config import Config


async def test_palette_has_livecut_commands_only() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and "Screenshot" not in titles and titles.count("Quit") == 0
        themes = sorted(t.removeprefix("Theme: ") for t in titles if t.startswith("Theme: "))
        assert themes == sorted(app.livecut_themes) and {"dark", "light", "high-contrast"} <= set(themes)
        assert "textual-dark" not in themes
        assert "Split at playhead" in titles and "Quit (asks when unsaved)" in titles


async def test_picking_a_theme_says_it_was_saved(tmp_path: Path) -> None:
    app = make_app(three_clips(), config=Config(path=tmp_path / "config.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Theme: light")
        command.callback()
        await pilot.pause()
        assert app.theme == "light"
        assert any("theme 'light' saved" in str(n.message) for n in app._notifications)
    assert 'theme = "light"' in (tmp_path / "config.toml").read_text()
