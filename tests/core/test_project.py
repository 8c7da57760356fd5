from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from core.errors import ProjectError
from core.model import project as proj
from core.model.timeline import Clip
from core.synthetic.testpattern import make_source


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("media")
    make_source(d / "a.mp4", frames=60, width=64, height=48, fps=30)
    make_source(d / "b.mp4", frames=50, width=64, height=48, fps=25, audio=False)
    return d


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def good_toml(media_dir: Path) -> str:
    return f"""
version = 1
[project]
name = "t"
fps = "30"
width = 640
height = 480
[preview]
height = 180
[[media]]
id = "a"
path = "{media_dir / "a.mp4"}"
[[media]]
id = "b"
path = "{media_dir / "b.mp4"}"
[[clips]]
media = "a"
in = 0
out = 30
[[clips]]
media = "b"
in = "0.5s"
out = "00:00:01:20"
"""


def test_load_and_time_forms(media_dir: Path, tmp_path: Path) -> None:
    p = proj.load(write(tmp_path / "p.toml", good_toml(media_dir)))
    assert p.fps == 30 and p.preview_height == 180 and p.width == 640
    assert p.timeline.clips == (Clip("a", 0, 30), Clip("b", 15, 50))
    assert p.timeline.media_by_id("b").info is not None
    assert p.cell_size == 60


def test_save_load_round_trip(media_dir: Path, tmp_path: Path) -> None:
    p = proj.load(write(tmp_path / "p.toml", good_toml(media_dir)))
    tl = p.timeline.split(10).move(0, 1).trim_out(2, 40)
    p2 = proj.save(
        proj.Project(p.name, tl, p.width, p.height, p.preview_height, 45, p.path), tmp_path / "sub" / ".." / "q.toml"
    )
    back = proj.load(tmp_path / "q.toml")
    assert back.timeline.clips == tl.clips
    assert back == proj.Project(p.name, back.timeline, p.width, p.height, p.preview_height, 45)
    assert [m.resolved for m in back.timeline.media] == [m.resolved for m in tl.media]
    assert p2.path == (tmp_path / "q.toml").resolve()
    # media outside the project's folder are written absolute (relative only under it, #14)
    text = (tmp_path / "q.toml").read_text()
    under = media_dir.resolve().is_relative_to(tmp_path.resolve())
    assert "../" not in text and (under or str(media_dir.resolve()) in text)
    assert not list(tmp_path.glob(".q.toml.*.tmp"))


def test_ntsc_rate_round_trips(tmp_path: Path) -> None:
    p = proj.save(proj.new_project("n", "30000/1001"), tmp_path / "n.toml")
    assert 'fps = "30000/1001"' in (tmp_path / "n.toml").read_text()
    assert proj.load(p.path).fps == Fraction(30000, 1001)


