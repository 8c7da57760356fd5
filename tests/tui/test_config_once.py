"""The config file is read once per run: ``livecut PROJECT`` hands what ``tui.cli.main`` read
to the editor instead of the app reading it again."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui.app
import tui.settings.config
from core import locations
from tui.app import LivecutApp
from tui.cli.main import main


def test_the_editor_gets_the_config_main_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locations.config_dir().mkdir(parents=True, exist_ok=True)
    (locations.config_dir() / "config.toml").write_text('version = 1\ntheme = "light"\nnot_a_setting = 1\n')
    monkeypatch.delenv("TMUX", raising=False)
    reads: list[Path | None] = []
    real = tui.settings.config.load_config

    def counted(path: Path | None = None) -> tuple[tui.settings.config.Config, list[str]]:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(tui.settings.config, "load_config", counted)
    monkeypatch.setattr(tui.app, "load_config", counted)
    started: list[LivecutApp] = []

    def run(self: LivecutApp) -> int:  # the terminal UI itself is not what this checks
        started.append(self)
        return 0

    monkeypatch.setattr(LivecutApp, "run", run)
    assert main([str(tmp_path / "new.toml"), "--preview", "none"]) == 0
    assert len(reads) == 1
    (app,) = started
    assert app.config.theme == "light"
    assert any("not_a_setting" in problem for problem in app.problems)  # the problems come along too
