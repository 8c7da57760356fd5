"""End to end in tmux: a three-point insert from the source view and a roll trim, then save; the
saved TOML (version 2) and the frame the status line shows are checked (real editor, engine, libmpv)."""

from __future__ import annotations

import os
import shutil
import sys
import time
import tomllib
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.demo import generate_demo
from core.timebase import frames_to_timecode
from tests.e2e.tmuxdrive import tmux, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux drives this test; make test installs it"),
]


def keys(session: str, *names: str) -> None:
    for name in names:
        tmux("send-keys", "-t", session, name)
        time.sleep(0.15)  # one key at a time, as typed
    time.sleep(0.5)


@pytest.mark.timeout(240)
def test_three_point_insert_and_roll_in_tmux(tmp_path: Path) -> None:
    generate_demo(tmp_path / "demo-media")
    project = tmp_path / "demo.toml"
    shutil.copy(ROOT / "projects" / "demo.toml", project)
    before = proj.load(project).timeline
    first_len = before.clips[0].length
    source = before.media[0]
    session = f"livecut-e2e-3pt-{os.getpid()}"
    env = (
        f"LIVECUT_CACHE_DIR={tmp_path / 'cache'} LIVECUT_LOG_DIR={tmp_path / 'log'} XDG_CONFIG_HOME={tmp_path / 'cfg'}"
    )
    cmd = f"cd {ROOT} && {env} {sys.executable} -m tui.cli {project} --preview terminal"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36", cmd)
    try:
        wait_for(session, "ready", 60)
        keys(session, "Down")  # the timeline's playhead to the end of clip 1
        keys(session, "b")  # the source view of the first bin item
        wait_for(session, f"source: {source.name}", 20)
        keys(session, *["Right"] * 10, "i", "S-Right", "o")  # source in 10, out 40 (inclusive)
        wait_for(session, "◆ IN", 10)  # the marks on the source view's ruler
        keys(session, "B", "n")  # back to the timeline, insert at its playhead
        keys(session, "[", "t", ".")  # the incoming clip's start edge, roll mode, roll one frame right
        playhead = first_len + 31 + 1
        shown = wait_for(session, f"{frames_to_timecode(playhead, before.fps)} / ", 10)  # the frame shown
        keys(session, "C-s")
        deadline = time.monotonic() + 30
        while "version = 2" not in project.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        saved = tomllib.loads(project.read_text())
        assert saved["version"] == 2
        clips = saved["clips"]
        assert clips[1] == {"media": source.id, "in": 10, "out": 42}  # inserted, then rolled one frame later
        old = before.clips[1]
        assert (clips[2]["media"], clips[2]["in"], clips[2]["out"]) == (old.media, old.in_ + 1, old.out)
        assert len(clips) == len(before.clips) + 1
        assert proj.load(project).timeline.duration == before.duration + 31
        assert "Traceback" not in shown
    finally:
        tmux("send-keys", "-t", session, "C-q")
        time.sleep(1)
        tmux("kill-session", "-t", session)
