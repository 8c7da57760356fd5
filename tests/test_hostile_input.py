"""Hostile input to the CLI: every case ends quickly with one clear line, never a traceback or a hang.

Each case is a real subprocess of ``python -m tui.cli`` with a 20 s limit, so a hang or a memory
blow-up fails the test instead of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAD = 'version = 1\n[project]\nname = "x"\n'


def _project(fps: str, media_path: str | None = None) -> str:
    text = HEAD + f"fps = {fps}\n"
    if media_path is not None:
        text += f'[[media]]\nid = "a"\npath = "{media_path}"\n[[clips]]\nmedia = "a"\nin = 0\nout = 10\n'
    return text


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _write(name: str, text: str | bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = tmp / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return ["info", name]

    return make


def _fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "pipe.toml")
    return ["info", "pipe.toml"]


def _loop_new(tmp: Path) -> list[str]:
    (tmp / "loop1").symlink_to("loop2")
    (tmp / "loop2").symlink_to("loop1")
    return ["new", "p.toml", "loop1"]


REFUSED: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "fps inf": (_write("p.toml", _project("inf")), "project.fps: inf is not a frame rate"),
    "fps nan": (_write("p.toml", _project("nan")), "project.fps: nan is not a frame rate"),
    "fps 1e308": (_write("p.toml", _project("1e308")), "not a frame rate between 0 and 1000"),
    "nested arrays": (_write("p.toml", "version = 1\nx = " + "[" * 50_000 + "]" * 50_000 + "\n"), "nested too deeply"),
    "nested tables": (
        _write("p.toml", "version = 1\nx = " + "{a=" * 5_000 + "1" + "}" * 5_000 + "\n"),
        "nested too deeply",
    ),
    "not utf-8": (_write("p.toml", b"version = 1\n\xff\xfe\n"), "not a text file"),
    "/dev/zero": (lambda _tmp: ["info", "/dev/zero"], "not a regular file"),
    "a FIFO": (_fifo, "not a regular file"),
    "a folder": (lambda tmp: ["info", str(tmp)], "is a folder"),
    "new with a symlink loop": (_loop_new, "symbolic link loop"),
    "demo into /dev/null": (lambda _tmp: ["demo", "/dev/null/x"], "cannot create the folder"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_one_clear_line(case: str, tmp_path: Path) -> None:
    make, expected = REFUSED[case]
    result = run(tmp_path, *make(tmp_path))
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("livecut: ") and expected in lines[0], result.stderr


OFFLINE: dict[str, tuple[str, str]] = {
    "a symlink loop": ("loop1", "symbolic link loop"),
    "a NUL in the path": ("a\\u0000b.mp4", "NUL character"),
    "a name longer than 255 bytes": ("x" * 300 + ".mp4", "File name too long"),
}


@pytest.mark.parametrize("case", sorted(OFFLINE))
def test_unusable_media_paths_load_as_offline_with_the_reason(case: str, tmp_path: Path) -> None:
    media, reason = OFFLINE[case]
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "p.toml").write_text(_project('"30"', media), encoding="utf-8")
    result = run(tmp_path, "info", "p.toml")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "OFFLINE" in result.stdout and reason in result.stdout, result.stdout


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_bytes(b"\xef\xbb\xbf" + _project('"25"').encode())
    result = run(tmp_path, "info", "p.toml")
    assert result.returncode == 0, result.stderr
    assert "at 25 fps" in result.stdout


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 10-frame clip and a project using it."""
    from core.synthetic.testpattern import make_source

    folder = tmp_path_factory.mktemp("tiny")
    make_source(folder / "tiny.mp4", frames=10, width=64, height=48, fps=30, audio=False)
    assert run(folder, "new", "p.toml", "tiny.mp4").returncode == 0
    return folder


def _preview(tiny: Path, tmp: Path, output: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "preview", str(tiny / "p.toml"), "-o", output, "--force"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def _one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("livecut: ")]
    assert len(lines) == 1 and expected in lines[0], result.stderr


