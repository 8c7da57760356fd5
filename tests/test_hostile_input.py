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


# -- issue #31: hangs, tracebacks and raw escapes -------------------------------------------------
LONG = "x" * 300


def _link_loop(name: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        (tmp / name).symlink_to(f"{name}.other")
        (tmp / f"{name}.other").symlink_to(name)
        return [name]

    return make


def _edl(tmp: Path) -> None:
    (tmp / "cut.edl").write_text("TITLE: cut\n\n001  AX V C 00:00:00:00 00:00:00:10 00:00:00:00 00:00:00:10\n")


def _import_long(tmp: Path) -> list[str]:
    _edl(tmp)
    return ["import", "cut.edl", "-o", LONG + ".toml"]


ISSUE_31: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "fps 1e999999999 (a billion-digit number)": (
        _write("p.toml", _project('"1e999999999"')),
        "project.fps: '1e999999999' is not a frame rate",
    ),
    "a 50,000-part dotted key": (
        _write("p.toml", HEAD + 'fps = "30"\n' + "a" + ".a" * 50_000 + " = 1\n"),
        "a dotted key has more than 256 parts",
    ),
    "new --fps 2000": (lambda _tmp: ["new", "p.toml", "a.mp4", "--fps", "2000"], "--fps: '2000' is not a frame rate"),
    "new --fps abc": (lambda _tmp: ["new", "p.toml", "a.mp4", "--fps", "abc"], "--fps: 'abc' is not a frame rate"),
    "new --fps 0": (lambda _tmp: ["new", "p.toml", "a.mp4", "--fps", "0"], "--fps: '0' is not a frame rate"),
    "new --fps -1": (lambda _tmp: ["new", "p.toml", "a.mp4", "--fps=-1"], "--fps: '-1' is not a frame rate"),
    "encode --workers 100000": (
        lambda _tmp: ["encode", "x.toml", "--workers", "100000"],
        "--workers must be at most 256",
    ),
    "the editor on a .toml link loop": (_link_loop("loop.toml"), "Too many levels of symbolic links"),
    "the editor on a link loop without .toml": (_link_loop("loop"), "Too many levels of symbolic links"),
    "new with a 300-byte name": (lambda _tmp: ["new", LONG + ".toml", "a.mp4"], "File name too long"),
    "probe a 300-byte name": (lambda _tmp: ["probe", LONG + ".mp4"], "File name too long"),
    "import -o a 300-byte name": (_import_long, "File name too long"),
}


@pytest.mark.parametrize("case", sorted(ISSUE_31))
def test_issue_31_mistakes_give_one_line(case: str, tmp_path: Path) -> None:
    make, expected = ISSUE_31[case]
    result = run(tmp_path, *make(tmp_path))
    _one_line(result, expected)
    usage = case.startswith(("new --fps", "encode --workers"))
    assert result.returncode == (2 if usage else 1), result.stderr


@pytest.mark.parametrize("command", ["export", "preview", "convert"])
def test_a_300_byte_output_name_is_one_line(command: str, tiny: Path, tmp_path: Path) -> None:
    out = LONG + (".edl" if command == "convert" else ".mp4")
    args = [command, str(tiny / "p.toml"), out] if command == "convert" else [command, str(tiny / "p.toml"), "-o", out]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env
    )
    _one_line(result, "File name too long")


def test_a_header_only_avi_is_called_truncated(tmp_path: Path) -> None:
    import av
    import numpy as np

    with av.open(str(tmp_path / "full.avi"), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    data = (tmp_path / "full.avi").read_bytes()
    (tmp_path / "h.avi").write_bytes(data[: data.index(b"movi") + 4])  # the headers, then no frames
    _one_line(run(tmp_path, "probe", "h.avi"), "no frames after its headers: a truncated file?")


ESC_NAME = "n\x1b]0;pwned\x07\x1b[2J\x00x"
ESC_MEDIA = "a\x1b[2Jb.mp4"


def _escaped_project(tmp: Path, media: str) -> None:
    text = (
        'version = 1\n[project]\nname = "n\\u001b]0;pwned\\u0007\\u001b[2J\\u0000x"\nfps = "30"\n'
        '[[media]]\nid = "a"\npath = "'
        + media.replace("\x1b", "\\u001b")
        + '"\n[[clips]]\nmedia = "a"\nin = 0\nout = 10\n'
    )
    (tmp / "p.toml").write_text(text, encoding="utf-8")


def test_control_characters_in_names_are_shown_escaped(tiny: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copy(tiny / "tiny.mp4", tmp_path / ESC_MEDIA)
    _escaped_project(tmp_path, ESC_MEDIA)
    result = run(tmp_path, "info", "p.toml")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x00" not in result.stdout and "\x07" not in result.stdout
    assert "n\\x1b]0;pwned\\x07\\x1b[2J\\x00x: 1 clips" in result.stdout
    assert "media a: a\\x1b[2Jb.mp4" in result.stdout


def test_control_characters_in_error_lines_are_shown_escaped(tmp_path: Path) -> None:
    _escaped_project(tmp_path, "gone\x1b[2J.mp4")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    for args in (["encode", "p.toml"], ["export", "p.toml", "-o", "o.mp4"]):
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "\x1b" not in result.stderr and "gone\\x1b[2J.mp4" in result.stderr, result.stderr
    bad = tmp_path / "bad\x1b[2J.toml"
    bad.write_text("version = 1\n[project\n")
    result = run(tmp_path, "info", bad.name)
    assert "\x1b" not in result.stderr and "bad\\x1b[2J.toml" in result.stderr, result.stderr


def test_sigterm_during_an_export_cleans_up_like_ctrl_c(tmp_path: Path) -> None:
    import signal
    import time

    from core.synthetic.testpattern import make_source

    make_source(tmp_path / "long.mp4", frames=300, width=160, height=120, fps=30, audio=False)
    assert run(tmp_path, "new", "p.toml", "long.mp4").returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "export", "p.toml", "-o", "out/o.mp4", "--workers", "1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(out.iterdir()) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)  # the export has started writing: its lock is in the folder
        assert any(out.iterdir()), "the export never started writing"
        proc.send_signal(signal.SIGTERM)
        _stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "export cancelled" in stderr, stderr
    assert sorted(p.name for p in out.iterdir()) == []  # neither the .lc lock nor a .part file


def test_a_full_disk_during_export_names_the_output(tiny: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(small)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"a full disk is simulated with a 4 KiB tmpfs, which needs mount rights: {mounted.stderr!r}")
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
        result = subprocess.run(
            [sys.executable, "-m", "tui.cli", "export", str(tiny / "p.toml"), "-o", str(small / "o.mp4")],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        _one_line(result, f"{small / 'o.mp4'}: the export cannot be written (No space left on device)")
        assert ".part" not in result.stderr
        assert list(small.iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)
