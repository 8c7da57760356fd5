"""A hand-edited project keeps its comments through saves (issue 14), beside what they describe.

Real files on disk, real (tiny) media, the real save path: a project is loaded from a commented
file, edited as the editor edits it (a new timeline), saved, and the text is read back.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import comments
from core.model import project as proj
from core.model.timeline import Clip, Marker, gap
from core.synthetic.testpattern import make_source


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("media").resolve()
    make_source(d / "a.mp4", frames=60, width=64, height=48, fps=30)
    make_source(d / "b.mp4", frames=60, width=64, height=48, fps=30, audio=False)
    return d


def commented(media_dir: Path) -> str:
    """A project as a user leaves it after editing it by hand: comments everywhere."""
    return f"""# My film: a hand-written header
# second line

version = 2

# export settings
[project]  # the project table
name = "film # not a comment"
fps = "30"   # the rate
width = 640
height = 480

# the preview
[preview]
# keep it small
height = 180  # tiny

[[media]]
id = "a"
path = "{media_dir / "a.mp4"}"  # source A

[[media]]
id = "b"
path = "{media_dir / "b.mp4"}"

# all clips: half-open ranges
[[clips]]
media = "a"
in = 0
out = 10

# the B clip
[[clips]]  # header of B
media = "b"
in = 0
out = 10  # out of B

# the second A clip
[[clips]]
media = "a"
in = 20
out = 30

[[clips]]
media = "b"
in = 20
out = 40

[[markers]]
frame = 15
name = "cut"  # the cut

# the end
"""


@pytest.fixture
def project_file(media_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "film.toml"
    path.write_text(commented(media_dir))
    return path


A1, B, A2, B2 = Clip("a", 0, 10), Clip("b", 0, 10), Clip("a", 20, 30), Clip("b", 20, 40)


def with_clips(p: proj.Project, *clips: Clip) -> proj.Project:
    return replace(p, timeline=replace(p.timeline, clips=clips))


def entry_below(text: str, comment: str) -> dict[str, Any]:
    """The values of the ``[[...]]`` entry whose header is on or below the line holding ``comment``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if comment in line)
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("[["))
    return _entry(lines, header)


