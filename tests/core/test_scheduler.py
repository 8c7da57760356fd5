"""Scheduler semantics with a frame-loop encoder whose pace the test controls.

The real encoder is exercised in test_engine.py; here the encode function is a deterministic
loop over frames that checks the cancel event between frames exactly like the real one, so
ordering, cancellation and dedup can be asserted without timing races.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.cells.plan import CellRef, SegmentState
from core.cells.store import CellStore
from core.engine.scheduler import CellCancelled, CellReady, Event, Run, Scheduler
from core.errors import Cancelled, EncodeError

C = 10


def cell(media: str, k: int) -> CellRef:
    return CellRef(f"{media}{k:031d}", media, k, C)


class FrameLoop:
    """Encodes each cell as C 'frames'; each frame waits for a permit when gated."""

    def __init__(self, gated: bool = False, fail_at: tuple[str, int] | None = None) -> None:
        self.gated = gated
        self.permits = threading.Semaphore(0)
        self.started: list[tuple[str, int, int]] = []
        self.frames_after_cancel = 0
        self.fail_at = fail_at
        self.lock = threading.Lock()

    def __call__(
        self, run: Run, cancel: threading.Event, progress: Callable[[int, int], None]
    ) -> Iterator[tuple[int, bytes]]:
        with self.lock:
            self.started.append((run.media, run.first, run.last))
        done = 0
        total = sum(c.frames for c in run.cells)
        for c in run.cells:
            for _ in range(c.frames):
                if cancel.is_set():
                    raise Cancelled
                if self.fail_at == (run.media, c.index):
                    raise EncodeError(f"{run.media}: decode failed at {c.index * C / 30:.2f} s")
                if self.gated:
                    while not self.permits.acquire(timeout=0.01):
                        if cancel.is_set():
                            raise Cancelled
                done += 1
                progress(done, total)
            yield c.index, f"{run.media}:{c.index}".encode()


def make(tmp_path: Path, encode: FrameLoop, workers: int = 1) -> tuple[Scheduler, list[Event]]:
    events: list[Event] = []
    lock = threading.Lock()

    def on_event(e: Event) -> None:
        with lock:
            events.append(e)

    return Scheduler(CellStore(tmp_path), encode, workers=workers, on_event=on_event, progress_interval=0), events


def test_priority_order_follows_the_callers_order(tmp_path: Path) -> None:
    enc = FrameLoop()
    sched, events = make(tmp_path, enc)
    with sched:
        # playhead in media b: b's cells first, then forward, then a (behind the playhead)
        order = [cell("b", 3), cell("b", 4), cell("c", 0), cell("a", 1), cell("a", 0)]
        sched.update(order)
        assert sched.wait_idle(10)
    assert enc.started[0] == ("b", 3, 4)
    ready = [e.key for e in events if isinstance(e, CellReady)]
    assert ready == [c.key for c in order[:3]] + [cell("a", 1).key, cell("a", 0).key] or ready[:3] == [
        c.key for c in order[:3]
    ]
    assert all(sched.store.has(c.key) for c in order)


def test_runs_group_contiguous_cells_and_dedupe(tmp_path: Path) -> None:
    enc = FrameLoop()
    sched, events = make(tmp_path, enc)
    with sched:
        a = [cell("a", k) for k in range(4)]
        sched.update([a[0], a[1], a[1], a[2], a[3], a[2]])
        assert sched.wait_idle(10)
    assert enc.started == [("a", 0, 3)]
    assert sum(isinstance(e, CellReady) for e in events) == 4


def test_cached_cells_are_not_encoded(tmp_path: Path) -> None:
    enc = FrameLoop()
    sched, _ = make(tmp_path, enc)
    with sched:
        sched.store.put(cell("a", 1).key, b"cached")
        sched.update([cell("a", 0), cell("a", 1), cell("a", 2)])
        assert sched.wait_idle(10)
    assert enc.started == [("a", 0, 0), ("a", 2, 2)]


def test_edit_cancels_unneeded_job_within_one_frame(tmp_path: Path) -> None:
    enc = FrameLoop(gated=True)
    sched, events = make(tmp_path, enc)
    with sched:
        sched.update([cell("a", 0)])
        for _ in range(3):
            enc.permits.release()
        deadline = time.monotonic() + 5
        while sched.progress(cell("a", 0).key) == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert sched.state(cell("a", 0).key) == SegmentState.ENCODING
        sched.update([cell("b", 0)])  # the edit no longer needs a0
        for _ in range(C + 2):
            enc.permits.release()
        assert sched.wait_idle(5)
    assert any(isinstance(e, CellCancelled) and e.key == cell("a", 0).key for e in events)
    assert not sched.store.has(cell("a", 0).key)
    assert sched.store.has(cell("b", 0).key)
    assert sched.stats["cells_cancelled"] == 1


def test_failure_marks_one_cell_and_the_rest_go_on(tmp_path: Path) -> None:
    enc = FrameLoop(fail_at=("a", 1))
    sched, _ = make(tmp_path, enc)
    with sched:
        cells = [cell("a", k) for k in range(4)]
        sched.update(cells)
        assert sched.wait_idle(10)
        assert sched.state(cells[1].key) == SegmentState.FAILED
        assert "decode failed" in sched.failures()[cells[1].key]
        assert [sched.store.has(c.key) for c in cells] == [True, False, True, True]
        sched.update(cells)  # a failed cell is not retried by a re-plan ...
        assert sched.wait_idle(5) and len(enc.started) == 2
        enc.fail_at = None
        sched.retry()  # ... only when asked
        assert sched.wait_idle(5) and sched.store.has(cells[1].key)


def test_shutdown_with_work_queued_is_prompt(tmp_path: Path) -> None:
    enc = FrameLoop(gated=True)
    sched, _ = make(tmp_path, enc, workers=2)
    sched.update([cell("a", k) for k in range(40)])
    time.sleep(0.05)
    t0 = time.monotonic()
    sched.close(timeout=5)
    assert time.monotonic() - t0 < 1.0
    assert not any(t.is_alive() for t in sched._threads)
    assert sched.store.stats().entries == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_many_cells_all_arrive(tmp_path: Path, workers: int) -> None:
    enc = FrameLoop()
    sched, events = make(tmp_path, enc, workers=workers)
    with sched:
        cells = [cell(m, k) for m in "abc" for k in range(12)]
        sched.update(cells)
        assert sched.wait_idle(20)
    assert {e.key for e in events if isinstance(e, CellReady)} == {c.key for c in cells}
    if workers == 2:
        assert len(enc.started) >= 2
