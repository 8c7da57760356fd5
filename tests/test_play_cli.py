"""``livecut play`` in the terminal, as a subprocess with no keyboard: it plays to the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "40", "LINES": "12"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.timeout(120)
def test_play_in_terminal_to_the_end(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=45, width=160, height=120, fps=30)
    proj.save(proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")]), tmp_path / "p.toml")
    result = run("play", "p.toml", "--preview", "terminal", "--no-audio", "--from", "0.5s", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "▀" in result.stdout and "\x1b[38;2;" in result.stdout
    assert "ready" in result.stdout
    # the status line never reaches the last column: a wrap there would scroll the picture away
    statuses = re.findall(r"\x1b\[\d+;1H\x1b\[0m\x1b\[K([^\x1b]*)", result.stdout)
    assert statuses and max(len(s) for s in statuses) <= 39, max(statuses, key=len)


def test_play_rejects_a_start_outside_the_timeline(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=10, width=64, height=48, fps=30)
    proj.save(proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")]), tmp_path / "p.toml")
    result = run("play", "p.toml", "--from", "00:10:00:00", tmp=tmp_path)
    assert result.returncode == 2 and "outside the timeline" in result.stderr and "Traceback" not in result.stderr


def test_play_help_lists_its_keys() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui.cli", "play", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "q quits" in result.stdout and "space pauses" in result.stdout
