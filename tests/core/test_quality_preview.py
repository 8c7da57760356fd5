"""A rung change under a real libmpv: the stream ends at a segment, the next rung plays on."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.preview.preview import Preview
from core.preview.seam import Ended, PreviewEvent
from core.synthetic.testpattern import make_source

from .helpers import picture_index

SIZE = (320, 240)


class Frames:
    def __init__(self) -> None:
        self.indices: list[int | None] = []
        self.shapes: set[tuple[int, ...]] = set()
        self.ended = threading.Event()

    def frame(self, rgb: np.ndarray) -> None:
        self.shapes.add(rgb.shape)
        self.indices.append(picture_index(rgb, SIZE))

    def event(self, event: PreviewEvent) -> None:
        if isinstance(event, Ended):
            self.ended.set()


@pytest.mark.timeout(90)
def test_playback_switches_rung_at_a_segment_and_every_frame_is_right(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=90, width=SIZE[0], height=SIZE[1], fps=30)
    p = proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")], fps="30")
    p = replace(p, width=SIZE[0], height=SIZE[1], preview_height=120, cell_frames=15)
    store = CellStore(tmp_path / "cache")
    with Engine(p, workers=2, store=store, quality="quarter") as eng:
        assert eng.scheduler.wait_idle(60)  # every cell at the lowest rung
    with Engine(p, workers=2, store=store, quality="full") as eng:
        eng.set_playhead(45)
        assert eng.wait_ready(60)
        # the second half is also at the top rung now; drop the top rung of the first half
        for seg in eng.segments[:3]:
            store.discard(seg.key)
    seen = Frames()
    with (
        Engine(p, workers=1, store=store, quality="auto") as eng,
        Preview(eng, "terminal", (160, 120), on_frame=seen.frame, on_event=seen.event, audio=False) as pv,
    ):
        pv.set_timeline(p.timeline, 0)
        assert pv.rung == 2
        pv.play()
        assert seen.ended.wait(30)
        assert pv.rung == 0
    got = [i for i in seen.indices if i is not None]
    assert len(got) >= 80 and got[-1] >= 85
    assert all(b >= a for a, b in itertools.pairwise(got))  # never a wrong or earlier frame
    assert len(seen.shapes) == 1  # both rungs drawn into the same pane size