def entry_holding(text: str, comment: str) -> dict[str, Any]:
    """The values of the ``[[...]]`` entry that holds the line with ``comment``."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if comment in line)
    header = next(i for i in range(at, -1, -1) if lines[i].startswith("[["))
    return _entry(lines, header)


def _entry(lines: list[str], header: int) -> dict[str, Any]:
    body = []
    for line in lines[header + 1 :]:
        if not line or line.startswith("["):
            break
        body.append(line)
    return tomllib.loads("\n".join(body))


def clip_of(values: dict[str, Any]) -> Clip:
    return Clip(values["media"], values["in"], values["out"])


# -- top level and tables ------------------------------------------------------------------------
def test_header_table_and_end_of_line_comments_are_kept(project_file: Path) -> None:
    p = proj.load(project_file)
    proj.save(replace(p, preview_height=240))
    text = project_file.read_text()
    assert text.startswith("# My film: a hand-written header\n# second line\n\nversion = 2\n\n# export settings\n")
    assert "\n[project]  # the project table\n" in text
    assert '\nname = "film # not a comment"\nfps = "30"   # the rate\n' in text
    assert "\n# the preview\n[preview]\n# keep it small\nheight = 240  # tiny\n" in text  # new value, old comment
    assert "  # source A\n" in text
    assert text.endswith('name = "cut"  # the cut\n\n# the end\n')


def test_values_are_exactly_the_models(project_file: Path) -> None:
    p = proj.load(project_file)
    edited = with_clips(replace(p, width=800), B2, A1)
    saved = proj.save(edited)
    text = project_file.read_text()
    assert tomllib.loads(text) == proj.to_dict(edited, project_file.parent)
    assert proj.load(project_file) == saved == edited


def test_saving_twice_writes_the_same_bytes(project_file: Path) -> None:
    p = proj.load(project_file)
    proj.save(p)
    first = project_file.read_bytes()
    proj.save(proj.load(project_file))
    assert project_file.read_bytes() == first
    proj.save(with_clips(proj.load(project_file), B, A2))
    second = project_file.read_bytes()
    proj.save(proj.load(project_file))
    assert project_file.read_bytes() == second


def test_the_layout_is_the_stable_one(project_file: Path) -> None:
    """Only comments are carried: with them taken out, the file is what a comment-free save writes."""
    p = proj.load(project_file)
    proj.save(p)
    text = project_file.read_text()
    bare = [line.split("  #")[0].rstrip() for line in text.splitlines() if not line.startswith("#")]
    plain = proj.dumps(p, project_file.parent).splitlines()
    assert [line for line in bare if line] == [line for line in plain if line]


def test_a_file_without_comments_is_written_as_before(media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    lines = commented(media_dir).splitlines()
    path.write_text("\n".join(line.split("  #")[0].rstrip() for line in lines if not line.startswith("#")))
    p = proj.load(path)
    proj.save(p)
    assert path.read_text() == proj.dumps(p, tmp_path)


# -- entries of arrays of tables -----------------------------------------------------------------
def test_clip_comments_follow_their_clip_when_clips_are_reordered(project_file: Path) -> None:
    p = proj.load(project_file)
    proj.save(with_clips(p, B2, A2, B, A1))
    text = project_file.read_text()
    assert clip_of(entry_below(text, "# the B clip")) == B
    assert clip_of(entry_below(text, "# header of B")) == B
    assert clip_of(entry_holding(text, "# out of B")) == B
    assert "out = 10  # out of B" in text
    assert clip_of(entry_below(text, "# the second A clip")) == A2
    # the section's heading stays above the first entry, whichever it is
    assert clip_of(entry_below(text, "# all clips")) == B2
    assert text.index("# all clips") < text.index("[[clips]]")


def test_comments_of_a_removed_clip_are_dropped_and_logged(
    project_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p = proj.load(project_file)
    with caplog.at_level(logging.INFO, logger="core.model.comments"):
        proj.save(with_clips(p, A1, A2, B2))
    text = project_file.read_text()
    assert "B clip" not in text and "of B" not in text
    assert clip_of(entry_below(text, "# the second A clip")) == A2
    assert "# all clips" in text
    dropped = " ".join(r.getMessage() for r in caplog.records)
    assert "# the B clip" in dropped and "# header of B" in dropped and "# out of B" in dropped


def test_the_heading_stays_when_the_first_clip_is_removed(project_file: Path) -> None:
    p = proj.load(project_file)
    proj.save(with_clips(p, B, A2))
    text = project_file.read_text()
    assert text.index("# all clips") < text.index("# the B clip") < text.index("[[clips]]")
    assert clip_of(entry_below(text, "# header of B")) == B


def test_a_trimmed_clip_keeps_its_comments_and_a_split_gives_them_to_the_first_piece(project_file: Path) -> None:
    p = proj.load(project_file)
    trimmed = Clip("b", 2, 8)
    proj.save(with_clips(p, A1, trimmed, A2, B2))
    text = project_file.read_text()
    assert clip_of(entry_below(text, "# the B clip")) == trimmed
    assert "out = 8  # out of B" in text
    proj.save(with_clips(proj.load(project_file), A1, Clip("b", 2, 5), Clip("b", 5, 8), A2, B2))
    text = project_file.read_text()
    assert text.count("# the B clip") == 1
    assert clip_of(entry_below(text, "# the B clip")) == Clip("b", 2, 5)


def test_a_gap_inserted_between_clips_does_not_move_their_comments(project_file: Path) -> None:
    p = proj.load(project_file)
    proj.save(with_clips(p, A1, gap(15), B, gap(5), A2, B2))
    text = project_file.read_text()
    assert clip_of(entry_below(text, "# the B clip")) == B
    assert clip_of(entry_below(text, "# the second A clip")) == A2


def test_media_and_marker_comments_follow_their_entry(project_file: Path) -> None:
    p = proj.load(project_file)
    media = tuple(reversed(p.timeline.media))
    timeline = replace(p.timeline, media=media, markers=(Marker(5, "start"), Marker(16, "cut")))
    proj.save(replace(p, timeline=timeline))
    text = project_file.read_text()
    assert entry_holding(text, "# source A")["id"] == "a"
    assert entry_holding(text, "# the cut") == {"frame": 16, "name": "cut"}  # moved, kept by its name


# -- files that cannot be followed, other targets ------------------------------------------------
@pytest.mark.parametrize(
    ("broken", "why"),
    [
        (b'version = 2\n[project\nname = "x"  # a comment\n', "not valid TOML"),
        (b"# \xff\xfe a comment in Latin-1\nversion = 2\n", "not UTF-8"),
    ],
)
def test_a_broken_original_is_saved_without_comments_and_a_warning(
    project_file: Path, caplog: pytest.LogCaptureFixture, broken: bytes, why: str
) -> None:
    p = proj.load(project_file)
    project_file.write_bytes(broken)
    with caplog.at_level(logging.WARNING):
        saved = proj.save(p)
    assert proj.load(project_file) == saved
    assert "#" not in project_file.read_text().replace('"film # not a comment"', "")
    assert any(why in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_save_as_takes_the_comments_along(project_file: Path, media_dir: Path, tmp_path: Path) -> None:
    p = proj.load(project_file)
    copy = tmp_path / "copy.toml"
    proj.save(with_clips(p, B, A1), copy)
    text = copy.read_text()
    assert text.startswith("# My film")
    assert clip_of(entry_below(text, "# the B clip")) == B
    assert project_file.read_text() == commented(media_dir)  # untouched


def test_the_autosave_carries_the_projects_comments(
    project_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(project_file.parent)
    p = proj.load(project_file.name)  # a relative path, as the command line gives it
    auto = proj.autosave_path(project_file)
    with caplog.at_level(logging.INFO, logger="core.model.comments"):
        proj.save(with_clips(p, A1, B), auto)
    assert clip_of(entry_below(auto.read_text(), "# header of B")) == B
    assert not caplog.records  # A2's comment is still in the project file: nothing is lost yet
    with caplog.at_level(logging.INFO, logger="core.model.comments"):
        proj.save(with_clips(p, A1, B))
    assert "the second A clip" in caplog.text  # now it is


def test_a_file_that_is_toml_but_not_a_project_is_replaced_with_the_comments_that_fit(
    media_dir: Path, project_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.toml"
    other.write_text('# kept\nversion = [1]\n[[clips]]  # odd\nmedia = ["x"]\nin = {a = 1}\n[x]  # gone\n')
    p = replace(proj.load(project_file), path=None)
    proj.save(p, other)
    text = other.read_text()
    assert text.startswith("# kept\nversion = 2\n") and "# gone" not in text
    assert proj.load(other) == p


# -- the scanner ---------------------------------------------------------------------------------
TRICKY = """# head
name = "a # b"   # real
"quoted.key" = 'x#y' # lit
multi = \"\"\"
# not a comment
[not.a.table]
\"\"\"  # after multi
quotes = \"\"\"a\"\"\"\"\"  # after quotes
arr = [
  1, # inside an array: dropped
  "]",
]  # after array
inline = { a = "#", b = [1, 2] }  # after inline

