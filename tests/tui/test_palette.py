"""The command palette offers livecut's commands and themes only, and says when a theme is saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import make_app, three_clips
from tui.settings.config import Config, load_config, set_theme, theme_edit


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
        assert "theme 'light' saved" in app.editor.message  # a note: on the status line
    assert 'theme = "light"' in (tmp_path / "config.toml").read_text()


ISSUE_CONFIG = """\
# my livecut settings
version = 1
quality = "half"            # the laptop is slow
max_bytes_per_second = 500000

[cache]
limit = "3GiB"  # the small SSD

[keys]
# refused: x is taken
mute = "x"
split = "ctrl+k"
"""


async def test_picking_a_theme_changes_only_the_theme_line(tmp_path: Path) -> None:
    """#26: the palette's theme pick used to rewrite config.toml from values, dropping comments,
    the refused remap and (in one run) every other setting."""
    path = tmp_path / "config.toml"
    path.write_text(ISSUE_CONFIG)
    config, problems = load_config(path)
    assert config.quality == "half" and any("mute" in p for p in problems)  # the remap is refused
    app = make_app(three_clips(), config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        for key in "Theme: light":
            await pilot.press("space" if key == " " else key)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "light"
    expected = ISSUE_CONFIG.replace("version = 1\n", 'version = 1\ntheme = "light"\n')
    assert path.read_text() == expected
    app = make_app(three_clips(), config=load_config(path)[0])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Theme: dark")
        command.callback()
        await pilot.pause()
    assert path.read_text() == expected.replace('theme = "light"', 'theme = "dark"')


def test_theme_edit_keeps_every_other_byte() -> None:
    text = '# c\r\nversion = 1\r\ntheme = "dark"  # mine\r\nfoo = 1\r\n[keys]\r\ntheme = "not this"\r\n'
    assert theme_edit(text, "light") == text.replace('"dark"', '"light"', 1)
    assert theme_edit("version = 1", 'a"b') == 'version = 1\ntheme = "a\\"b"\n'
    assert theme_edit("[keys]\n", "x") == 'theme = "x"\n[keys]\n'
    with pytest.raises(ValueError):
        theme_edit("theme = [", "x")  # a broken file is never replaced by ours
    with pytest.raises(ValueError):
        theme_edit('s = """\n[x]\ntheme = "y"\n"""\ntheme = "z"\n', "q")  # a string that looks like a line


def test_a_broken_config_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = [\n# mine\n")
    assert set_theme(path, "light") is None and path.read_text() == "theme = [\n# mine\n"
    assert set_theme(tmp_path / "new" / "config.toml", "light") is not None
    assert (tmp_path / "new" / "config.toml").read_text() == 'version = 1\ntheme = "light"\n'
