"""Hostile input to ``livecut import`` and ``convert``: one clear line, non-zero exit, never a
traceback, and nothing read or fetched from outside the file given."""

from __future__ import annotations

import socket
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest

from core.interchange import export_timeline
from core.synthetic.testpattern import make_source
from tests.interchange.helpers import ROOT, assert_one_line_error, livecut, project_with


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A good two-clip cut in every format, as text (bundle: the path)."""
    folder = tmp_path_factory.mktemp("hostile")
    a = make_source(folder / "a.mp4", frames=30, width=64, height=48, fps=25)
    project = project_with(folder, Fraction(25), {"a": a}, [("a", 0, 20), ("a", 5, 30)])
    out = {}
    for suffix in ("otio", "edl", "xml"):
        export_timeline(project, folder / f"cut.{suffix}")
        out[suffix] = (folder / f"cut.{suffix}").read_text()
    export_timeline(project, folder / "cut.otioz")
    out["otioz"] = str(folder / "cut.otioz")
    return out


def _import(tmp_path: Path, name: str, text: str | bytes, *extra: str):
    src = tmp_path / name
    src.write_bytes(text.encode() if isinstance(text, str) else text)
    return livecut("import", str(src), "-o", str(tmp_path / "out.toml"), "--force", *extra)


def test_truncated_edl(tmp_path: Path, exported: dict[str, str]) -> None:
    edl = exported["edl"]
    cut = edl.index("002") + 30  # in the middle of the second event line
    assert_one_line_error(_import(tmp_path, "t.edl", edl[:cut]), "t.edl", "not a readable CMX 3600 EDL")
    assert not (tmp_path / "out.toml").exists()


def test_edl_with_garbage_lines(tmp_path: Path, exported: dict[str, str]) -> None:
    lines = exported["edl"].splitlines()
    for at, garbage in ((1, "this is not an edl %%% 12"), (4, "999 ZZZ"), (4, "007  AX  V  C  xx:yy:zz:ww 1 2 3")):
        hostile = [*lines[:at], garbage, *lines[at:]]
        assert_one_line_error(_import(tmp_path, "g.edl", "\n".join(hostile)), "g.edl", "not a readable CMX 3600 EDL")
    # free text after an event is a comment in CMX 3600 (tools write all sorts there): the cut stays
    commented = [*lines[:4], "this is free text %%% 12", *lines[4:]]
    result = _import(tmp_path, "c.edl", "\n".join(commented), "--fps", "25")
    assert result.returncode == 0 and "2 clips, 0 gaps, 0 markers, 45 frames" in result.stdout, result.stderr
    assert_one_line_error(_import(tmp_path, "b.edl", b"\x00\x01binary\xff" * 50), "b.edl", "not a text file")
    assert_one_line_error(_import(tmp_path, "e.edl", "\n \n"), "e.edl", "empty")


@pytest.mark.parametrize(
    "tc",
    [
        "99999999:00:00:00 99999999:00:00:10 00:00:00:00 00:00:00:10",
        "00:00:00:00 99999999:00:00:00 00:00:00:00 99999999:00:00:00",
    ],
)
def test_huge_timecodes(tmp_path: Path, tc: str) -> None:
    edl = f"TITLE: huge\n\n001  AX       V     C        {tc}\n* FROM CLIP NAME:  x\n"
    assert_one_line_error(_import(tmp_path, "h.edl", edl), "h.edl")


def test_huge_and_broken_numbers_in_otio(tmp_path: Path, exported: dict[str, str]) -> None:
    text = exported["otio"]
    assert_one_line_error(
        _import(tmp_path, "v.otio", text.replace('"value": 20.0', '"value": 1e300', 1)), "v.otio", "out of range"
    )
    assert_one_line_error(
        _import(tmp_path, "r.otio", text.replace('"rate": 25.0', '"rate": 0.0')), "r.otio", "not a time"
    )
    assert_one_line_error(
        _import(tmp_path, "q.otio", text.replace('"rate": 25.0', '"rate": 1e9')), "q.otio", "not a frame rate"
    )
    assert_one_line_error(_import(tmp_path, "d.otio", "[" * 100_000), "d.otio", "nested too deeply")
    assert_one_line_error(_import(tmp_path, "s.otio", '{"OTIO_SCHEMA": "Timeline.1", "tracks": 5}'), "s.otio")


@pytest.mark.parametrize("rate", ["0", "abc", "1e9", "-25", "nan", "inf"])
def test_unknown_rates(tmp_path: Path, exported: dict[str, str], rate: str) -> None:
    assert_one_line_error(_import(tmp_path, "c.edl", exported["edl"], "--fps", rate), "--fps")


def test_xml_unknown_rates(tmp_path: Path, exported: dict[str, str]) -> None:
    xml = exported["xml"]
    assert_one_line_error(
        _import(tmp_path, "z.xml", xml.replace("<timebase>25</timebase>", "<timebase>0</timebase>")), "z.xml"
    )
    assert_one_line_error(
        _import(tmp_path, "y.xml", xml.replace("<timebase>25</timebase>", "<timebase>x</timebase>")), "y.xml"
    )


def test_drop_frame_timecode_at_a_rate_without_it(tmp_path: Path) -> None:
    edl = "TITLE: df\n\n001  AX       V     C        00:00:00;00 00:00:01;00 00:00:00;00 00:00:01;00\n"
    assert_one_line_error(_import(tmp_path, "df.edl", edl), "df.edl", "--fps")


def test_xml_external_entities_are_refused_and_nothing_is_read(tmp_path: Path, exported: dict[str, str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-0451")
    xml = exported["xml"]
    for doctype in (
        f'<!DOCTYPE xmeml [<!ENTITY xxe SYSTEM "file://{secret}">]>',
        f'<!DOCTYPE xmeml [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>',
        '<!DOCTYPE xmeml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ):
        hostile = xml.replace('<xmeml version="4">', f'{doctype}\n<xmeml version="4">', 1).replace(
            "<name>cut</name>", "<name>&xxe;</name>"
        )
        result = _import(tmp_path, "x.xml", hostile)
        assert_one_line_error(result, "x.xml", "entity")
        assert "SECRET" not in result.stdout + result.stderr
    # the same in UTF-16, where a byte search would not see the declaration
    hostile = xml.replace(
        '<xmeml version="4">', f'<!DOCTYPE xmeml [<!ENTITY xxe SYSTEM "file://{secret}">]><xmeml version="4">', 1
    )
    assert_one_line_error(_import(tmp_path, "u.xml", hostile.encode("utf-16")), "u.xml", "entity")
    assert not (tmp_path / "out.toml").exists()


def test_xml_external_dtd_is_never_fetched(tmp_path: Path, exported: dict[str, str]) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        xml = exported["xml"].replace(
            '<xmeml version="4">', f'<!DOCTYPE xmeml SYSTEM "http://127.0.0.1:{port}/x.dtd">\n<xmeml version="4">', 1
        )
        result = _import(tmp_path, "dtd.xml", xml)
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    assert result.returncode == 0, result.stderr  # the DTD is ignored; the cut itself is fine
    assert "2 clips" in result.stdout


def test_bundle_cannot_write_outside_its_folder(tmp_path: Path, exported: dict[str, str]) -> None:
    evil = tmp_path / "evil.otioz"
    with zipfile.ZipFile(exported["otioz"]) as good, zipfile.ZipFile(evil, "w") as bad:
        for item in good.infolist():
            bad.writestr(item, good.read(item))
        bad.writestr("../../escaped.txt", "x")
        bad.writestr("/tmp/absolute-escape-livecut.txt", "x")
    (tmp_path / "in").mkdir()
    result = livecut("import", str(evil), "-o", str(tmp_path / "in" / "p.toml"))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    assert not Path("/tmp/absolute-escape-livecut.txt").exists()
    assert_one_line_error(_import(tmp_path, "nz.otioz", b"PK not really"), "nz.otioz", "not an OTIO bundle")


def test_files_that_are_not_timelines(tmp_path: Path) -> None:
    assert_one_line_error(
        livecut("import", "/dev/zero", "-o", str(tmp_path / "p.toml"), "--format", "edl"), "not a regular file"
    )
    assert_one_line_error(livecut("import", str(tmp_path), "-o", str(tmp_path / "p.toml"), "--format", "xml"), "folder")
    assert_one_line_error(
        livecut("import", str(tmp_path / "none.edl"), "-o", str(tmp_path / "p.toml")), "none.edl", "not found"
    )
    assert_one_line_error(
        livecut("import", str(tmp_path / "x.mov"), "-o", str(tmp_path / "p.toml")), "x.mov", "--format"
    )
    big = tmp_path / "big.edl"
    with big.open("wb") as f:
        f.truncate(65 * 1024 * 1024)
    assert_one_line_error(livecut("import", str(big), "-o", str(tmp_path / "p.toml")), "big.edl", "too large")


def test_missing_extra_is_one_line_naming_it(tmp_path: Path, exported: dict[str, str]) -> None:
    import subprocess

    (tmp_path / "c.otio").write_text(exported["otio"])
    for blocked, argv in (
        ("opentimelineio", ["import", str(tmp_path / "c.otio"), "-o", str(tmp_path / "p.toml")]),
        ("otio_cmx3600_adapter", ["import", str(tmp_path / "c.edl"), "-o", str(tmp_path / "p.toml")]),
        ("otio_fcp_adapter", ["import", str(tmp_path / "c.xml"), "-o", str(tmp_path / "p.toml")]),
    ):
        code = (
            f"import sys; sys.modules[{blocked!r}] = None; sys.modules[{blocked + '.x'!r}] = None\n"
            f"from tui.cli.main import main; sys.exit(main({argv!r}))"
        )
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert_one_line_error(result, "livecut[interchange]")


# -- issue #31 ------------------------------------------------------------------------------------
def _bomb(path: Path, good: str, *, member: str, megabytes: int) -> None:
    """A bundle of ``good``'s timeline plus ``member`` inflating to ``megabytes`` MB of zeros (or,
    for ``content.otio``, the timeline padded with that much white space)."""
    with zipfile.ZipFile(good) as source:
        content = source.read("content.otio")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("version.txt", "1.0.0")
        with bomb.open("content.otio", "w") as out:
            out.write(content[:-1])
            if member == "content.otio":
                for _ in range(megabytes):
                    out.write(b" " * (1 << 20))
            out.write(content[-1:])
        if member != "content.otio":
            with bomb.open(member, "w") as out:
                for _ in range(megabytes):
                    out.write(b"\0" * (1 << 20))


@pytest.mark.parametrize("member", ["media/big.mp4", "content.otio"])
def test_a_bundle_bomb_is_refused_and_leaves_nothing(tmp_path: Path, exported: dict[str, str], member: str) -> None:
    from core.interchange import import_timeline
    from core.interchange.errors import InterchangeError

    bomb = tmp_path / "bomb.otioz"
    _bomb(bomb, exported["otioz"], member=member, megabytes=20)  # ~20 KB that inflates to 20 MB
    assert bomb.stat().st_size < 100_000
    out = tmp_path / "in"
    out.mkdir()
    with pytest.raises(InterchangeError, match="inflates past what a bundle of this size can hold"):
        import_timeline(bomb, out / "p.toml")
    assert list(out.iterdir()) == []  # no project, no half-unpacked media folder


def test_a_bundle_member_over_the_total_cap_is_refused(
    tmp_path: Path, exported: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.interchange import import_timeline, importer
    from core.interchange.errors import InterchangeError

    monkeypatch.setattr(importer, "MAX_BUNDLE_BYTES", 512 * 1024)
    bomb = tmp_path / "b.otioz"
    _bomb(bomb, exported["otioz"], member="media/big.mp4", megabytes=1)
    with pytest.raises(InterchangeError, match="zip bomb"):
        import_timeline(bomb, tmp_path / "p.toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.otioz"]


def test_a_good_bundle_still_unpacks_its_media(tmp_path: Path, exported: dict[str, str]) -> None:
    from core.interchange import import_timeline

    result = import_timeline(exported["otioz"], tmp_path / "p.toml")
    assert [m.online for m in result.project.timeline.media] == [True]
    assert sorted(p.name for p in (tmp_path / "p-media" / "media").iterdir()) == ["a.mp4"]


EDL_EVENT = "001  AX V C 00:00:00:00 00:00:00:10 00:00:00:00 00:00:00:10\n* FROM CLIP NAME:  caf\xe9\n"


@pytest.mark.parametrize("pad", ["", " "])
def test_a_latin1_edl_imports_whatever_its_length(tmp_path: Path, pad: str) -> None:
    raw = ("TITLE: caf\xe9\n\n" + EDL_EVENT + pad).encode("latin-1")
    result = _import(tmp_path, "cut.edl", raw)
    assert result.returncode == 0, result.stderr
    assert "1 clips" in result.stdout
    assert "café" in (tmp_path / "out.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_edl_is_known_by_its_bom_or_its_nuls(tmp_path: Path, codec: str) -> None:
    result = _import(tmp_path, "cut.edl", ("TITLE: caf\xe9\n\n" + EDL_EVENT).encode(codec))
    assert result.returncode == 0, result.stderr
    assert "café" in (tmp_path / "out.toml").read_text(encoding="utf-8")


def test_control_characters_never_reach_an_edl_or_fcp_xml_raw(tmp_path: Path) -> None:
    import xml.dom.minidom

    from core.interchange import import_timeline

    media = make_source(tmp_path / "a\x1b[2Jb.mp4", frames=10, width=64, height=48, fps=25)
    project = project_with(tmp_path, Fraction(25), {"a": media}, [("a", 0, 10)])
    from dataclasses import replace

    project = replace(project, name="n\x1b]0;pwned\x07\x1b[2J\x00x")
    export_timeline(project, tmp_path / "c.edl")
    edl = (tmp_path / "c.edl").read_bytes()
    assert b"\x1b" not in edl and b"\x00" not in edl and b"\x07" not in edl
    assert edl.startswith(b"TITLE: n\\x1b]0;pwned\\x07\\x1b[2J\\x00x\n")
    export_timeline(project, tmp_path / "c.xml")
    xml.dom.minidom.parse(str(tmp_path / "c.xml"))  # well-formed
    back = import_timeline(tmp_path / "c.xml", tmp_path / "back.toml").project
    assert [m.resolved for m in back.timeline.media] == [media.resolve()]  # the URL still names the file
    assert [m.online for m in back.timeline.media] == [True]


def test_a_large_edl_imports_every_event_in_place(tmp_path: Path) -> None:
    """A long EDL (the issue's had 100,000 events) is read in one pass: every event at its place."""
    from core.interchange import import_timeline
    from core.timebase import frames_to_timecode

    fps = Fraction(24)
    lines = ["TITLE: long", ""]
    for i in range(3000):
        rec = f"{frames_to_timecode(10 * i, fps)} {frames_to_timecode(10 * i + 10, fps)}"
        lines.append(f"{i + 1:06d}  AX V C 00:00:00:00 00:00:00:10 {rec}")
        lines.append("* FROM CLIP NAME:  a.mp4")
    (tmp_path / "long.edl").write_text("\n".join(lines) + "\n")
    project = import_timeline(tmp_path / "long.edl", tmp_path / "p.toml").project
    placed = list(project.timeline.placed())
    assert len(placed) == 3000 and [p.start for p in placed] == [10 * i for i in range(3000)]
