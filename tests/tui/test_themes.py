"""Where themes come from: the files shipped inside the package, and the user's own files.

Why these tests: the bundled themes moved from a top-level ``themes/`` folder into the ``tui``
package so that an installed livecut finds them; nothing else would notice if the package-data
line stopped covering them (a source checkout still has the files), so it is checked here.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from pathlib import Path

import tui
from tests.tui.conftest import make_app, three_clips
from tui.settings.themes import BUNDLED_DIR, load_themes, theme_dirs

ROOT = Path(__file__).resolve().parents[2]
USER_THEME = """
name = "{name}"
dark = true
[colors]
primary = "{primary}"
"""


def test_bundled_themes_are_package_data() -> None:
    package = Path(tui.__file__).resolve().parent
    assert BUNDLED_DIR.parent == package and theme_dirs()[0] == BUNDLED_DIR
    files = sorted(p.relative_to(package).as_posix() for p in BUNDLED_DIR.glob("*.toml"))
    assert {Path(f).stem for f in files} >= {"dark", "light", "high-contrast"}
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["tui"]
    assert all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)
    assert not BUNDLED_DIR.name.isidentifier()  # not mistaken for a ``tui.settings.themes`` package


def test_user_theme_files_add_and_override(tmp_path: Path) -> None:
    user = Path(os.environ["LIVECUT_CONFIG_DIR"]) / "themes"  # isolated per test by tests/conftest.py
    user.mkdir(parents=True)
    (user / "mine.toml").write_text(USER_THEME.format(name="mine", primary="#123456"))
    (user / "light.toml").write_text(USER_THEME.format(name="light", primary="#abcdef"))
    found, problems = load_themes()
    by_name = {t.name: t for t in found}
    assert not problems and {"dark", "high-contrast", "mine"} <= set(by_name)
    assert by_name["light"].primary == "#abcdef"  # the user's file wins over the bundled one


async def test_theme_flag_picks_a_user_theme(tmp_path: Path) -> None:
    user = Path(os.environ["LIVECUT_CONFIG_DIR"]) / "themes"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text(USER_THEME.format(name="mine", primary="#123456"))
    app = make_app(three_clips(), theme="mine")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "mine"
        assert app.get_css_variables()["seg-ready"]  # livecut's variables derived for a sparse theme
