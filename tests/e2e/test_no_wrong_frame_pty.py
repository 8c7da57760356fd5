"""End to end (issue #14): after an undo or an edge nudge the real editor never draws another
frame on the way to the right one. The editor runs in a pty that answers like kitty; every
picture it writes is decoded and its frame number read from the code band.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.e2e.test_graphics_pty import editor, shown_index, wait_picture
from tests.graphics_term import decode, unwrap_tmux

pytestmark = pytest.mark.slow

RIGHT, SHIFT_RIGHT = b"\x1b[C", b"\x1b[1;2C"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("noflash")
    make_source(tmp / "a.mp4", frames=150, width=320, height=180, fps=30)
    path = tmp / "p.toml"
    proj.save(proj.new_from_media(path, [str(tmp / "a.mp4")]), path)
    return path


def pictures_since(term: object, mark: int) -> list[int | None]:
    events = decode(unwrap_tmux(term.snapshot()[mark:]))  # type: ignore[attr-defined]
    return [shown_index(e.picture) for e in events if e.picture is not None]


def runs(values: list[int | None]) -> list[int | None]:
    return [v for v, _ in itertools.groupby(values)]


@pytest.mark.timeout(120)
def test_undo_and_edge_nudge_never_flash_another_frame(project: Path, tmp_path: Path) -> None:
    term = editor(project, tmp_path, "kitty")
    try:
        term.wait_for(b"picture: kitty", 30)
        wait_picture(term, 0)
        term.send(SHIFT_RIGHT)  # 30: the second second, inside the first 2 s cell
        for _ in range(14):
            term.send(RIGHT)
            time.sleep(0.03)
        wait_picture(term, 44)
        time.sleep(1.5)  # every cell encoded and the picture settled

        mark = len(term.snapshot())
        term.send(b"s")  # split at the playhead, then undo: the stream restarts twice
        time.sleep(0.8)
        term.send(b"\x1a")  # ctrl+z
        time.sleep(1.5)
        shown = pictures_since(term, mark)
        assert set(shown) <= {44}, f"after split + undo at 44: {shown}"

        mark = len(term.snapshot())
        term.send(b"[")  # the start edge of the clip under the playhead
        time.sleep(0.3)
        term.send(b">")  # trim it one second later: the picture under the playhead changes once
        time.sleep(2.5)
        shown = [s for s in pictures_since(term, mark) if s is not None]
        assert shown, "the picture never changed after the trim"
        assert len(runs(shown)) <= 2 and runs(shown)[0] in (44, runs(shown)[-1]), f"after [ > at 44: {shown}"
    finally:
        term.close()
