"""``livecut autocut`` (#29) as a user runs it: real subprocesses, the generated talk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.atomic import current_umask
from core.model import project as proj
from tests.core.talk import make_talk
from tests.test_cli import assert_one_line_error, livecut


@pytest.fixture(scope="module")
def talk_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("talk-cli")
    return make_talk(folder / "talk.mp4"), make_talk(folder / "mute.mp4", audio=False)


def _project(folder: Path, media: Path) -> Path:
    path = folder / "talk.toml"
    project = proj.new_from_media(path, [str(media)])
    project = proj.Project(
        project.name, project.timeline.add_marker(30, "hello").add_marker(120, "pause").add_marker(330, "end"), 96, 64
    )
    proj.save(project, path)
    return path


def test_silences_and_scenes_make_a_project_and_the_second_run_decodes_nothing(
    talk_media: tuple[Path, Path], tmp_path: Path
) -> None:
    source = _project(tmp_path, talk_media[0])
    out = tmp_path / "cut.toml"
    args = ("autocut", str(source), "-o", str(out), "--silence", "-40:0.5", "--margin", "0.1", "--scenes", "--json")
    result = livecut(*args)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(r["start"], r["end"]) for r in report["removed"]] == [(93, 147), (273, 297)]
    assert report["splits"] == [120, 240]
    assert report["before"]["frames"] == 360 and report["after"]["frames"] == 282
    assert report["decoded"] == {"scenes": 1, "silence": 1}
    cut = proj.load(out)
    assert [(c.in_, c.out) for c in cut.timeline.clips] == [(0, 93), (147, 240), (240, 273), (297, 360)]
    assert [(m.frame, m.name) for m in cut.timeline.markers] == [(30, "hello"), (93, "pause"), (252, "end")]
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~current_umask()

    again = livecut(*args[:-1], "--force", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["decoded"] == {"scenes": 0, "silence": 0}


def test_a_bare_silence_takes_its_defaults_not_the_next_word(talk_media: tuple[Path, Path], tmp_path: Path) -> None:
    source = _project(tmp_path, talk_media[0])
    result = livecut("autocut", "--silence", str(source), "-o", str(tmp_path / "cut.toml"))
    assert result.returncode == 0, result.stderr
    assert "removed 2 silences" in result.stdout
    equals = livecut("autocut", str(source), "-o", str(tmp_path / "eq.toml"), "--silence=-30:0.5", "--json")
    assert equals.returncode == 0, equals.stderr
    assert len(json.loads(equals.stdout)["removed"]) == 2


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (("--silence", "-40:abc"), "--silence SECONDS"),
        (("--silence", "12"), "--silence DB"),
        (("--scenes", "lots"), "--scenes"),
        (("--scenes", "-3"), "--scenes"),
        (("--silence", "--margin", "nan"), "--margin"),
        ((), "--silence, --scenes or both"),
    ],
)
def test_wrong_settings_are_one_line_and_exit_2(
    talk_media: tuple[Path, Path], tmp_path: Path, options: tuple[str, ...], needle: str
) -> None:
    source = _project(tmp_path, talk_media[0])
    result = livecut("autocut", str(source), "-o", str(tmp_path / "cut.toml"), *options)
    assert_one_line_error(result, needle)
    assert result.returncode == 2
    assert not (tmp_path / "cut.toml").exists()


def test_silence_without_sound_says_so(talk_media: tuple[Path, Path], tmp_path: Path) -> None:
    source = _project(tmp_path, talk_media[1])
    result = livecut("autocut", str(source), "-o", str(tmp_path / "cut.toml"), "--silence")
    assert_one_line_error(result, "--silence needs sound")
    assert result.returncode == 2


def test_an_existing_output_needs_force(talk_media: tuple[Path, Path], tmp_path: Path) -> None:
    source = _project(tmp_path, talk_media[0])
    result = livecut("autocut", str(source), "-o", str(source), "--scenes")
    assert_one_line_error(result, "--force")
    assert result.returncode == 2


def test_the_result_plays_from_the_originals_cells(talk_media: tuple[Path, Path], tmp_path: Path) -> None:
    source = _project(tmp_path, talk_media[0])
    out = tmp_path / "cut.toml"
    assert livecut("autocut", str(source), "-o", str(out), "--silence", "--scenes").returncode == 0
    first = livecut("encode", str(source), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["cells_encoded"] > 0
    second = livecut("encode", str(out), "--json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["cells_encoded"] == 0
