"""The live preview with a real libmpv (vo/ao null): plays, seeks, jumps ahead of pending cells."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.playback import Ended
from core.preview.preview import Preview
from core.preview.seam import Position, PreviewEvent
from core.preview.still import first_frame
from core.synthetic.testpattern import make_source, read_index


class Recorder:
    def __init__(self) -> None:
        self.events: list[PreviewEvent] = []
        self.cv = threading.Condition()

    def __call__(self, event: PreviewEvent) -> None:
        with self.cv:
            self.events.append(event)
            self.cv.notify_all()

    def wait(self, pred, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        with self.cv:
            while not any(pred(e) for e in self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
        return True


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> proj.Project:
    d = tmp_path_factory.mktemp("pv")
    make_source(d / "a.mp4", frames=60, width=160, height=120, fps=30)
    make_source(d / "b.mp4", frames=60, width=160, height=120, fps=30)
    p = proj.new_from_media(d / "p.toml", [str(d / "a.mp4"), str(d / "b.mp4")])
    return replace(p, width=320, height=240, preview_height=120, cell_frames=15)


@pytest.mark.timeout(60)
def test_plays_to_the_end_and_seeks(project: proj.Project, tmp_path: Path) -> None:
    rec = Recorder()
    with Engine(project, workers=2, store=CellStore(tmp_path)) as eng, Preview(eng, on_event=rec, audio=False) as pv:
        pv.set_timeline(project.timeline, 0)
        pv.play()
        assert rec.wait(lambda e: isinstance(e, Ended) or (isinstance(e, Position) and e.frame >= 115))
        pv.pause()
        pv.seek(40)
        deadline = time.monotonic() + 10
        while abs((pv.player.position_frame(pv.fps) or -99) - 40) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert abs((pv.player.position_frame(pv.fps) or -99) - 40) <= 1


@pytest.mark.timeout(60)
def test_jump_ahead_plays_an_encoded_region_while_earlier_cells_are_pending(
    project: proj.Project, tmp_path: Path
) -> None:
    rec = Recorder()
    with Engine(project, workers=1, store=CellStore(tmp_path)) as eng, Preview(eng, on_event=rec, audio=False) as pv:
        pv.set_timeline(project.timeline, 90)  # the playhead far ahead: its cells go first
        pv.play()
        assert rec.wait(lambda e: isinstance(e, Position) and e.frame >= 95)
        first_played = min(e.frame for e in rec.events if isinstance(e, Position) and e.frame >= 90)
        assert first_played >= 90


def test_first_frame_is_decoded_directly(project: proj.Project) -> None:
    info = project.timeline.media_by_id("a").info
    assert info is not None
    t0 = time.perf_counter()
    rgb = first_frame(info, 17, (160, 120), project.fps)
    assert time.perf_counter() - t0 < 2
    assert rgb is not None and rgb.shape == (120, 160, 3)
    assert read_index(rgb) == 17
