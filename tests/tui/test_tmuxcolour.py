"""Truecolour inside tmux: asked of tmux, never guessed from TERM."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.terminal.tmuxcolour import tmux_truecolour


def test_rgb_from_tmux_turns_truecolour_on() -> None:
    env = {"TMUX": "/tmp/tmux-0/default,1,0", "TERM": "tmux-256color"}
    assert tmux_truecolour(env, ask=lambda _fmt: "bpaste,focus,RGB,title") == ""
    assert env["COLORTERM"] == "truecolor"


def test_no_rgb_says_how() -> None:
    env = {"TMUX": "x"}
    note = tmux_truecolour(env, ask=lambda _fmt: "bpaste,focus,title")
    assert "COLORTERM" not in env and "terminal-features" in note


def test_outside_tmux_or_with_colorterm_nothing_is_asked() -> None:
    def never(_fmt: str) -> str:
        raise AssertionError("tmux must not be asked")

    assert tmux_truecolour({"TERM": "xterm"}, ask=never) == ""
    assert tmux_truecolour({"TMUX": "x", "COLORTERM": "24bit"}, ask=never) == ""


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is the real peer here; make test installs it")
def test_a_real_tmux_answers(tmp_path: Path) -> None:
    """In a real tmux server the question is understood: the answer is a feature list or nothing."""
    out = tmp_path / "out"
    code = (
        f"import os, sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from tui.terminal.tmuxcolour import tmux_truecolour\n"
        "env = dict(os.environ); env.pop('COLORTERM', None)\n"
        "note = tmux_truecolour(env)\n"
        f"open({str(out)!r}, 'w').write(repr((note, env.get('COLORTERM'))))\n"
    )
    socket = f"lc-colour-{os.getpid()}"
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24", sys.executable, "-c", code],
        check=True,
        env={k: v for k, v in os.environ.items() if k != "TMUX"},
    )
    try:
        deadline = time.monotonic() + 20
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        note, colorterm = eval(out.read_text())
        assert (colorterm == "truecolor" and note == "") or (colorterm is None and "terminal-features" in note)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
