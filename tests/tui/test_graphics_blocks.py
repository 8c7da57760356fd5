"""Half blocks written as escape codes (``tui.terminal.blockwriter``) and the newest-job worker
(``tui.terminal.latest``): the bytes are fed to a character-cell screen (``tests.graphics_term``) and
the picture read back from it must be the frame that was drawn."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from core.synthetic.testpattern import draw_frame, read_index
from tests.graphics_term import CellScreen
from tui.terminal.blockwriter import FRAME_BEGIN, FRAME_END, Area, BlockWriter
from tui.terminal.latest import LatestWorker

AREA = Area(1, 1, 100, 30, (20, 20, 20))


def screen_after(*chunks: str | None) -> CellScreen:
    screen = CellScreen(110, 35)
    for chunk in chunks:
        if chunk:
            screen.feed(chunk.encode())
    return screen


def area_pixels(screen: CellScreen, area: Area = AREA) -> np.ndarray:
    px = screen.pixels()
    return px[area.row * 2 : (area.row + area.rows) * 2, area.col : area.col + area.cols].astype(np.int16)


def expected(writer: BlockWriter, frame: np.ndarray, area: Area = AREA) -> np.ndarray:
    cells = writer.cells(frame, area)
    out = np.empty((area.rows * 2, area.cols, 3), dtype=np.int16)
    out[0::2], out[1::2] = cells[..., :3], cells[..., 3:]
    return out


@pytest.mark.parametrize("colours", ["truecolor", "256"])
def test_frames_read_back_from_the_screen(colours: str) -> None:
    writer = BlockWriter(colours=colours)  # type: ignore[arg-type]
    chunks = [writer.frame(draw_frame(i, 320, 180), AREA) for i in range(40, 46)]
    assert all(c and c.startswith(FRAME_BEGIN) and c.endswith(FRAME_END) for c in chunks)
    screen = screen_after(*chunks)
    shown = area_pixels(screen)
    error = np.abs(shown - expected(writer, draw_frame(45, 320, 180)))
    limit = 60 if colours == "256" else writer.step // 2 + 1 + writer.tolerance  # palette / level + tolerance
    assert np.percentile(error, 99) <= limit
    assert read_index(screen.picture(AREA.row, AREA.col, AREA.rows, AREA.cols)) == 45


def test_unchanged_and_noisy_frames_send_nothing() -> None:
    writer = BlockWriter()
    frame = draw_frame(7, 320, 180, moving=False)
    assert writer.frame(frame, AREA)
    assert writer.frame(frame, AREA) is None
    noise = np.random.default_rng(1).integers(-6, 7, frame.shape)
    assert writer.frame(np.clip(frame + noise, 0, 255).astype(np.uint8), AREA) is None  # compression noise


def test_only_changed_cells_are_sent() -> None:
    writer = BlockWriter()
    frame = np.zeros((60, 200, 3), dtype=np.uint8)
    full = writer.frame(frame, AREA)
    frame[20:24, 50:60] = 255  # 2 rows of 5 cells at this scale (2 px per cell)
    small = writer.frame(frame, AREA)
    assert full and small and len(small) < len(full) / 20
    assert small.count("H") == 1  # 4 px rows at 60 → 30 px: one row of cells, one cursor move
    shown = area_pixels(screen_after(full, small))
    assert (np.abs(shown - expected(writer, frame)) <= writer.step // 2 + 1).all()


def test_whole_after_forget_or_a_new_area() -> None:
    writer = BlockWriter()
    frame = draw_frame(3, 320, 180)
    first = writer.frame(frame, AREA)
    writer.forget()
    assert writer.frame(frame, AREA) == first
    moved = Area(0, 0, 60, 20)
    again = writer.frame(frame, moved)
    assert again and area_pixels(screen_after(again), moved).shape == (40, 60, 3)


def test_byte_budget_sends_the_worst_cells_first_and_the_rest_later() -> None:
    now = [0.0]
    writer = BlockWriter(max_bytes_per_second=100_000, clock=lambda: now[0])
    screen = CellScreen(110, 35)
    now[0] = 1.0  # a full credit: a quarter second, 25 kB (a whole picture here is about 40 kB)
    screen.feed((writer.frame(draw_frame(0, 320, 180), AREA) or "").encode())
    target = draw_frame(60, 320, 180)
    sent = []
    for _ in range(40):
        now[0] += 1 / 30
        chunk = writer.frame(target, AREA)
        sent.append(len(chunk or ""))
        screen.feed((chunk or "").encode())
    assert writer.deferred_cells > 0
    assert sent[0] and max(sent) < 100_000 / 4 * 1.2  # never much over the credit
    assert sum(sent) > 30_000  # the rest came in later frames
    shown = area_pixels(screen)
    assert np.percentile(np.abs(shown - expected(writer, target)), 99) <= writer.step // 2 + 1 + writer.tolerance
    assert read_index(screen.picture(AREA.row, AREA.col, AREA.rows, AREA.cols)) == 60


def test_latest_worker_drops_stale_jobs() -> None:
    release = threading.Event()
    started = threading.Event()
    done: list[int] = []
    finished = threading.Event()

    def work(job: int) -> int:
        started.set()
        if job == 0:
            release.wait(5)
        return job * 10

    def deliver(job: int, result: int) -> None:
        done.append(result)
        if job == 9:
            finished.set()

    worker: LatestWorker[int, int] = LatestWorker(work, deliver)
    try:
        worker.submit(0)
        assert started.wait(5)
        for job in range(1, 10):
            worker.submit(job)  # 1..8 are replaced before the worker is free
        release.set()
        assert finished.wait(5)
        assert done == [0, 90] and worker.dropped == 8
    finally:
        worker.close()