def test_missing_media_is_offline_not_fatal(tmp_path: Path) -> None:
    text = 'version = 1\n[project]\nfps = "25"\n[[media]]\nid = "x"\npath = "gone/x.mp4"\n[[clips]]\nmedia = "x"\nin = 0\nout = 99999\n'
    p = proj.load(write(tmp_path / "o.toml", text))
    ref = p.timeline.media_by_id("x")
    assert not ref.online and ref.error == "file not found"
    assert ref.resolved == (tmp_path / "gone" / "x.mp4").resolve()
    assert p.offline_media() == [ref] and p.timeline.duration == 99999


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("version = 1\n[project\n", "TOML syntax error"),
        ('[project]\nfps = "30"\n', "missing 'version'"),
        ("version = 7\n[project]\n", "version: 7 is not supported"),
        ('version = "1"\n[project]\n', "is not supported"),
        ("version = 1\n", "missing key 'project'"),
        ('version = 1\n[project]\nfps = "abc"\n', "project.fps"),
        ('version = 1\n[project]\nfps = "-30"\n', "project.fps"),
        ('version = 1\n[project]\nwidth = "wide"\n', "project.width: expected int"),
        ("version = 1\n[project]\nwidth = 0\n", "project.width: 0 is not between"),
        ('version = 1\n[project]\n[[clips]]\nmedia = "zz"\nin = 0\nout = 5\n', "clips[0].media: unknown media id 'zz'"),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "a.mp4"\n[[clips]]\nmedia = "a"\nin = 9\nout = 5\n',
            "clips[0]: out (5) must be after in (9)",
        ),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "a.mp4"\n[[clips]]\nmedia = "a"\nin = -4\nout = 5\n',
            "clips[0].in: -4 is out of range",
        ),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "a.mp4"\n[[clips]]\nmedia = "a"\nin = 0\nout = 99999999999999\n',
            "clips[0].out: 99999999999999 is out of range",
        ),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "a.mp4"\n[[clips]]\nmedia = "a"\nin = 0\n',
            "clips[0]: missing key 'out'",
        ),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "a.mp4"\n[[clips]]\nmedia = "a"\nin = 0\nout = "ten"\n',
            "clips[0].out",
        ),
        ('version = 1\n[project]\n[[media]]\nid = "a"\n', "media[0]: missing key 'path'"),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "x"\n[[media]]\nid = "a"\npath = "y"\n',
            "media[1].id: 'a' is used twice",
        ),
        ("version = 1\nproject = 3\n", "project: expected dict"),
        ("version = 1\n[project]\nclips = 1\n", "project.clips: unknown key"),
        (
            'version = 1\n[project]\n[[media]]\nid = "a"\npath = "a.mp4"\n[[clips]]\nmedia = "a"\nin = 0\noutt = 5\n',
            "clips[0].outt: unknown key",
        ),
    ],
)
def test_malformed_projects_give_clear_errors(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ProjectError) as err:
        proj.load(write(tmp_path / "bad.toml", body))
    assert expected in str(err.value)
    assert str(tmp_path / "bad.toml") in str(err.value)


def test_past_end_of_media_names_place(media_dir: Path, tmp_path: Path) -> None:
    text = good_toml(media_dir).replace("out = 30", "out = 1200")
    with pytest.raises(ProjectError, match=r"clips\[0\]\.out: 1200 is past the end of media 'a' \(60 frames\)"):
        proj.load(write(tmp_path / "p.toml", text))


def test_unreadable_and_missing_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="file not found"):
        proj.load(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProjectError, match="not a text file"):
        proj.load(tmp_path / "bin.toml")


def test_save_failure_keeps_previous_file(media_dir: Path, tmp_path: Path) -> None:
    p = proj.load(write(tmp_path / "p.toml", good_toml(media_dir)))
    before = (tmp_path / "p.toml").read_text()
    with pytest.raises(ProjectError, match="previous file is unchanged"):
        proj.save(p, tmp_path / "no-such-dir" / "p.toml")
    assert (tmp_path / "p.toml").read_text() == before


def test_new_from_media(media_dir: Path, tmp_path: Path) -> None:
    p = proj.new_from_media(tmp_path / "n.toml", [str(media_dir / "a.mp4"), str(media_dir / "b.mp4")])
    assert p.fps == 30 and [c.length for c in p.timeline.clips] == [60, 60]
    assert (p.width, p.height) == (64, 48)
    assert proj.next_media_id(p.timeline) == "c"


def test_media_under_the_project_folder_are_relative(tmp_path: Path) -> None:
    from core.synthetic.testpattern import make_source

    (tmp_path / "footage").mkdir()
    make_source(tmp_path / "footage" / "a.mp4", frames=5, width=32, height=24, fps=25, audio=False)
    project = proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "footage" / "a.mp4")])
    proj.save(project)
    assert 'path = "footage/a.mp4"' in (tmp_path / "p.toml").read_text()


def test_saved_layout_is_stable(media_dir: Path, tmp_path: Path) -> None:
    """One tidy layout whatever the project holds: tables in a fixed order, arrays as [[tables]]."""
    p = proj.load(write(tmp_path / "p.toml", good_toml(media_dir)))
    proj.save(p, tmp_path / "q.toml")
    text = (tmp_path / "q.toml").read_text()
    order = [text.index(h) for h in ("version = ", "[project]", "[preview]", "[[media]]", "[[clips]]")]
    assert order == sorted(order) and "media = [" not in text and "clips = [" not in text
    assert proj.load(tmp_path / "q.toml").timeline.clips == p.timeline.clips
