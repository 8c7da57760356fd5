"""Loop playback plays exactly ``[in, out)`` on every pass and returns to ``in`` (issue #26 item 5:
looping frames 30–60 wrapped 60→30, 59→30, 60→31: the seek back, issued when the position
report said the out point, landed a frame late or early).

Real engine, real libmpv in ``terminal`` mode: every frame the player hands over is read back
through the test pattern's code band.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.preview.preview import Preview
from core.synthetic.testpattern import make_source
from tests.core.helpers import picture_index

SIZE = (160, 120)
IN, OUT = 30, 60


class Frames:
    def __init__(self) -> None:
        self.indices: list[int | None] = []
        self.cv = threading.Condition()

    def __call__(self, rgb: np.ndarray) -> None:
        with self.cv:
            self.indices.append(picture_index(rgb, SIZE))
            self.cv.notify_all()

    def shown(self) -> list[int | None]:
        """The frames shown, each once (a picture drawn again is no other frame)."""
        with self.cv:
            out = list(self.indices)
        return [f for i, f in enumerate(out) if i == 0 or out[i - 1] != f]

    def wait_passes(self, passes: int, timeout: float = 30) -> list[int | None]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.shown()
            if shown.count(OUT - 1) >= passes and shown[-1] == IN + 5:
                return shown
            time.sleep(0.01)
        return self.shown()


@pytest.mark.timeout(90)
def test_each_pass_of_a_loop_plays_exactly_in_to_out(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=120, width=SIZE[0], height=SIZE[1], fps=30)
    p = proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")], fps="30")
    p = replace(p, width=SIZE[0], height=SIZE[1], preview_height=SIZE[1], cell_frames=30)
    seen = Frames()
    with (
        Engine(p, workers=2, store=CellStore(tmp_path / "cache")) as eng,
        Preview(eng, "terminal", SIZE, on_frame=seen, audio=False) as pv,
    ):
        assert eng.wait_ready(60)
        pv.set_timeline(p.timeline, IN)
        pv.set_loop(IN, OUT)
        pv.play()
        shown = seen.wait_passes(3)
        pv.pause()
    one_pass = list(range(IN, OUT))
    expected = (one_pass * 5)[: len(shown)]
    assert shown.count(OUT - 1) >= 3, shown
    assert shown == expected, [(a, b) for a, b in itertools.pairwise(shown) if b != (a + 1 if a != OUT - 1 else IN)]
