"""Quality adaptation: the ladder's keys, the controller's decisions, the engine's rungs, a 1× playout."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest

from core.cells.plan import PlanSettings, SegmentState, media_cell, variant
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.engine.quality import LADDER, QualityController, rung_index, rung_profiles
from core.engine.scheduler import Run
from core.model import project as proj
from core.preview.realtime import RealtimeReport, play_realtime
from core.synthetic.testpattern import make_source

from .helpers import picture_index

C = 15
SIZE = (320, 240)


# -- the ladder and its keys ----------------------------------------------------------------------
def test_variants_are_keyed_apart_and_the_top_rung_keeps_its_key() -> None:
    settings = PlanSettings(C, "top", ("half", "quarter"))
    cell = media_cell("fp", "m", 3, 100, settings, Fraction(30))
    legacy = media_cell("fp", "m", 3, 100, PlanSettings(C, "top"), Fraction(30))
    assert cell.key == legacy.key  # adding a ladder re-keys nothing at the top rung
    keys = {variant(cell, r, settings).key for r in range(3)}
    assert len(keys) == 3
    assert variant(cell, 2, settings) == variant(cell, 2, settings)
    assert variant(cell, 1, settings).rung == 1 and variant(cell, 1, settings).index == 3
    with pytest.raises(ValueError):
        variant(cell, 3, settings)


def test_rung_profiles_shrink_the_canvas_and_keep_the_top_one() -> None:
    from core.cells.encode import PreviewProfile

    top = PreviewProfile(640, 360, Fraction(30))
    profiles = rung_profiles(top, 1920, 1080)
    assert profiles[0] is top
    assert [(p.width, p.height) for p in profiles] == [(640, 360), (320, 180), (160, 90)]
    assert [p.crf for p in profiles] == [r.crf for r in LADDER]
    assert rung_index("auto") is None and rung_index("half") == 1
    with pytest.raises(ValueError):
        rung_index("potato")


def test_the_store_evicts_superseded_low_rung_cells_first(tmp_path: Path) -> None:
    store = CellStore(tmp_path, limit_bytes=10_000_000)
    for key in ("a" * 32, "b" * 32, "c" * 32):
        store.put(key, bytes(4000))
        time.sleep(0.01)  # distinct use times: "a" is the least recently used
    store.prefer_evicting(["c" * 32])
    store.limit = 9000  # room for two
    assert store.evict() == 1
    assert not store.has("c" * 32) and store.has("a" * 32)


# -- the controller -------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def steady(controller: QualityController, clock: Clock, cost: Callable[[int], float], seconds: float) -> list[int]:
    """Feed a steady load: every 0.5 s a cell of 0.5 s of source costs ``cost(rung)`` seconds;
    the buffer ahead grows when the pool outruns real time and shrinks when it does not."""
    ahead = 0.0
    rungs = []
    for _ in range(int(seconds / 0.5)):
        rung = controller.rung
        controller.record(rung, 0.5, cost(rung))
        speed = controller.workers * 0.5 / cost(rung)
        ahead = max(0.0, min(30.0, ahead + 0.5 * (speed - 1.0)))
        clock.now += 0.5
        rungs.append(controller.decide(ahead))
    return rungs


def test_drops_when_playback_would_starve_and_settles() -> None:
    clock = Clock()
    ctl = QualityController(3, 2, clock=clock)
    # the top rung makes 0.4x real time per worker (0.8x with two), half 4x cheaper
    rungs = steady(ctl, clock, lambda r: 1.25 / 4**r, 60)
    assert rungs[-1] == 1
    assert ctl.changes == 1  # one drop, no oscillation over a minute of steady load


def test_never_drops_when_encoding_keeps_up() -> None:
    clock = Clock()
    ctl = QualityController(3, 2, clock=clock)
    rungs = steady(ctl, clock, lambda r: 0.3 / 4**r, 60)
    assert set(rungs) == {0}
    assert ctl.changes == 0


def test_climbs_back_after_the_load_got_lighter_with_hysteresis() -> None:
    clock = Clock()
    ctl = QualityController(3, 2, clock=clock)
    steady(ctl, clock, lambda r: 1.25 / 4**r, 10)
    assert ctl.rung == 1
    ctl.record(0, 0.5, 0.1)  # sharpening measured the top rung fast again (several samples)
    for _ in range(8):
        ctl.record(0, 0.5, 0.1)
    assert ctl.decide(0.0) == 1  # a short buffer: no climb, and the hold starts over
    clock.now += 1
    assert ctl.decide(20.0) == 1  # comfortable, but not for long enough yet
    clock.now += 6
    assert ctl.decide(20.0) == 0


def test_a_pin_wins_over_the_controller() -> None:
    clock = Clock()
    ctl = QualityController(3, 2, clock=clock)
    ctl.pin(2)
    assert steady(ctl, clock, lambda r: 0.1, 10)[-1] == 2
    ctl.pin(None)
    assert ctl.rung == 0


# -- the engine -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("quality-media")
    make_source(d / "a.mp4", frames=90, width=SIZE[0], height=SIZE[1], fps=30, gop=30, bframes=2, tone_hz=440)
    return d


def project(media: Path, tmp: Path) -> proj.Project:
    p = proj.new_from_media(tmp / "p.toml", [str(media / "a.mp4")], fps="30")
    return replace(p, width=SIZE[0], height=SIZE[1], preview_height=120, cell_frames=C)


def test_a_pinned_lower_rung_makes_only_that_rung_and_shows_it(media: Path, tmp_path: Path) -> None:
    p = project(media, tmp_path)
    with Engine(p, workers=2, store=CellStore(tmp_path / "cache"), quality="half") as eng:
        assert eng.scheduler.wait_idle(60, include_idle_work=True)
        snap = eng.snapshot()
        assert set(snap.states) == {SegmentState.LOWER}
        assert snap.rung_name == "half" and snap.pinned
        assert eng.stats().cells_per_rung == (0, 6, 0)
        key = eng.resolve_at(1, eng.segments[0], threading.Event())
        assert key is not None
        data = eng.store.get(key)
        assert data is not None
        with av.open(io.BytesIO(data)) as c:
            assert (c.streams.video[0].width, c.streams.video[0].height) == (80, 60)
        eng.set_quality("full")  # pinned full: everything at the top rung
        assert eng.wait_ready(60)
        assert set(eng.snapshot().states) == {SegmentState.READY}


def test_idle_time_sharpens_low_rung_cells_to_the_top(media: Path, tmp_path: Path) -> None:
    p = project(media, tmp_path)
    store = CellStore(tmp_path / "cache")
    with Engine(p, workers=2, store=store, quality="quarter") as eng:
        assert eng.scheduler.wait_idle(60)
    with Engine(p, workers=2, store=store, quality="auto") as eng:
        assert {eng.best_rung(s.cell) for s in eng.segments} == {2}
        assert eng.snapshot().states[0] == SegmentState.LOWER
        assert eng.scheduler.wait_idle(60, include_idle_work=True)
        assert {eng.best_rung(s.cell) for s in eng.segments} == {0}
        # the low-rung cells stay in the cache for the next cold moment
        assert all(store.has(variant(s.cell, 2, eng.settings).key) for s in eng.segments)


# -- a 1× playout with a throttled encoder ------------------------------------------------------------
class Throttled(Engine):
    """A real engine whose encodes also cost ``top_seconds`` per cell at the top rung, scaled by
    pixels: heavy footage on a slow machine, in a test-sized file."""

    top_seconds = 1.2

    def _encode(
        self, run: Run, cancel: threading.Event, progress: Callable[[int, int], None]
    ) -> Iterator[tuple[int, bytes]]:
        rung_of = {c.index: c.rung for c in run.cells}
        top = self.profiles[0].width * self.profiles[0].height
        for index, data in super()._encode(run, cancel, progress):
            prof = self.profiles[rung_of[index]]
            if cancel.wait(self.top_seconds * prof.width * prof.height / top):
                return
            yield index, data


def check_frames(report: RealtimeReport, tmp: Path) -> None:
    """Every frame delivered is the expected source frame (the timeline is the source, 1:1)."""
    assert report.sessions
    for n, played in enumerate(report.sessions):
        path = tmp / f"s{n}.mp4"
        path.write_bytes(played.stream)
        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                t = round(frame.time * 30)
                if not played.start <= t < played.end:
                    continue
                assert picture_index(frame.to_ndarray(format="rgb24"), SIZE) == t


def playout(media: Path, tmp: Path, quality: str) -> tuple[RealtimeReport, tuple[int, ...]]:
    p = project(media, tmp)
    with Throttled(p, workers=2, store=CellStore(tmp / f"cache-{quality}"), quality=quality) as eng:
        report = play_realtime(eng, keep_streams=True, timeout=60)
        return report, eng.stats().cells_per_rung


@pytest.mark.slow
def test_adaptation_stalls_less_than_full_and_every_frame_is_right(media: Path, tmp_path: Path) -> None:
    full, full_cells = playout(media, tmp_path, "full")
    auto, auto_cells = playout(media, tmp_path, "auto")
    assert full.frames == auto.frames == 90
    assert auto.stall_seconds < full.stall_seconds / 2
    assert auto_cells[1] + auto_cells[2] > 0 and full_cells[1:] == (0, 0)
    assert set(auto.rungs_used) - {"full"}
    assert auto.rung_changes <= 2
    check_frames(full, tmp_path)
    check_frames(auto, tmp_path)
    time.sleep(0)  # (keeps the slow marker honest: the figures live in bench/quality.py)
