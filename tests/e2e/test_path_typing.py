"""Path fields under real-speed typing: keys sent in one burst by tmux, as a fast typist, a paste
or an ssh link delivers them. Every editing key must act in the order it was typed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.synthetic.testpattern import make_source

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux drives this test; make test installs it"),
]


class Tmux:
    """One editor in its own tmux server (``-L``), so nothing else running tmux is touched."""

    def __init__(self, name: str) -> None:
        self.socket = name

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "e")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; screen:\n{shown}")


@pytest.fixture
def editor(tmp_path: Path):  # type: ignore[no-untyped-def]
    make_source(tmp_path / "a.mp4", frames=30, width=64, height=48, fps=30, audio=False)
    (tmp_path / "sub").mkdir()
    (tmp_path / "trial1-cut.toml").write_text("")  # the save-as prompt completes projects and folders
    subprocess.run(
        [sys.executable, "-m", "tui.cli", "new", "demo.toml", "a.mp4"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    tmux = Tmux(f"livecut-path-{os.getpid()}-{tmp_path.name[-8:]}")
    env = (
        f"LIVECUT_CACHE_DIR={tmp_path / 'cache'} LIVECUT_LOG_DIR={tmp_path / 'log'} XDG_CONFIG_HOME={tmp_path / 'cfg'}"
    )
    cmd = f"cd {tmp_path} && env -u COLUMNS -u LINES {env} PYTHONPATH={ROOT} {sys.executable} -m tui.cli demo.toml --preview none"
    tmux("new-session", "-d", "-s", "e", "-x", "120", "-y", "36", cmd)
    try:
        tmux.wait_for("demo.toml")
        yield tmux, tmp_path
    finally:
        tmux("kill-server")


def _field(screen: str) -> str:
    """The text in the prompt's input (the line between the input's borders)."""
    for line in screen.splitlines():
        if "▊" in line and "▎" in line and "▔" not in line and "▁" not in line:
            return line.split("▊", 1)[1].rsplit("▎", 1)[0].strip()
    raise AssertionError(f"no input field on screen:\n{screen}")


@pytest.mark.timeout(120)
def test_backspaces_then_typing_in_one_burst(editor: tuple[Tmux, Path]) -> None:
    tmux, folder = editor
    tmux("send-keys", "-t", "e", "C-w")
    tmux.wait_for("save project as")
    for _round in range(3):  # the race needs a burst: repeat to give it every chance
        tmux("send-keys", "-t", "e", "End", *["BSpace"] * 40)
        tmux("send-keys", "-t", "e", "-l", "sub/broken.toml")
        time.sleep(1.0)
        assert _field(tmux.screen()) == "sub/broken.toml"
    tmux("send-keys", "-t", "e", "Enter")
    tmux.wait_for("saved broken.toml")
    assert (folder / "sub" / "broken.toml").exists()


@pytest.mark.timeout(120)
def test_tab_right_after_typing_keeps_what_was_typed(editor: tuple[Tmux, Path]) -> None:
    tmux, _folder = editor
    tmux("send-keys", "-t", "e", "C-w")
    tmux.wait_for("save project as")
    tmux("send-keys", "-t", "e", "C-u")
    tmux("send-keys", "-t", "e", "-l", "trial1-cut.toml")
    tmux("send-keys", "-t", "e", "Tab")
    time.sleep(1.0)
    assert _field(tmux.screen()) == "trial1-cut.toml"
    tmux("send-keys", "-t", "e", "C-u")
    tmux("send-keys", "-t", "e", "-l", "tri")
    time.sleep(0.8)  # now the completion is there: tab takes it
    tmux("send-keys", "-t", "e", "Tab")
    time.sleep(0.8)
    assert _field(tmux.screen()) == "trial1-cut.toml"


@pytest.mark.timeout(120)
def test_keys_typed_while_the_prompt_opens_go_into_it(editor: tuple[Tmux, Path]) -> None:
    """ctrl+w and the path in one burst: nothing reaches the editor (End would move the playhead)."""
    tmux, folder = editor
    tmux("send-keys", "-t", "e", "C-w", "End", *["BSpace"] * 9)
    tmux("send-keys", "-t", "e", "-l", "sub/broken.toml")
    time.sleep(1.5)
    shown = tmux.screen()
    assert _field(shown) == "sub/broken.toml"
    assert "00:00:00:00 /" in shown  # the playhead did not go to the end
    tmux("send-keys", "-t", "e", "Enter")
    tmux.wait_for("saved broken.toml")
    assert (folder / "sub" / "broken.toml").exists()


@pytest.mark.timeout(120)
def test_every_text_field_keeps_key_order_in_a_burst(editor: tuple[Tmux, Path]) -> None:
    """Not only path fields: the project settings' rate in one burst of End, backspaces and digits
    (Textual ran the backspaces after the digits, so ``30`` became empty)."""
    import re

    tmux, _folder = editor
    tmux("send-keys", "-t", "e", "P")
    tmux.wait_for("project settings")
    tmux("send-keys", "-t", "e", "Tab")
    time.sleep(0.5)
    for digits in ("25", "24", "50"):
        tmux("send-keys", "-t", "e", "End", "BSpace", "BSpace", digits)  # one write: a burst
        time.sleep(0.8)
        assert re.search(rf"Frame rate\s+{digits}\s+{digits} fps", tmux.screen()), tmux.screen()
