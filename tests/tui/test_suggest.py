"""Completion in the Open / Save as prompts offers folders and project files only."""

from __future__ import annotations

from pathlib import Path

from tui.editor.suggest import PROJECT_EXTENSIONS, suggest_path


def test_open_offers_projects_and_folders_only(tmp_path: Path) -> None:
    (tmp_path / "cut.mp4").write_bytes(b"")
    (tmp_path / "cut.toml").write_text("")
    (tmp_path / "clips").mkdir()
    (tmp_path / "notes.txt").write_text("")
    assert suggest_path("cut", tmp_path, PROJECT_EXTENSIONS, only=True) == "cut.toml"
    assert suggest_path("no", tmp_path, PROJECT_EXTENSIONS, only=True) is None  # a text file is never offered
    assert suggest_path("cl", tmp_path, PROJECT_EXTENSIONS, only=True) == "clips/"
    assert suggest_path("no", tmp_path, PROJECT_EXTENSIONS) == "notes.txt"  # other prompts still rank, not filter
