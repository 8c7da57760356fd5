"""After an edit the preview restarts its stream at the playhead; the picture must never show
another frame on the way (issue #14: undo showed the segment's first frame for ~80 ms, an edge
nudge showed the 2 s cell's first frame for up to a second).

Real engine, real libmpv in ``terminal`` mode; every frame the player hands over is read back
through the test pattern's code band and must be the frame under the playhead.
"""

from __future__ import annotations

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


class Frames:
    def __init__(self) -> None:
        self.indices: list[int | None] = []
        self.cv = threading.Condition()

    def __call__(self, rgb: np.ndarray) -> None:
        with self.cv:
            self.indices.append(picture_index(rgb, SIZE))
            self.cv.notify_all()

    def mark(self) -> int:
        with self.cv:
            return len(self.indices)

    def wait_for(self, index: int, since: int, timeout: float = 20) -> list[int | None]:
        """Frames shown since ``since`` up to and including the first showing ``index``."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while index not in self.indices[since:]:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cv.wait(left)
            time.sleep(0)  # nothing else to wait for: the player is paused
            return list(self.indices[since:])


@pytest.mark.timeout(90)
def test_an_edit_that_restarts_the_stream_shows_only_the_playhead_frame(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=120, width=SIZE[0], height=SIZE[1], fps=30)
    p = proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")], fps="30")
    p = replace(p, width=SIZE[0], height=SIZE[1], preview_height=SIZE[1], cell_frames=30)
    seen = Frames()
    with (
        Engine(p, workers=2, store=CellStore(tmp_path / "cache")) as eng,
        Preview(eng, "terminal", SIZE, on_frame=seen, audio=False) as pv,
    ):
        assert eng.wait_ready(60)
        timeline = p.timeline
        # the playhead in the middle of a cell (frames 30..59): a stream started at the cell's
        # first frame would show 30 before the seek to 47 lands
        pv.set_timeline(timeline, 47)
        shown = seen.wait_for(47, 0)
        assert shown and shown[-1] == 47, shown
        assert set(shown) <= {47}, f"wrong frames on the way to 47: {shown}"

        previous = 47
        for edit, expected in (
            (timeline.split(47), 47),  # split at the playhead then undo: the stream restarts twice
            (timeline, 47),
            (timeline.trim_in(0, 10), 57),  # an edge nudge: source frame 57 is now under the playhead
            (timeline.trim_in(0, 0).split(60), 47),  # and back, with a cut later in the cell
        ):
            since = seen.mark()
            pv.set_timeline(edit, 47)
            time.sleep(0.5)  # let any frame the player would show on the way arrive
            shown = seen.wait_for(expected, since)
            assert expected in shown, (expected, shown)
            # the last right picture may be drawn again until the new one is there; nothing else,
            # and nothing but the new one after it
            first = shown.index(expected)
            assert set(shown[:first]) <= {previous} and set(shown[first:]) == {expected}, (previous, expected, shown)
            previous = expected
