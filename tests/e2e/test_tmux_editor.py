"""End to end: the real editor, engine and libmpv in tmux, driven with keys like a user."""

from __future__ import annotations

import os
import shutil
import sys
import time
import tomllib
from pathlib import Path

import pytest

from core.synthetic.demo import generate_demo
from tests.e2e.tmuxdrive import screen, tmux, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux drives this test; make test installs it"),
]


@pytest.mark.timeout(240)
def test_demo_in_tmux_trim_and_save(tmp_path: Path) -> None:
    generate_demo(tmp_path / "demo-media")
    project = tmp_path / "demo.toml"
    shutil.copy(ROOT / "projects" / "demo.toml", project)
    before = tomllib.loads(project.read_text())
    session = f"livecut-e2e-{os.getpid()}"
    env = (
        f"LIVECUT_CACHE_DIR={tmp_path / 'cache'} LIVECUT_LOG_DIR={tmp_path / 'log'} XDG_CONFIG_HOME={tmp_path / 'cfg'}"
    )
    cmd = f"cd {ROOT} && {env} {sys.executable} -m tui.cli {project} --preview terminal"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36", cmd)
    try:
        total = sum(1 for _ in before["clips"])
        shown = wait_for(session, "ready", 60)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # every segment ready: "N/N ready"
            shown = screen(session)
            line = next((ln for ln in shown.splitlines() if " ready" in ln), "")
            done, _, rest = line.strip().partition("/")
            done = done.split()[-1] if done.split() else ""  # "█ 12/12 ready": the glyph names the state
            if done.isdigit() and rest.split(" ")[0] == done:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"segments never all ready:\n{shown}")
        assert total >= 3
        for key in ("Right",) * 15:  # playhead to frame 15 of the first clip
            tmux("send-keys", "-t", session, key)
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "i")  # trim the first clip's start to the playhead
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "C-s")
        deadline = time.monotonic() + 30
        while tomllib.loads(project.read_text()) == before and time.monotonic() < deadline:
            time.sleep(0.3)
        shown = screen(session)
        after = tomllib.loads(project.read_text())
        first_before, first_after = before["clips"][0], after["clips"][0]
        assert first_after["in"] == first_before["in"] + 15
        assert first_after["out"] == first_before["out"]
        assert after["clips"][1:] == before["clips"][1:]
        assert "Traceback" not in shown
    finally:
        tmux("send-keys", "-t", session, "C-q")
        time.sleep(1)
        tmux("kill-session", "-t", session)