[t]
a.b = 1 # dotted
[[e]]
x = 1
[[e]] # second
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_scan_finds_comments_only_where_toml_has_them(newline: str) -> None:
    text = TRICKY.replace("\n", newline)
    tomllib.loads(text)  # the scanner only ever sees text tomllib accepted
    head, tail, notes = comments.scan(text)
    assert head == ("# head",) and tail == ()
    assert notes == {
        ("key", ("name",)): comments.Note((), "   # real"),
        ("key", ("quoted.key",)): comments.Note((), " # lit"),
        ("key", ("multi",)): comments.Note((), "  # after multi"),
        ("key", ("quotes",)): comments.Note((), "  # after quotes"),
        ("key", ("arr",)): comments.Note((), "  # after array"),
        ("key", ("inline",)): comments.Note((), "  # after inline"),
        ("key", ("t", "a", "b")): comments.Note((), " # dotted"),
        ("table", ("e", 1)): comments.Note((), " # second"),
    }


def test_blank_lines_are_kept_only_next_to_comments() -> None:
    text = "version = 2\n\n\n[t]\n\n\n# one\n\n\n# two\n\nx = 1\n\n\ny = 2\n"
    _, _, notes = comments.scan(text)
    assert notes == {("key", ("t", "x")): comments.Note(("# one", "", "# two", ""))}


