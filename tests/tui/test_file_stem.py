"""Paths the editor suggests from a project's name (save as, export, export timeline) stay in the
project's folder whatever the name (the settings dialog lets any name through)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.model.project import Project
from tests.tui.conftest import three_clips
from tui.editor.document import file_stem
from tui.screens.export import default_output


@pytest.mark.parametrize(
    ("name", "stem"),
    [("demo", "demo"), ("a/b", "a_b"), ("../../etc/passwd", "_.._etc_passwd"), ("..", "film"), ("  ", "film")],
)
def test_a_name_never_points_into_another_folder(name: str, stem: str) -> None:
    assert file_stem(name, "film") == stem
    project: Project = three_clips()
    out = default_output(replace(project, name=name), Path("/work/films"))
    assert out.parent == Path("/work/films") and out.name == f"{stem}.mp4"
