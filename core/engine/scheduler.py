"""The scheduler: a priority queue of cell runs and the worker pool that encodes them.

Work is planned as *runs*: contiguous cells of one source encoded in a single decode pass, so
every source frame is decoded once. The queue is rebuilt from the caller's priority order on
every edit or playhead move (nearest the playhead first); running jobs whose remaining cells
the new plan no longer needs are cancelled cooperatively and write nothing. A cell key is
queued at most once however many segments use it, and a key that failed is not retried until
``retry`` is called, so a damaged file does not spin the pool.

Workers are plain threads (codec calls release the GIL); events go to one callback from
worker threads, so the UI must turn them into its own messages. A worker hands its run to an
``Executor`` (``core.engine.executor``): by default the run is encoded on that thread; a cluster
executor sends it elsewhere and the thread only waits, so everything above (priorities, claims,
cancel, failures) is the same wherever the encoding happens.

Several processes may share one cache (two editors, an editor and ``livecut encode`` or an
export, machines on a network folder). Before a worker encodes a run it claims each cell
(``core.cells.claims``); a cell claimed by another live process is left to it: it counts as
encoding here, and a watcher thread polls the store until the other process's entry appears
(then it is ready here too) or the claim goes stale (then it is queued again and taken over).
A run is cut at its first cell claimed elsewhere, so two processes with the same plan split it
between them instead of each encoding all of it.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.cells.claims import Claims
from core.cells.plan import CellRef, SegmentState
from core.cells.store import CellStore
from core.engine.executor import EncodeFn, Executor, LocalExecutor, Run
from core.errors import Cancelled, LivecutError

log = logging.getLogger(__name__)

__all__ = [
    "CellCancelled",
    "CellFailed",
    "CellProgress",
    "CellQueued",
    "CellReady",
    "CellStarted",
    "EncodeFn",
    "Event",
    "Executor",
    "Run",
    "Scheduler",
]

MAX_RUN = 8
"""Longest run in cells: long enough to keep decode amplification low, short enough to let
other sources and a moving playhead get a worker soon."""
CLAIMS_DIR = ".claims"
"""Claim files live in this folder of the store's root (not an entry: the scan ignores it)."""
WATCH_S = 0.2
"""How often cells claimed by another process are looked for in the store."""


# -- events ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellQueued:
    key: str


@dataclass(frozen=True)
class CellStarted:
    key: str


@dataclass(frozen=True)
class CellProgress:
    key: str
    done: int
    total: int


@dataclass(frozen=True)
class CellReady:
    key: str
    size: int


@dataclass(frozen=True)
class CellFailed:
    key: str
    message: str


@dataclass(frozen=True)
class CellCancelled:
    key: str


Event = CellQueued | CellStarted | CellProgress | CellReady | CellFailed | CellCancelled


@dataclass
class _Active:
    run: Run
    cancel: threading.Event = field(default_factory=threading.Event)
    remaining: set[str] = field(default_factory=set)
    current: str = ""
    claimed: tuple[str, ...] = ()
    """Keys this job claimed (released when it ends, whatever happened)."""
    priority: int = 0
    """Higher runs first on an executor that orders jobs: minus the run's rank in the plan."""