def test_preview_into_a_folder(tiny: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    _one_line(_preview(tiny, tmp_path, str(tmp_path / "out")), "is a folder")


def test_preview_never_replaces_a_device(tiny: Path, tmp_path: Path) -> None:
    _one_line(_preview(tiny, tmp_path, "/dev/full"), "not a regular file")
    assert Path("/dev/full").is_char_device()


def test_preview_onto_a_full_disk(tiny: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a full disk is simulated with a 4 KiB tmpfs, which needs mount rights: {mounted.stderr!r}")
    try:
        _one_line(_preview(tiny, tmp_path, str(small / "p.mp4")), "No space left on device")
        assert list(small.iterdir()) == []  # no temp file left behind
    finally:
        subprocess.run(["umount", str(small)], check=True)


LIMITS: dict[str, tuple[str, str]] = {
    "16384x16384 export": ("[project]\nname = 'x'\nfps = '30'\nwidth = 16384\nheight = 16384\n", "project.width"),
    "a preview 16384 high": ("[project]\nname = 'x'\nfps = '30'\n[preview]\nheight = 16384\n", "preview.height"),
    "8192x8192 export (too many pixels)": (
        "[project]\nname = 'x'\nfps = '30'\nwidth = 8192\nheight = 8192\n",
        "larger than H.264 can encode",
    ),
    "offline media for a billion frames": (
        "[project]\nname = 'x'\nfps = '30'\n[[media]]\nid = 'a'\npath = 'gone.mp4'\n"
        "[[clips]]\nmedia = 'a'\nin = 0\nout = 1000000000\n",
        "longer than 24 h",
    ),
}


@pytest.mark.parametrize("case", sorted(LIMITS))
def test_limits_an_encoder_can_honour(case: str, tmp_path: Path) -> None:
    text, expected = LIMITS[case]
    (tmp_path / "p.toml").write_text("version = 1\n" + text, encoding="utf-8")
    for command in ("info", "encode", "export"):
        args = [command, "p.toml"] + (["-o", "o.mp4"] if command == "export" else [])
        _one_line(run(tmp_path, *args), expected)


def _header_only_avi(tmp: Path) -> list[str]:
    (tmp / "h.avi").write_bytes(
        b"RIFF" + (16).to_bytes(4, "little") + b"AVI LIST" + (4).to_bytes(4, "little") + b"hdrl"
    )
    return ["probe", "h.avi"]


def _probe_fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "f.mp4")
    return ["probe", "f.mp4"]


def _existing(tmp: Path) -> list[str]:
    (tmp / "p.toml").write_text("x")
    return ["new", "p.toml", "a.mp4"]


def _file_as_folder(tmp: Path) -> list[str]:
    (tmp / "plain").write_text("x")
    return ["demo", str(tmp / "plain" / "demo")]


MORE: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "probe a header-only AVI": (_header_only_avi, "not a readable media file"),
    "probe /dev/zero": (lambda _tmp: ["probe", "/dev/zero"], "not a regular file"),
    "probe a FIFO": (_probe_fifo, "not a regular file"),
    "probe a missing file": (lambda _tmp: ["probe", "nope.mp4"], "nope.mp4"),
    "info of a missing project": (lambda _tmp: ["info", "nope.toml"], "file not found"),
    "an unknown command": (lambda _tmp: ["frobnicate"], "unknown command"),
    "new with a project not ending in .toml": (lambda _tmp: ["new", "p.txt", "a.mp4"], "should end in .toml"),
    "new over an existing project": (_existing, "already exists"),
    "demo under a file": (_file_as_folder, "cannot create the folder"),
    "encode with 0 workers": (lambda tmp: ["encode", "x.toml", "--workers", "0"], "--workers must be at least 1"),
}


@pytest.mark.parametrize("case", sorted(MORE))
def test_more_mistakes_give_one_line(case: str, tmp_path: Path) -> None:
    make, expected = MORE[case]
    _one_line(run(tmp_path, *make(tmp_path)), expected)


def test_encode_with_all_media_offline_fails_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(_project('"30"', "gone.mp4"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "encode", "p.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "media 'a' is offline" in result.stderr


@pytest.mark.parametrize("target", ["folder", "device"])
def test_export_never_writes_over_a_folder_or_a_device(target: str, tiny: Path, tmp_path: Path) -> None:
    output = str(tmp_path) if target == "folder" else "/dev/full"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "export", str(tiny / "p.toml"), "-o", output, "--force"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    _one_line(result, "is a folder" if target == "folder" else "not a regular file")
    assert Path("/dev/full").is_char_device()