def test_a_dotted_key_at_the_top_keeps_its_comment_in_its_table(media_dir: Path, tmp_path: Path) -> None:
    text = (
        commented(media_dir)
        .replace("[project]  # the project table\n", "")
        .replace(
            'name = "film # not a comment"\nfps = "30"   # the rate\nwidth = 640\nheight = 480\n',
            'project.name = "film"  # dotted name\nproject.fps = "30"\n',
        )
    )
    path = tmp_path / "dotted.toml"
    path.write_text(text)
    proj.save(proj.load(path))
    assert '\n[project]\n# export settings\nname = "film"  # dotted name\n' in path.read_text()


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(8)), st.sets(st.integers(0, 7), max_size=4))
def test_every_clip_comment_stays_with_its_clip(order: list[int], removed: set[int]) -> None:
    """Any reorder and removal: each surviving clip's comment is with it, each removed one gone."""
    clips = [{"media": "ab"[i % 2], "in": i * 10, "out": i * 10 + 5} for i in range(8)]
    old_blocks = [comments.Block("clips", c, entry=True) for c in clips]
    old_text = comments.render(old_blocks).replace("[[clips]]", "#\n[[clips]]")
    lines, n = [], 0
    for line in old_text.splitlines():
        if line == "#":
            line, n = f"# clip {n}", n + 1
        lines.append(line.replace("[[clips]]", f"[[clips]]  # header {n - 1}"))
    old_text = "\n".join(lines) + "\n"
    head, tail, notes = comments.scan(old_text)
    kept = comments.Comments(Path("old.toml"), head, tail, notes, tomllib.loads(old_text))
    survivors = [i for i in order if i not in removed]
    new_text = comments.render([comments.Block("clips", clips[i], entry=True) for i in survivors], kept)
    assert tomllib.loads(new_text) == {"clips": [clips[i] for i in survivors]}
    for i in range(8):
        assert (f"# header {i}\n" in new_text) == (i in survivors)
        if i in survivors:
            assert entry_below(new_text, f"# header {i}") == clips[i]
            if i != 0:  # clip 0's comment is the section's heading: it stays at the top
                assert entry_below(new_text, f"# clip {i}\n".strip()) == clips[i]
    assert new_text.index("# clip 0") < new_text.index("[[clips]]")


def test_a_thousand_commented_entries_render_back_unchanged() -> None:
    """The size of a big project (its save time is a figure in bench/project_save.py)."""
    blocks = [comments.Block("clips", {"gap": i + 1}, entry=True) for i in range(1000)]
    text = comments.render(blocks).replace("[[clips]]", "# a gap\n[[clips]]  # header")
    head, tail, notes = comments.scan(text)
    kept = comments.Comments(Path("big.toml"), head, tail, notes, tomllib.loads(text))
    assert comments.render(blocks, kept) == text


_TEXT = st.text(st.sampled_from(list("ab #'\"\\\n\t[]{}=.é")), max_size=12)
_VALUE = st.one_of(
    _TEXT,
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.lists(st.one_of(_TEXT, st.integers(0, 9)), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(st.sampled_from(list("ab_-# .")), min_size=1, max_size=4), _VALUE, max_size=6))
def test_scan_finds_exactly_the_comments_written_whatever_the_values_hold(values: dict[str, Any]) -> None:
    """Strings full of ``#``, quotes, brackets and newlines (multi-line strings, arrays spanning
    lines) never yield a comment; every end-of-line comment written after a value is found."""
    chunks = [
        tomli_w.dumps({key: value}, multiline_strings=True).rstrip("\n") + f"  # about {i}"
        for i, (key, value) in enumerate(values.items())
    ]
    text = "\n".join(chunks) + "\n"
    assert tomllib.loads(text) == values
    head, tail, notes = comments.scan(text)
    assert head == tail == ()
    assert notes == {("key", (key,)): comments.Note((), f"  # about {i}") for i, key in enumerate(values)}
