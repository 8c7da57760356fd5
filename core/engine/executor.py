"""The executor seam: where the scheduler's jobs actually run.

The ``Scheduler`` decides *what* to encode next (priority order, runs, claims across processes,
cancellation, failures); an ``Executor`` decides *where*. The default, ``LocalExecutor``, runs a
job on the scheduler's own worker thread in this process, exactly as before the seam existed.
``core.engine.dask_executor.DaskExecutor`` sends each cell of a job to a Dask cluster instead.

A remote executor cannot call the closure a local job uses (it holds open state of this
process), so a job that may leave the process also comes as ``Task``\\s: one picklable call per
cell that returns the cell's bytes, built by the caller's ``TaskFn``. Results always come back
to the scheduler, which stores them: the cache stays owned by the machine that asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from core.cells.plan import CellRef

ProgressFn = Callable[[int, int], None]
"""Report (frames done, frames total) of the job; raising ``Cancelled`` from it stops the job."""


@dataclass(frozen=True)
class Run:
    """Contiguous cells ``cells`` (ascending index) of one media, encoded in one decode pass."""

    media: str
    cells: tuple[CellRef, ...]

    @property
    def first(self) -> int:
        return self.cells[0].index

    @property
    def last(self) -> int:
        return self.cells[-1].index


EncodeFn = Callable[[Run, threading.Event, ProgressFn], Iterator[tuple[int, bytes]]]
"""Encode ``run``; yield (cell index, bytes) per finished cell; report (frames done, total)."""


@dataclass(frozen=True)
class Task:
    """One cell's work in a form another process can run."""

    call: Callable[[], bytes]
    """A picklable call (``functools.partial`` of a module-level function) returning the bytes."""
    hardware: bool = False
    """The call needs a hardware encoder: only workers that offer one may take it."""


TaskFn = Callable[[CellRef], Task]
"""The ``Task`` for a cell (the scheduler's ``CellRef`` carries the content key)."""


@runtime_checkable
class Executor(Protocol):
    """Runs the scheduler's jobs; one call of ``execute`` per job, from a scheduler worker thread."""

    @property
    def slots(self) -> int:
        """Jobs the scheduler should have running at once."""
        ...

    def execute(
        self, run: Run, priority: int, cancel: threading.Event, progress: ProgressFn
    ) -> Iterator[tuple[int, bytes]]:
        """Encode ``run``; yield (cell index, bytes) in index order as cells finish.

        ``priority`` is higher for work nearer the playhead (0 for the most urgent job, negative
        after it). Raise ``Cancelled`` once ``cancel`` is set and ``LivecutError`` for a cell that
        cannot be made (the scheduler marks the next unfinished cell failed).
        """
        ...


class LocalExecutor:
    """Runs each job on the calling (scheduler worker) thread: the default, in-process pool."""

    def __init__(self, encode: EncodeFn, workers: int) -> None:
        self._encode = encode
        self._workers = max(1, workers)

    @property
    def slots(self) -> int:
        return self._workers

    def execute(
        self, run: Run, priority: int, cancel: threading.Event, progress: ProgressFn
    ) -> Iterator[tuple[int, bytes]]:
        return self._encode(run, cancel, progress)
