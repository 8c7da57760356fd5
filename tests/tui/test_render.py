"""Pure drawing: the half-block renderer and the segment bar's columns and summary."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from rich.color import Color

from core.cells.plan import SegmentState
from tests.tui.conftest import demo_like, synthetic_snapshot
from tui.editor.viewport import Scale
from tui.widgets import halfblock
from tui.widgets.segment_bar import SegmentBar, human_bytes, summary


def _rgb(rows: list[list[tuple[int, int, int]]]) -> np.ndarray:
    return np.array(rows, dtype=np.uint8)


def test_two_pixels_per_cell_with_runs_merged() -> None:
    red, blue, green = (255, 0, 0), (0, 0, 255), (0, 255, 0)
    strips = halfblock.render(_rgb([[red, red, green], [blue, blue, green]]), 3, 1)
    assert len(strips) == 1
    segments = list(strips[0])
    assert [s.text for s in segments] == ["▀▀", " "]  # equal pairs merge; equal halves are a space
    assert segments[0].style.color == Color.from_rgb(255, 0, 0)
    assert segments[0].style.bgcolor == Color.from_rgb(0, 0, 255)
    assert segments[1].style.bgcolor == Color.from_rgb(0, 255, 0) and segments[1].style.color is None
    assert strips[0].cell_length == 3


def test_fit_keeps_aspect_and_letterboxes() -> None:
    assert halfblock.fit(16, 9, 80, 20) == (71, 40)
    assert halfblock.fit(16, 9, 32, 40) == (32, 18)
    assert halfblock.fit(1, 1, 0, 5) == (0, 0)
    frame = np.zeros((90, 160, 3), dtype=np.uint8)
    strips = halfblock.render(frame, 40, 20)
    assert len(strips) == 20 and all(s.cell_length == 40 for s in strips)
    tall = halfblock.render(np.zeros((100, 10, 3), dtype=np.uint8), 40, 10)
    assert next(iter(tall[0])).text.startswith(" ") and tall[0].cell_length == 40  # pillarboxed, centred


def test_nearest_resize_samples_pixel_centres() -> None:
    img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    small = halfblock.resize_nearest(img, 2, 2)
    assert small.shape == (2, 2, 3)
    assert (small[0, 0] == img[1, 1]).all() and (small[1, 1] == img[3, 3]).all()


def test_column_states_prefer_what_needs_attention() -> None:
    tl = demo_like().timeline
    snap = synthetic_snapshot(tl, states={0: SegmentState.FAILED, 1: SegmentState.ENCODING}, progress={1: 0.5})
    bar = SegmentBar()
    bar.snapshot, bar.scale = snap, Scale(0, Fraction(60))  # one column per 2 s cell
    cols = bar.column_states(10)
    assert cols[0][0] == SegmentState.FAILED
    assert cols[1] == (SegmentState.ENCODING, 0.5)
    assert cols[2][0] == SegmentState.READY
    bar.scale = Scale(0, Fraction(6))  # ten columns per cell: progress fills the first half
    cols = bar.column_states(20)
    assert [c[1] for c in cols[10:20]] == [1.0] * 5 + [0.0] * 5


def test_summary_line() -> None:
    tl = demo_like().timeline
    snap = synthetic_snapshot(
        tl,
        states={0: SegmentState.ENCODING, 1: SegmentState.ENCODING, 3: SegmentState.FAILED},
        errors={3: "b.mp4: decode error at 00:00:02"},
    )
    text = summary(snap)
    total = len(snap.segments)
    assert text.startswith(f"█ {total - 3}/{total} ready · ▒ 2 encoding · ! 1 failed: b.mp4")
    assert text.endswith("14.2 MB · libx264")


def test_summary_counts_add_up_and_name_every_state() -> None:
    """Ready + lower + encoding + queued + pending + failed + offline is the total (#14)."""
    tl = demo_like().timeline
    chosen = {
        0: SegmentState.ENCODING,
        1: SegmentState.QUEUED,
        2: SegmentState.PENDING,
        3: SegmentState.FAILED,
        4: SegmentState.LOWER,
        5: SegmentState.PENDING,
    }
    snap = synthetic_snapshot(tl, states=chosen)
    text = summary(snap)
    counts = [int(part.split()[1].split("/")[0]) for part in text.split(" · ") if part[:1] in "█▓▒░·!╳"]
    assert sum(counts) == len(snap.segments), text
    for word in ("ready", "at lower quality", "encoding", "queued", "pending", "failed"):
        assert word in text
    assert human_bytes(999) == "999 B" and human_bytes(2_500_000_000) == "2.5 GB"
