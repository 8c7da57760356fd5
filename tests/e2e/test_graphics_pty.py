"""End to end: the real editor and ``livecut play`` in a pty that answers like kitty, an xterm
with sixel, WezTerm, or a terminal that never answers. The test is the terminal: it decodes the
kitty / sixel / iTerm2 sequences back into pixels and reads the frame number from the test
pattern's code band, so "the right picture in the right place" is checked on the bytes a real
terminal (or an SSH link) would carry.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source, read_index
from tests.e2e.pty_term import TERMINALS, PtyTerminal
from tests.graphics_term import CellScreen, Event, decode, unwrap_tmux
from tui.terminal.blockwriter import FRAME_BEGIN, FRAME_END

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

RIGHT = b"\x1b[C"


def shown_index(picture: np.ndarray | None) -> int | None:
    """The frame number in a decoded picture, its letterbox (black bars) cut off first."""
    if picture is None:
        return None
    lit = np.flatnonzero(picture.max(axis=(1, 2)) > 24)
    cols = np.flatnonzero(picture.max(axis=(0, 2)) > 24)
    if not len(lit) or not len(cols):
        return None
    return read_index(picture[lit[0] : lit[-1] + 1, cols[0] : cols[-1] + 1])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("graphics")
    make_source(tmp / "a.mp4", frames=90, width=320, height=180, fps=30)
    path = tmp / "p.toml"
    proj.save(proj.new_from_media(path, [str(tmp / "a.mp4")]), path)
    return path


def environment(tmp: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "LIVECUT_CACHE_DIR": str(tmp / "cache"),
        "LIVECUT_LOG_DIR": str(tmp / "log"),
        "LIVECUT_CONFIG_DIR": str(tmp / "cfg"),
        "TERM": "xterm-256color",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("TMUX", "TMUX_PANE", "DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        env.pop(name, None)
    return env


def editor(project: Path, tmp: Path, kind: str, *extra: str) -> PtyTerminal:
    argv = [sys.executable, "-m", "tui.cli", str(project), "--preview", "terminal", *extra]
    return PtyTerminal(argv, replies=TERMINALS[kind], env=environment(tmp), cwd=project.parent)


def wait_picture(
    term: PtyTerminal, index: int, start: int = 0, timeout: float = 60, *, at_least: bool = False
) -> Event:
    """The first image after byte ``start`` that shows frame ``index`` (or a later one)."""
    deadline = time.monotonic() + timeout
    seen: list[int | None] = []
    while time.monotonic() < deadline:
        events = [e for e in decode(unwrap_tmux(term.snapshot()[start:])) if e.picture is not None]
        seen = [shown_index(e.picture) for e in events]
        for event, shown in zip(events, seen, strict=True):
            if shown == index or (at_least and shown is not None and shown >= index):
                return event
        time.sleep(0.2)
    raise AssertionError(f"frame {index} never shown; frames seen: {seen[-20:]}")


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("kind", "mode", "said"),
    [
        ("kitty", "kitty", b"picture: kitty"),
        ("xterm-sixel", "sixel", b"picture: sixel"),
        ("wezterm", "iterm", b"picture: iterm"),
    ],
)
def test_editor_shows_the_frame_under_the_playhead(
    project: Path, tmp_path: Path, kind: str, mode: str, said: bytes
) -> None:
    term = editor(project, tmp_path, kind)
    try:
        term.wait_for(said, 30)
        wait_picture(term, 0)
        mark = len(term.snapshot())
        for _ in range(5):
            term.send(RIGHT)
            time.sleep(0.05)
        event = wait_picture(term, 5, mark)
        assert event.kind == mode
        assert event.at == (2, 2)  # the pane's first content cell, inside its border
        if event.cells is not None:
            cols, rows = event.cells
            assert 10 <= cols <= 118 and 5 <= rows <= 34
        # a smaller window: the picture follows the pane
        mark = len(term.snapshot())
        term.resize(90, 30)
        resized = wait_picture(term, 5, mark, timeout=15)
        assert resized.at == (2, 2)
        if event.cells is not None:
            assert resized.cells is not None and resized.cells[0] < event.cells[0]
        # the help screen covers the pane: the picture goes (kitty: deleted) and nothing is drawn
        mark = len(term.snapshot())
        term.send(b"?")
        time.sleep(1.5)
        while_covered = decode(term.snapshot()[mark:])
        if mode == "kitty":
            assert any(e.kind == "kitty-delete" for e in while_covered)
        assert not [e for e in while_covered if e.picture is not None]
        term.send(b"\x1b")  # close help: the picture comes back
        mark = len(term.snapshot())
        wait_picture(term, 5, mark, timeout=10)
        mark = len(term.snapshot())
        term.send(b"\x11")  # ctrl+q
        assert term.wait_exit(30) == 0
        after = decode(term.snapshot()[mark:])
        if mode == "kitty":
            assert after and after[-1].kind == "kitty-delete"  # nothing left on screen
        assert b"Traceback" not in term.snapshot()
    finally:
        term.close()


class ScreenReader:
    """A ``CellScreen`` fed with a terminal's output as it arrives (up to the last complete escape
    sequence), reading the frame number of the half-block picture in the preview pane."""

    def __init__(self, term: PtyTerminal, cols: int = 120, rows: int = 36) -> None:
        self.term, self.screen, self.fed = term, CellScreen(cols, rows), 0

    def shown(self) -> int | None:
        data = self.term.snapshot()
        end = data.rfind(b"\x1b")
        if end > self.fed:
            self.screen.feed(data[self.fed : end])
            self.fed = end
        try:
            row, col, rows, cols = self.screen.inside_box(0, 0)  # the pane is the top-left box
        except StopIteration:
            return None
        picture = self.screen.picture(row, col, rows, cols)
        return read_index(picture) if picture.size else None

    def wait(self, index: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        seen: list[int | None] = []
        while time.monotonic() < deadline:
            seen.append(self.shown())
            if seen[-1] == index:
                return
            time.sleep(0.2)
        raise AssertionError(f"frame {index} never on screen; seen: {seen[-20:]}")


@pytest.mark.timeout(120)
def test_editor_with_a_silent_terminal_falls_back_to_half_blocks(project: Path, tmp_path: Path) -> None:
    """Half blocks, read back from the screen: the frame under the playhead, also after steps
    (the pane then writes only the cells that changed) and after the help screen covered it."""
    term = editor(project, tmp_path, "silent")
    try:
        term.wait_for(b"picture: half blocks: no reply", 30)  # the status line may shorten the reason
        reader = ScreenReader(term)
        reader.wait(0)
        for _ in range(5):
            term.send(RIGHT)
            time.sleep(0.05)
        reader.wait(5, timeout=20)
        assert FRAME_BEGIN.encode() in term.snapshot()  # written by the pane itself, not as Textual segments
        term.send(b"?")
        time.sleep(1.5)
        term.send(b"\x1b")  # close help: Textual repaints the pane, which still shows frame 5
        time.sleep(1.0)
        reader.wait(5, timeout=10)
        for _ in range(3):
            term.send(RIGHT)
            time.sleep(0.05)
        reader.wait(8, timeout=20)
        term.send(b"\x11")
        assert term.wait_exit(30) == 0
        assert not decode(term.snapshot())
    finally:
        term.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("kind", "mode"), [("kitty", "kitty"), ("xterm-sixel", "sixel"), ("wezterm", "iterm")])
def test_play_draws_frames_in_order_and_clears_after_q(project: Path, tmp_path: Path, kind: str, mode: str) -> None:
    argv = [sys.executable, "-m", "tui.cli", "play", str(project), "--preview", "terminal", "--no-audio"]
    term = PtyTerminal(argv, cols=80, rows=24, replies=TERMINALS[kind], env=environment(tmp_path), cwd=project.parent)
    try:
        wait_picture(term, 30, timeout=60, at_least=True)
        term.send(b"q")
        assert term.wait_exit(30) == 0
        data = term.snapshot()
        events = decode(data)
        pictures = [e for e in events if e.picture is not None]
        assert {e.kind for e in pictures} == {mode}
        shown = [shown_index(e.picture) for e in pictures]
        numbers = [n for n in shown if n is not None]
        assert len(numbers) == len(shown) and numbers == sorted(numbers)  # forwards, every picture readable
        tail = data[data.rfind(b"\x1b[?1049l") - 400 :]
        assert data.rstrip().endswith(b"\x1b[?1049l")  # back to the shell's screen: no frame left over
        if mode == "kitty":
            assert b"a=d" in tail
    finally:
        term.close()


@pytest.mark.timeout(120)
def test_play_half_blocks_show_frames_in_order_and_clear_after_q(project: Path, tmp_path: Path) -> None:
    """``livecut play`` on a terminal without graphics: the screen read back after every picture
    shows the video's frames forwards (only changed cells are sent, so this checks the sum of the
    changes), and q leaves the alternate screen."""
    argv = [sys.executable, "-m", "tui.cli", "play", str(project), "--preview", "terminal", "--no-audio"]
    env = {**environment(tmp_path), "COLORTERM": "truecolor"}
    term = PtyTerminal(argv, cols=80, rows=24, replies=TERMINALS["plain"], env=env, cwd=project.parent)
    try:
        term.wait_for(b"q quits", 60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and term.snapshot().count(FRAME_END.encode()) < 40:
            time.sleep(0.2)
        term.send(b"q")
        assert term.wait_exit(30) == 0
        data = term.snapshot()
        screen = CellScreen(80, 24)
        shown: list[int | None] = []
        fed = 0
        end = FRAME_END.encode()
        at = data.find(end)
        while at >= 0:
            screen.feed(data[fed : at + len(end)])
            fed = at + len(end)
            shown.append(shown_index(screen.picture(0, 0, 23, 80)))
            at = data.find(end, fed)
        numbers = [n for n in shown if n is not None]
        assert len(shown) >= 40 and len(numbers) >= 0.9 * len(shown)
        assert numbers == sorted(numbers) and numbers[-1] - numbers[0] >= 20
        assert data.rstrip().endswith(b"\x1b[?1049l")
        assert not decode(data)
    finally:
        term.close()


@pytest.mark.timeout(120)
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("passthrough", ["on", "off"])
def test_play_inside_tmux(project: Path, tmp_path: Path, passthrough: str) -> None:
    """Real tmux in the scripted terminal: with allow-passthrough the kitty sequences reach the
    outer terminal (tmux unwraps them); without it, half blocks and one sentence why."""
    env = environment(tmp_path)
    conf = tmp_path / "tmux.conf"
    conf.write_text(f"set -g allow-passthrough {passthrough}\nset -g status off\n")
    inner = f"cd {project.parent} && {sys.executable} -m tui.cli play {project} --preview terminal --no-audio"
    argv = ["tmux", "-S", str(tmp_path / "tmux.sock"), "-f", str(conf), "new-session", "-x", "100", "-y", "30", inner]
    term = PtyTerminal(argv, cols=100, rows=30, replies=TERMINALS["kitty"], env=env, cwd=tmp_path)
    try:
        if passthrough == "on":
            event = wait_picture(term, 20, timeout=90, at_least=True)
            assert event.kind == "kitty"
        else:
            term.wait_for(b"allow-passthrough", 90)  # said once, in the status line
            term.wait_for("▀".encode(), 30)
            assert not [e for e in decode(term.snapshot()) if e.picture is not None]
        term.send(b"q")
        assert term.wait_exit(30) == 0
    finally:
        term.close()
