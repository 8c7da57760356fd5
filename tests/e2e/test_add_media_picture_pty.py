"""End to end (issue #26 item 4): adding media at the end shows the new clip's first frame.

The reporter saw the previous clip's last frame stay on screen (4 tries in 12) after End, ``a``,
a byte copy of a clip already in the project, Enter — and still after → to the next frame. The
editor runs in a pty that answers like kitty; every picture it writes is decoded and its frame
number read from the test pattern's code band.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.e2e.test_graphics_pty import editor, wait_picture
from tests.e2e.test_no_wrong_frame_pty import pictures_since

pytestmark = pytest.mark.slow

END, RIGHT = b"\x1b[F", b"\x1b[C"
FRAMES = 60


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("addend")
    make_source(tmp / "a.mp4", frames=FRAMES, width=320, height=180, fps=30)
    make_source(tmp / "b.mp4", frames=FRAMES + 15, width=320, height=180, fps=30, tone_hz=660.0)
    shutil.copyfile(tmp / "a.mp4", tmp / "d.mp4")  # a byte copy: the same cells as clip 1
    path = tmp / "p.toml"
    proj.save(proj.new_from_media(path, [str(tmp / "a.mp4"), str(tmp / "b.mp4")]), path)
    return path


def settled(term: object, mark: int, wait: float = 1.5) -> list[int | None]:
    time.sleep(wait)
    return [s for s in pictures_since(term, mark) if s is not None]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("attempt", range(2))
def test_adding_a_copy_at_the_end_shows_its_first_frame(project: Path, tmp_path: Path, attempt: int) -> None:
    term = editor(project, tmp_path, "kitty")
    try:
        term.wait_for(b"picture: kitty", 30)
        wait_picture(term, 0)
        term.send(END)
        wait_picture(term, FRAMES + 14)  # clip 2's last frame
        time.sleep(0.4 * attempt)  # the timing varies between tries

        mark = len(term.snapshot())
        term.send(b"a")
        time.sleep(0.3)
        term.send(b"d.mp4")
        time.sleep(0.2)
        term.send(b"\r")
        term.wait_for(b"added d.mp4", 20)
        shown = settled(term, mark)
        assert shown and shown[-1] == 0, f"after adding d.mp4 at the end (clip 2, its frame 0): {shown}"

        mark = len(term.snapshot())
        term.send(RIGHT)
        shown = settled(term, mark, 1.0)
        assert shown and shown[-1] == 1, f"after → (clip 2, its frame 1): {shown}"
    finally:
        term.close()
