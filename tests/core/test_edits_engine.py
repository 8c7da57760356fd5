"""The new edits (markers, roll, slip, slide, lift, extract, insert, overwrite, gain, mute) over cached media encode
nothing (real engine, real store); a gap plays the shared black cell."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.cells.plan import SegmentState
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.errors import EditError
from core.model import project as proj
from core.model.timeline import Timeline, gap
from core.synthetic.testpattern import make_source

C = 20


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[proj.Project, Path]:
    """Two files split into five clips, with every cell of both files in a store."""
    d = tmp_path_factory.mktemp("edits-engine")
    make_source(d / "a.mp4", frames=90, width=160, height=120, fps=30)
    make_source(d / "b.mp4", frames=60, width=192, height=108, fps=25)
    p = proj.new_from_media(d / "p.toml", [str(d / "a.mp4"), str(d / "b.mp4")], fps="30")
    tl = p.timeline.split(30).split(60).split(110)
    p = replace(p, width=320, height=240, preview_height=120, cell_frames=C)
    p = replace(p, timeline=tl.insert_clips(30, [gap(7)]))  # the black cell under gaps is made once
    with Engine(p, workers=2, store=CellStore(d / "cache")) as eng:
        assert eng.wait_ready(60)
        assert all(s == SegmentState.READY for s in eng.snapshot().states)
        assert eng.scheduler.stats["cells_encoded"] > 0  # the counter the test below reads does count
    # the split clips together cover both whole files, so every cell of both is in the store
    return replace(p, timeline=tl), d / "cache"


ops = st.lists(
    st.tuples(st.sampled_from(["roll", "slip", "slide", "add_marker"]), st.integers(0, 9), st.integers(-60, 60)),
    min_size=1,
    max_size=10,
)


def apply(tl: Timeline, op: tuple[Any, ...]) -> Timeline:
    name, index, delta = op
    try:
        if name == "add_marker":
            return tl.add_marker(abs(delta) * 2, f"m{index}")
        if name in ("lift", "extract"):
            return tl.lift([index % len(tl.clips)]) if name == "lift" else tl.extract([index % len(tl.clips)])
        if name == "gain":
            return tl.set_gain([index % len(tl.clips)], delta / 5)
        if name == "mute":
            return tl.set_mute([index % len(tl.clips)], delta % 2 == 0)
        if name in ("insert", "overwrite"):  # a paste of two of the timeline's clips at a frame
            pasted = tl.clips[index % len(tl.clips) :][:2]
            frame = abs(delta) * 3
            return tl.insert_clips(frame, pasted) if name == "insert" else tl.overwrite(frame, pasted)
        edited: Timeline = getattr(tl, name)(index % len(tl.clips), delta)
    except EditError:
        return tl
    return edited


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
@example(
    [
        ("lift", 1, 0),
        ("overwrite", 2, 20),
        ("insert", 0, 10),
        ("roll", 0, 5),
        ("slip", 3, -5),
        ("slide", 1, 4),
        ("gain", 2, -30),
        ("mute", 3, 2),
    ]
)
def test_new_edits_over_cached_material_need_zero_new_cells(warm: tuple[proj.Project, Path], ops: list[Any]) -> None:
    p, cache = warm
    store = CellStore(cache)
    tl = p.timeline
    with Engine(p, workers=1, store=store) as eng:
        assert eng.wait_ready(30)
        for op in ops:
            tl = apply(tl, op)
            eng.set_timeline(tl)
            assert all(store.has(s.key) for s in eng.segments), op
        assert eng.wait_ready(10)
        assert eng.scheduler.stats["cells_encoded"] == 0


def test_a_gap_plays_the_black_cell(warm: tuple[proj.Project, Path]) -> None:
    p, cache = warm
    tl = p.timeline.lift([1])
    with Engine(replace(p, timeline=tl), workers=1, store=CellStore(cache)) as eng:
        assert eng.wait_ready(30)
        under_gap = [s for s in eng.segments if s.clip == 1]
        assert under_gap and {s.cell.media for s in under_gap} == {"black"}
        assert eng.scheduler.stats["cells_encoded"] == 0