class Scheduler:
    """Owns the worker threads; ``close()`` stops them (cancelling what runs)."""

    def __init__(
        self,
        store: CellStore,
        encode: EncodeFn | Executor,
        *,
        workers: int = 2,
        on_event: Callable[[Event], None] | None = None,
        progress_interval: float = 0.1,
        share: bool = True,
    ) -> None:
        """``encode``: a function run on the worker threads, or an ``Executor`` (whose ``slots``
        replace ``workers``). ``share``: claim cells so other processes on the same cache do not
        encode them too."""
        self.store = store
        self.claims = Claims(store.root / CLAIMS_DIR) if share else None
        self._foreign: dict[str, CellRef] = {}
        """Cells another process claimed: waited for in the store, not encoded here."""
        if isinstance(encode, Executor):
            self.executor: Executor = encode
            workers = encode.slots
        else:
            self.executor = LocalExecutor(encode, workers)
        self._rank: dict[str, int] = {}
        self.run_may_start: Callable[[CellRef], bool] = lambda _cell: True
        """False where a run starting at the cell would re-decode a long GOP's head (issue 10)."""
        self._on_event = on_event
        self._interval = progress_interval
        self._cv = threading.Condition()
        self._pending: list[Run] = []
        self._active: dict[int, _Active] = {}
        self._states: dict[str, SegmentState] = {}
        self._progress: dict[str, float] = {}
        self._failed: dict[str, str] = {}
        self._wanted: list[CellRef] = []
        self._idle: list[CellRef] = []
        self._closed = False
        self._ids = itertools.count()
        self.stats = {"cells_encoded": 0, "cells_failed": 0, "cells_cancelled": 0}
        self._encoded: set[str] = set()
        self._workers = max(1, workers)
        self._threads = [
            threading.Thread(target=self._worker, name=f"livecut-encode-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        if self.claims is not None:
            self._threads.append(threading.Thread(target=self._watch, name="livecut-claims", daemon=True))
        for t in self._threads:
            t.start()

    @property
    def workers(self) -> int:
        return self._workers

    # -- queries -----------------------------------------------------------------------------------
    def state(self, key: str) -> SegmentState | None:
        """QUEUED, ENCODING or FAILED while the scheduler knows the key; None otherwise."""
        with self._cv:
            if key in self._failed:
                return SegmentState.FAILED
            if key in self._foreign:
                return SegmentState.ENCODING  # by another process
            return self._states.get(key)

    def progress(self, key: str) -> float:
        with self._cv:
            return self._progress.get(key, 0.0)

    def failures(self) -> dict[str, str]:
        with self._cv:
            return dict(self._failed)

    def encoded_keys(self) -> set[str]:
        """Keys this scheduler encoded and stored (a cell re-encoded after damage is among them)."""
        with self._cv:
            return set(self._encoded)

    def busy(self) -> bool:
        with self._cv:
            return bool(self._pending or self._active or self._foreign)

    def wait_idle(self, timeout: float | None = None, include_idle_work: bool = False) -> bool:
        """Block until every wanted cell is ready or failed (True) or ``timeout`` passes (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while True:
                if not self._outstanding(include_idle_work):
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cv.wait(left if left is not None else 1.0)

    def _outstanding(self, include_idle: bool) -> bool:
        if include_idle:
            return bool(self._pending or self._active or self._foreign)
        wanted = {c.key for c in self._wanted}
        if any(wanted & a.remaining for a in self._active.values() if not a.cancel.is_set()):
            return True
        if wanted & self._foreign.keys():
            return True
        return any(c.key in wanted for r in self._pending for c in r.cells)

    # -- planning ----------------------------------------------------------------------------------
    def update(self, wanted: Sequence[CellRef], idle: Sequence[CellRef] = ()) -> None:
        """Replace the work: ``wanted`` in priority order, then ``idle`` (pre-encoding) work."""
        events: list[Event] = []
        with self._cv:
            if self._closed:
                return
            self._wanted = list(wanted)
            self._idle = list(idle)
            self._rank = {}
            for i, c in enumerate(self._wanted + self._idle):
                self._rank.setdefault(c.key, i)
            needed = {c.key for c in self._wanted} | {c.key for c in self._idle}
            for act in self._active.values():
                if not act.cancel.is_set() and not (act.remaining & needed):
                    act.cancel.set()
            for key in [k for k in self._foreign if k not in needed]:
                del self._foreign[key]
            busy = (
                set().union(*(a.remaining for a in self._active.values() if not a.cancel.is_set()))
                if self._active
                else set()
            ) | self._foreign.keys()
            old_queued = {k for k, s in self._states.items() if s == SegmentState.QUEUED}
            self._pending = self._build_runs(self._wanted, busy) + self._build_runs(
                self._idle, busy, skip=needed - {c.key for c in self._idle}
            )
            queued = {c.key for r in self._pending for c in r.cells}
            for key in old_queued - queued:
                if self._states.get(key) == SegmentState.QUEUED:
                    del self._states[key]
            for key in queued - old_queued:
                self._states[key] = SegmentState.QUEUED
                events.append(CellQueued(key))
            self._cv.notify_all()
        self._emit_all(events)

    def _build_runs(self, order: Sequence[CellRef], busy: set[str], skip: set[str] | None = None) -> list[Run]:
        by_pos = {(c.media, c.index): c for c in order}
        taken: set[str] = set()
        missing = [c for c in order if c.key not in busy and c.key not in self._failed and not self.store.has(c.key)]
        cap = max(1, min(MAX_RUN, math.ceil(len(missing) / max(1, self.workers))))
        runs: list[Run] = []
        for cell in missing:
            if cell.key in taken or (skip and cell.key in skip):
                continue
            cells = [cell]
            taken.add(cell.key)
            nxt = by_pos.get((cell.media, cell.index + 1))
            while (
                nxt
                and (len(cells) < cap or not self.run_may_start(nxt))
                and len(cells) < MAX_RUN * 4
                and nxt.key not in taken
                and nxt.key not in busy
                and nxt.key not in self._failed
                and not self.store.has(nxt.key)
            ):
                cells.append(nxt)
                taken.add(nxt.key)
                nxt = by_pos.get((nxt.media, nxt.index + 1))
            runs.append(Run(cell.media, tuple(cells)))
        return runs

    def retry(self, keys: Sequence[str] | None = None) -> None:
        """Forget failures (all, or ``keys``) and re-plan so they are encoded again."""
        with self._cv:
            for key in list(keys) if keys is not None else list(self._failed):
                self._failed.pop(key, None)
                self._states.pop(key, None)
            wanted, idle = self._wanted, self._idle
        self.update(wanted, idle)

    # -- workers -----------------------------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                run = self._pending.pop(0)
                job_id = next(self._ids)
                rank = self._rank.get(run.cells[0].key, len(self._rank))
                act = _Active(run, remaining={c.key for c in run.cells}, priority=-rank)
                self._active[job_id] = act
            try:
                if not self._claim(act):
                    continue
                self._run(act)
            except Exception:  # a bug must not kill the pool; the cells are marked failed
                log.exception("encode worker crashed on %s cells %d-%d", run.media, run.first, run.last)
                self._fail_remaining(act, "internal error while encoding (see the log)")
            finally:
                with self._cv:
                    self._active.pop(job_id, None)
                    for key in act.remaining:
                        if self._states.get(key) in (SegmentState.ENCODING, SegmentState.QUEUED):
                            del self._states[key]
                            self._progress.pop(key, None)
                    self._cv.notify_all()
                if self.claims is not None:
                    for key in act.claimed:
                        self.claims.release(key)

    def _claim(self, act: _Active) -> bool:
        """Claim the run's cells up to the first one stored or claimed by another process.

        The run is cut there: the cell found goes to ``_foreign`` (or is ready), the cells after
        it back to the front of the queue. False when nothing is left to encode here.
        """
        if self.claims is None:
            return True
        cells = act.run.cells
        mine: list[CellRef] = []
        stored = False
        for c in cells:
            if self.store.adopt(c.key):
                stored = True
                break
            if not self.claims.acquire(c.key):
                break
            if self.store.adopt(c.key):  # its owner stored it and let go between the look and the claim
                self.claims.release(c.key)
                stored = True
                break
            mine.append(c)
        act.claimed = tuple(c.key for c in mine)
        if len(mine) == len(cells):
            return True
        head, rest = cells[len(mine)], cells[len(mine) + 1 :]
        events: list[Event] = []
        with self._cv:
            needed = {c.key for c in self._wanted} | {c.key for c in self._idle}
            act.remaining = {c.key for c in mine}
            if not act.cancel.is_set() and not self._closed:
                if stored:
                    self._states.pop(head.key, None)
                    events.append(CellReady(head.key, self.store.size_of(head.key)))
                elif head.key in needed:
                    self._states.pop(head.key, None)
                    self._foreign[head.key] = head
                    events.append(CellStarted(head.key))
                left = tuple(c for c in rest if c.key in needed)
                if left:
                    self._pending.insert(0, Run(act.run.media, left))
                for c in rest:
                    if c.key not in needed and self._states.get(c.key) == SegmentState.QUEUED:
                        del self._states[c.key]
            if mine:
                act.run = Run(act.run.media, tuple(mine))
            self._cv.notify_all()
        self._emit_all(events)
        return bool(mine)

    def _watch(self) -> None:
        """Keep our claims alive; find cells other processes finished (or abandoned)."""
        claims = self.claims
        assert claims is not None
        swept = claims.sweep()
        if swept:
            log.info("removed %d claims left by processes that died", swept)
        while True:
            with self._cv:
                if self._closed:
                    return
                self._cv.wait(WATCH_S)
                if self._closed:
                    return
                foreign = dict(self._foreign)
            claims.heartbeat()
            if not foreign:
                continue
            ready: list[str] = []
            abandoned: list[str] = []
            for key in foreign:
                if self.store.adopt(key):
                    ready.append(key)
                elif not claims.claimed_elsewhere(key):
                    abandoned.append(key)
            if not ready and not abandoned:
                continue
            with self._cv:
                for key in ready + abandoned:
                    self._foreign.pop(key, None)
                wanted, idle = self._wanted, self._idle
                self._cv.notify_all()
            self._emit_all([CellReady(k, self.store.size_of(k)) for k in ready])
            if abandoned:
                log.info("%d cells claimed by a process that stopped: encoding them here", len(abandoned))
                self.update(wanted, idle)

    def _run(self, act: _Active) -> None:
        run = act.run
        by_index = {c.index: c for c in run.cells}
        starts: dict[int, int] = {}
        offset = 0
        for c in run.cells:
            starts[c.index] = offset
            offset += c.frames
        self._start_cell(act, run.cells[0].key)
        last_emit = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_emit
            if act.cancel.is_set():
                raise Cancelled
            now = time.monotonic()
            if now - last_emit < self._interval:
                return
            last_emit = now
            key = act.current
            cell = next((c for c in run.cells if c.key == key), None)
            if cell is None:
                return
            within = max(0, min(cell.frames, done - starts[cell.index]))
            with self._cv:
                self._progress[key] = within / max(1, cell.frames)
            self._emit(CellProgress(key, within, cell.frames))

        try:
            for index, data in self.executor.execute(run, act.priority, act.cancel, progress):
                if act.cancel.is_set():
                    raise Cancelled
                cell = by_index[index]
                self.store.put(cell.key, data)
                if self.claims is not None:
                    self.claims.release(cell.key)
                with self._cv:
                    act.remaining.discard(cell.key)
                    self._states.pop(cell.key, None)
                    self._progress.pop(cell.key, None)
                    self.stats["cells_encoded"] += 1
                    self._encoded.add(cell.key)
                    self._cv.notify_all()
                self._emit(CellReady(cell.key, len(data)))
                nxt = by_index.get(index + 1)
                if nxt is not None and nxt.key in act.remaining:
                    self._start_cell(act, nxt.key)
        except Cancelled:
            self._cancel_remaining(act)
        except LivecutError as exc:
            if act.cancel.is_set():
                self._cancel_remaining(act)
                return
            self._fail_current_and_requeue(act, str(exc))
        else:
            if act.cancel.is_set():
                self._cancel_remaining(act)
            elif act.remaining:  # the encoder ended early: those cells cannot be made
                self._fail_remaining(act, "the source ended before these frames")

    def _start_cell(self, act: _Active, key: str) -> None:
        with self._cv:
            act.current = key
            self._states[key] = SegmentState.ENCODING
            self._progress[key] = 0.0
        self._emit(CellStarted(key))

    def _cancel_remaining(self, act: _Active) -> None:
        events: list[Event] = []
        with self._cv:
            for key in act.remaining:
                self._progress.pop(key, None)
                if self._states.get(key) in (SegmentState.ENCODING, SegmentState.QUEUED):
                    del self._states[key]
                self.stats["cells_cancelled"] += 1
                events.append(CellCancelled(key))
            act.remaining.clear()
        self._emit_all(events)

    def _fail_remaining(self, act: _Active, message: str) -> None:
        with self._cv:
            keys = list(act.remaining)
            act.remaining.clear()
        for key in keys:
            self._mark_failed(key, message)

    def _fail_current_and_requeue(self, act: _Active, message: str) -> None:
        """The current cell failed; the rest of the run goes back to the queue and goes on."""
        failed = act.current
        self._mark_failed(failed, message)
        with self._cv:
            act.remaining.discard(failed)
            rest = tuple(c for c in act.run.cells if c.key in act.remaining)
            act.remaining.clear()
            if rest and not self._closed:
                self._pending.insert(0, Run(act.run.media, rest))
                self._cv.notify_all()

    def fail(self, key: str, message: str) -> None:
        """Mark ``key`` failed from outside (its stored bytes keep going bad); ``retry`` undoes it."""
        self._mark_failed(key, message)

    def _mark_failed(self, key: str, message: str) -> None:
        log.warning("cell %s failed: %s", key, message)
        with self._cv:
            self._failed[key] = message
            self._states[key] = SegmentState.FAILED
            self._progress.pop(key, None)
            self.stats["cells_failed"] += 1
            self._cv.notify_all()
        self._emit(CellFailed(key, message))

    # -- events ------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:
            log.exception("event callback failed on %r", event)

    def _emit_all(self, events: list[Event]) -> None:
        for event in events:
            self._emit(event)

    # -- lifetime ----------------------------------------------------------------------------------
    def close(self, timeout: float = 5.0) -> None:
        """Cancel running jobs, drop the queue, join the workers."""
        with self._cv:
            if self._closed:
                return
            self._closed = True
            self._pending.clear()
            for act in self._active.values():
                act.cancel.set()
            self._foreign.clear()
            self._cv.notify_all()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("encode workers still running after close: %s", alive)
        if self.claims is not None:
            self.claims.close()

    def __enter__(self) -> Scheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
