"""The engine: plan, store and scheduler behind one object that front ends drive.

A front end (the TUI, the headless CLI, a test) gives the engine a timeline and a playhead;
the engine plans segments, asks the scheduler for the missing cells nearest the playhead
first, pre-encodes trim handles when idle, and answers ``snapshot()`` with every segment's
state for the segment bar. Events arrive on worker threads through ``on_event``; any event
means "the snapshot changed", so a UI can coalesce them.

"Ready" means "in the store's index"; the bytes are checked when read. A cell that fails its
checksum (or vanished, or was truncated) when the assembler reads it leaves the index and the
store tells the engine, which re-queues it ahead of everything else: the session that read it is
blocked on it. The stream waits for it like any pending cell. If the re-encoded bytes go bad
too, the cell is marked failed and plays black, so a bad disk never hangs the preview.

Quality adaptation (``core.engine.quality``): the plan's cells are the top rung; the cells ahead
of the playhead that are not cached at any rung at least as good as the controller's rung are
queued at that rung (a *variant*, ``core.cells.plan.variant``). Each finished cell's encode time
feeds the controller. Once the wanted work is done, idle work *sharpens*: cells playing at a
lower rung are made at the top rung, nearest the playhead first, before the trim handles. A
session plays one rung (its cells share SPS/PPS); ``resolve_at`` tells it, by raising
``RungChange`` at a segment, to end there so the front end starts a session at another rung.
``resolve`` (no rung) is the top rung only, for front ends that play one session of one rung.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.cells.encode import PreviewProfile, encode_black, encode_run, preview_canvas
from core.cells.encoders import detect_encoders
from core.cells.plan import (
    BLACK,
    CellRef,
    PlanSettings,
    RungChange,
    Segment,
    SegmentState,
    black_cell,
    media_cell,
    plan,
    segment_at,
    variant,
)
from core.cells.store import ENTRY_OVERHEAD, CellStore
from core.engine.quality import LADDER, ControllerState, QualityController, rung_index, rung_profiles
from core.engine.scheduler import CellFailed, CellReady, CellStarted, Event, Run, Scheduler
from core.errors import EncodeError
from core.media.fingerprint import fingerprint
from core.media.frames import DecodeStats, cheap_start
from core.media.info import MediaInfo
from core.model.project import Project
from core.model.timeline import MediaRef, Timeline

if TYPE_CHECKING:
    from core.engine.dask_executor import DaskExecutor

log = logging.getLogger(__name__)

PIN_SECONDS = 60
"""Cells of segments within this many seconds of the playhead are evicted last (nearest kept
longest): all of them when they fit the cache limit, the nearest ones when it is small."""
BAD_READS_TO_FAIL = 2
"""A cell found bad this many times in one engine's life (so: again after its re-encode) fails."""
IN_FLIGHT_KEEP = 0.3
"""A cell this far encoded at a better rung is finished there when the rung drops."""
SWITCH_UP_SEGMENTS = 3
"""A session switches up to a better rung only when this many segments ahead are ready at it."""
_RESOLVE_CHECK_S = 1.0
"""How often a waiting ``resolve`` checks that someone is actually making its cell."""


@dataclass(frozen=True)
class PlanChanged:
    """The timeline was re-planned (segments changed)."""

    segments: int


@dataclass(frozen=True)
class EngineSnapshot:
    """Every segment's state at one instant, for the segment bar and the summary line."""

    segments: tuple[Segment, ...]
    states: tuple[SegmentState, ...]
    progress: tuple[float, ...]
    """0..1 per segment (meaningful while encoding)."""
    ready: int
    encoding: int
    bytes: int
    """Bytes of the cells this plan uses that are in the store."""
    encoder: str
    errors: dict[str, str] = field(default_factory=dict)
    """Cell key → the clear error of a failed cell."""
    rung: int = 0
    """The rung new cells are made at (0: full quality)."""
    rung_name: str = "full"
    pinned: bool = False
    """True when the user pinned the rung (``quality`` is not ``auto``)."""

    @property
    def total(self) -> int:
        return len(self.segments)

    def summary(self) -> str:
        failed = sum(1 for s in self.states if s == SegmentState.FAILED)
        offline = sum(1 for s in self.states if s == SegmentState.OFFLINE)
        parts = [f"{self.ready}/{self.total} ready"]
        if self.encoding:
            parts.append(f"{self.encoding} encoding")
        if failed:
            parts.append(f"{failed} failed")
        if offline:
            parts.append(f"{offline} offline")
        parts.append(f"{self.bytes / 1e6:.1f} MB")
        parts.append(self.encoder)
        return " · ".join(parts)


@dataclass(frozen=True)
class EngineStats:
    """What the engine did since it started: the figures ``encode --json`` and benches report."""

    cells_encoded: int
    """Cells this engine encoded and stored (reused ones are not counted)."""
    frames_decoded: int
    """Source frames decoded for those cells (decode amplification = this ÷ frames needed)."""
    workers: int
    """Encoder threads."""
    encoder: str
    """The H.264 encoder in use."""
    cells_per_rung: tuple[int, ...] = ()
    """Cells encoded at each rung of the quality ladder (top rung first)."""
    rung_changes: int = 0
    """Rung changes the quality controller made."""


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Engine:
    """Owns the store and the scheduler for one project; ``close()`` stops the workers.

    It is the production ``EngineHandle`` of ``core.preview.seam`` and has both optional features:
    a quality ladder and cells a browser preview can stream (it is its own ``StreamSource``)."""

    implements_quality = True
    implements_stream = True

    def __init__(
        self,
        project: Project,
        *,
        workers: int | None = None,
        store: CellStore | None = None,
        on_event: Callable[[Event | PlanChanged], None] | None = None,
        encoder: str | None = None,
        codec_threads: int | None = None,
        quality: str = "full",
        cluster: str | None = None,
    ) -> None:
        """``quality``: ``auto`` adapts the rung to the measured speed; ``full``, ``half`` or
        ``quarter`` pin one (``full`` by default: a front end opts in to adaptation, because only
        one that restarts sessions on ``RungChange`` can play lower rungs)."""
        self.project = project
        self.fps = project.fps
        self.cell_frames = project.cell_size
        choice = detect_encoders(encoder)
        width, height = preview_canvas(project.width, project.height, project.preview_height)
        self.profile = PreviewProfile(width, height, project.fps, encoder=choice.name)
        self.profiles = rung_profiles(self.profile, project.width, project.height)
        """Profile of every rung of the quality ladder; ``profiles[0]`` is ``profile``."""
        self.settings = PlanSettings(self.cell_frames, self.profile.key(), tuple(p.key() for p in self.profiles[1:]))
        self.store = store or CellStore()
        self.black = black_cell(self.settings, self.fps)
        """Stands in for offline and failed segments in the stream, so playback goes on."""
        self.blacks = tuple(variant(self.black, r, self.settings) for r in range(len(self.profiles)))
        self.decode_stats = DecodeStats()
        self._ready = threading.Condition()
        self._on_event = on_event
        self._lock = threading.Lock()
        self._media: dict[str, MediaInfo] = {}
        self._timeline = Timeline(project.fps)
        self._segments: list[Segment] = []
        self._playhead = 0
        self._known: dict[str, CellRef] = {}
        """Every cell the current plan asks for (wanted, handles, black): what a bad read can re-queue."""
        self._urgent: dict[str, CellRef] = {}
        """Cells found bad on read, in the order found: queued ahead of the playhead order."""
        self._bad_reads: dict[str, int] = {}
        self._sizes: dict[str, int] = {}
        """Payload bytes of every cell this engine saw stored: how big the plan is once evicted."""
        n = workers or default_workers()
        # the scheduler hands contiguous cells to one worker as a run (one decode pass), so the
        # cells just ahead of the playhead come from one worker at a time: the speed that must
        # keep up with playback is one worker's, not the pool's
        self.controller = QualityController(len(self.profiles), 1)
        self.controller.pin(rung_index(quality) if quality != "auto" else None)
        self._demanded: dict[str, CellRef] = {}
        """Cells a ``resolve`` is blocked on: queued ahead of everything, whatever the rung."""
        self._started: dict[str, float] = {}
        self._rung_of: dict[str, CellRef] = {}
        """Cells of the current work, by key: which rung a finished cell was."""
        self._cells_per_rung = [0] * len(self.profiles)
        self._threads_per_codec = codec_threads if codec_threads is not None else (1 if n > 1 else 0)
        self._cluster: DaskExecutor | None = None
        if cluster:  # cells go to a Dask cluster (livecut[cluster]); the job key is the cell's key
            from core.engine.cell_task import cell_tasks
            from core.engine.dask_executor import DaskExecutor

            self._cluster = DaskExecutor(cluster, cell_tasks(self.profiles, self.cell_frames, self._media_info))
        self.scheduler = Scheduler(self.store, self._cluster or self._encode, workers=n, on_event=self._forward)
        self.scheduler.run_may_start = lambda cell: cheap_start(
            self._media.get(cell.media), cell.index, self.cell_frames, self.fps
        )
        self._unsubscribe = self.store.on_bad(self._on_bad)
        self.set_timeline(project.timeline)

    # -- inputs ------------------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline) -> None:
        """Re-plan after an edit; cells no longer needed are cancelled, cached ones cost nothing."""
        segments = plan(timeline, self.settings)
        with self._lock:
            self._timeline = timeline
            self._segments = segments
            self._media = {m.id: m.info for m in timeline.media if m.info is not None}
        self._reschedule()
        self._forward(PlanChanged(len(segments)))

    def set_playhead(self, frame: int) -> None:
        """Move the priority focus; re-sorts the queue only when the playhead changes segment."""
        with self._lock:
            before = segment_at(self._segments, self._playhead)
            self._playhead = max(0, frame)
            moved = segment_at(self._segments, self._playhead) != before
        if moved:
            self._reschedule()

    @property
    def segments(self) -> list[Segment]:
        with self._lock:
            return list(self._segments)

    @property
    def timeline(self) -> Timeline:
        with self._lock:
            return self._timeline

    # -- scheduling --------------------------------------------------------------------------------
    def _reschedule(self) -> None:
        with self._lock:
            segs = self._segments
            playhead = self._playhead
            timeline = self._timeline
        i0 = segment_at(segs, playhead)
        if i0 is None:
            i0 = len(segs) if segs and playhead >= segs[-1].end else 0
        ordered = segs[i0:] + segs[:i0][::-1]
        rung = self.controller.rung
        auto = self.controller.pinned is None
        wanted: dict[str, CellRef] = {}
        sharpen: dict[str, CellRef] = {}
        seen: set[str] = set()
        best_of: dict[str, int | None] = {}
        superseded: list[str] = []  # lower rungs of cells stored at a better one: evicted first
        for seg in ordered:
            if not seg.key or seg.key in seen:
                continue
            seen.add(seg.key)
            best = best_of[seg.key] = self.best_rung(seg.cell)
            if best is not None:
                superseded.extend(variant(seg.cell, r, self.settings).key for r in range(best + 1, len(self.profiles)))
            if best is None or best > rung:
                # a cell already being encoded at another rung finishes there: throwing away a
                # half-made cell to start it again cheaper costs more than it saves
                cell = self._in_flight(seg.cell, best) or variant(seg.cell, rung, self.settings)
                wanted.setdefault(cell.key, cell)
            if auto and best != 0 and (best is not None or rung != 0):
                sharpen.setdefault(seg.key, seg.cell)  # idle work: bring it to the top rung
        span = int(PIN_SECONDS * self.fps)
        near = [s for s in ordered if s.key and s.end >= playhead - span and s.at <= playhead + span]
        near.sort(key=lambda s: 0 if s.at <= playhead < s.end else min(abs(s.at - playhead), abs(s.end - playhead)))
        # nearest first: a small cache limit keeps the nearest, at the best rung stored; a lower
        # rung superseded by a better one is not pinned, and evicted before other entries
        self.store.pin(
            [variant(s.cell, best_of.get(s.key) or 0, self.settings).key for s in near] + [s.key for s in near]
        )
        self.store.prefer_evicting(superseded)
        if wanted:  # sharpen only once every cell plays at some rung: a starving playhead comes first
            sharpen = {}
        if any(s.offline for s in segs) or self.scheduler.failures():
            black = self.blacks[rung]
            wanted.setdefault(black.key, black)
        handles = self._handles(timeline, wanted)
        idle = list(sharpen.values()) + [c for c in handles if c.key not in sharpen]
        with self._lock:
            self._known = {**{c.key: c for c in idle}, **wanted, **{b.key: b for b in self.blacks}}
            for key in [k for k in self._demanded if self.store.has(k)]:
                del self._demanded[key]
            self._known.update(self._demanded)
            for key in [k for k in self._urgent if k not in self._known or self.store.has(k)]:
                del self._urgent[key]
            urgent = list(self._urgent.values()) + [c for c in self._demanded.values() if c.key not in self._urgent]
            self._rung_of.update(self._known)
        # a session is blocked on the urgent cells: they go before the playhead order
        urgent_keys = {u.key for u in urgent}
        order = urgent + [c for c in wanted.values() if c.key not in urgent_keys]
        self.scheduler.update(order, [c for c in idle if c.key not in urgent_keys])

    def _in_flight(self, cell: CellRef, best: int | None) -> CellRef | None:
        """``cell`` at a rung better than ``best`` that a worker has well begun to encode, if any
        (one just started, e.g. the next cell of a run, is cheaper to start again lower)."""
        for r in range(len(self.profiles) if best is None else best):
            ref = variant(cell, r, self.settings)
            if (
                self.scheduler.state(ref.key) == SegmentState.ENCODING
                and self.scheduler.progress(ref.key) >= IN_FLIGHT_KEEP
            ):
                return ref
        return None

    def best_rung(self, cell: CellRef) -> int | None:
        """The best (lowest) rung ``cell`` (a plan cell) is in the store at, or None."""
        for r in range(len(self.profiles)):
            if self.store.has(variant(cell, r, self.settings).key):
                return r
        return None

    def _on_bad(self, key: str, why: str) -> None:
        """The store found ``key`` bad on read (it has left the index): encode it again now."""
        with self._lock:
            ref = self._known.get(key)
            if ref is None:
                return  # not a cell of this plan
            count = self._bad_reads[key] = self._bad_reads.get(key, 0) + 1
            if count < BAD_READS_TO_FAIL:
                self._urgent[key] = ref
        if count >= BAD_READS_TO_FAIL:
            self.scheduler.fail(key, f"the cached cell keeps going bad after re-encoding ({why}); check the disk")
            return
        log.warning("cell %s was %s when read: re-queued ahead of the playhead", key, why)
        self._reschedule()

    def _handles(self, timeline: Timeline, wanted: dict[str, CellRef]) -> list[CellRef]:
        """Cells just beyond each clip's in and out points: what the next trim would reveal."""
        C = self.cell_frames
        out: dict[str, CellRef] = {}
        fps_of: dict[str, str] = {}
        for clip in timeline.clips:
            ref: MediaRef = timeline.media_by_id(clip.media)
            if ref.info is None or ref.info.video is None:
                continue
            length = ref.length(self.fps) or 0
            for k in (clip.in_ // C - 1, (clip.out - 1) // C + 1):
                if k < 0 or k * C >= length:
                    continue
                if ref.id not in fps_of:
                    fps_of[ref.id] = fingerprint(ref.resolved)
                cell = media_cell(fps_of[ref.id], ref.id, k, length, self.settings, self.fps)
                if cell.key not in wanted and cell.key not in out:
                    out[cell.key] = cell
        return list(out.values())

    def _encode(
        self, run: Run, cancel: threading.Event, progress: Callable[[int, int], None]
    ) -> Iterator[tuple[int, bytes]]:
        if run.media == BLACK:
            yield 0, encode_black(self.profiles[run.cells[0].rung], run.cells[0].frames)
            return
        with self._lock:
            info = self._media.get(run.media)
        if info is None:
            raise EncodeError(f"media {run.media!r} is offline")
        # the scheduler chains neighbouring cells of one media whatever their rung: one decode
        # pass per stretch of one rung, progress counted from the start of the whole run
        done = 0
        start = 0
        while start < len(run.cells):
            end = start
            while end + 1 < len(run.cells) and run.cells[end + 1].rung == run.cells[start].rung:
                end += 1
            part = run.cells[start : end + 1]

            def report(n: int, total: int, base: int = done) -> None:
                progress(base + n, base + total)

            yield from encode_run(
                info,
                part[0].index,
                part[-1].index,
                self.cell_frames,
                self.profiles[part[0].rung],
                threads=self._threads_per_codec,
                cancel=cancel,
                on_progress=report,
                stats=self.decode_stats,
            )
            done += sum(c.frames for c in part)
            start = end + 1

    def _forward(self, event: Event | PlanChanged) -> None:
        if isinstance(event, CellStarted):
            with self._lock:
                self._started[event.key] = time.monotonic()
        if isinstance(event, CellReady):
            with self._lock:
                self._sizes[event.key] = event.size
                began = self._started.pop(event.key, None)
                cell = self._rung_of.get(event.key)
                if cell is not None:
                    self._cells_per_rung[cell.rung] += 1
            if cell is not None and began is not None and cell.media != BLACK:
                self.controller.record(cell.rung, float(cell.frames / self.fps), time.monotonic() - began)
            self._adapt(cell_done=True)
        if isinstance(event, (CellReady, CellFailed, PlanChanged)):
            with self._ready:
                self._ready.notify_all()
            if isinstance(event, CellFailed):
                self._ensure_black()
        if self._on_event is not None:
            self._on_event(event)

    def _ensure_black(self) -> None:
        if not self.store.has(self.black.key) and self.scheduler.state(self.black.key) is None:
            threading.Thread(target=self._reschedule, name="livecut-replan", daemon=True).start()

    def resolve(self, seg: Segment, cancel: threading.Event) -> str | None:
        """The top-rung cell key to play for ``seg``, blocking until it is in the store (None if
        cancelled). For front ends that play one session at one rung; see ``resolve_at``."""
        return self._resolve(seg, 0, cancel, adaptive=False)

    def resolve_at(self, rung: int, seg: Segment, cancel: threading.Event, *, switch_up: bool = True) -> str | None:
        """The cell key of ``seg`` at ``rung`` for a session playing ``rung``, or ``RungChange``.

        Raises ``RungChange(r)`` when the session should end before ``seg`` and go on at rung
        ``r``: ``seg`` is not ready at ``rung`` but is at ``r``, or the controller makes new
        cells at ``r`` now; or the session plays a lower rung and ``seg`` and the
        ``SWITCH_UP_SEGMENTS`` after it are ready at a better one (the switch up after sharpening). A session passes
        ``switch_up=False`` for its first segment: it was just started at the best rung ready, and
        a better cell that appeared meanwhile must not cost a second restart at the same frame.
        """
        return self._resolve(seg, rung, cancel, adaptive=True, switch_up=switch_up)

    def start_rung(self, seg: Segment | None) -> int:
        """The rung a session starting at ``seg`` plays: the best one ready, else the controller's."""
        if seg is None or seg.offline:
            return self.controller.rung
        best = self.best_rung(seg.cell)
        return self.controller.rung if best is None else best

    def _switch(self, seg: Segment, rung: int, switch_up: bool = True) -> int | None:
        """The rung a session at ``rung`` should switch to before ``seg`` (None: stay)."""
        pinned = self.controller.pinned
        if pinned is not None:
            return pinned if pinned != rung else None
        if seg.offline or self.scheduler.state(seg.key) == SegmentState.FAILED:
            return None
        best = self.best_rung(seg.cell)
        if switch_up and best is not None and best < rung and self._ready_ahead(seg, best):
            return best
        if self.store.has(variant(seg.cell, rung, self.settings).key):
            return None
        if best is not None and (switch_up or best > rung):
            return best
        own = variant(seg.cell, rung, self.settings)
        if (
            self.scheduler.state(own.key) == SegmentState.ENCODING
            and self.scheduler.progress(own.key) >= IN_FLIGHT_KEEP
        ):
            return None  # well begun at this rung (and kept there, see _in_flight): waiting is shorter
        target = self.controller.rung
        return target if target != rung else None

    def _ready_ahead(self, seg: Segment, rung: int) -> bool:
        """True when the ``SWITCH_UP_SEGMENTS`` segments after ``seg`` (or all up to the end) are
        ready at ``rung`` or better: a switch up costs a restart, so it must last."""
        segs = self.segments
        i = segment_at(segs, seg.end)
        for nxt in segs[i : i + SWITCH_UP_SEGMENTS] if i is not None else []:
            if not nxt.offline and ((b := self.best_rung(nxt.cell)) is None or b > rung):
                return False
        return True

    def _resolve(
        self, seg: Segment, rung: int, cancel: threading.Event, *, adaptive: bool, switch_up: bool = True
    ) -> str | None:
        """Offline and failed segments play the black cell so the stream goes on. While waiting it
        checks now and then that the cell is queued or encoding, and re-plans when nobody is
        making it (a missed wake-up must not become a hang)."""
        demanded: list[str] = []
        try:
            return self._wait(seg, rung, cancel, adaptive, switch_up, demanded)
        finally:
            with self._lock:
                for key in demanded:
                    self._demanded.pop(key, None)

    def _wait(
        self, seg: Segment, rung: int, cancel: threading.Event, adaptive: bool, switch_up: bool, demanded: list[str]
    ) -> str | None:
        last_check = time.monotonic()
        while not cancel.is_set():
            if adaptive:
                to = self._switch(seg, rung, switch_up)
                if to is not None:
                    raise RungChange(to)
            key = variant(seg.cell, rung, self.settings).key
            if seg.offline or self.scheduler.state(key) == SegmentState.FAILED:
                key = self.blacks[rung].key
                if self.scheduler.state(key) == SegmentState.FAILED:
                    raise EncodeError("the black stand-in cell cannot be made: " + self.scheduler.failures()[key])
            if self.store.has(key):
                return key
            if key not in demanded and self.scheduler.state(key) is None:
                demanded.append(key)  # a session waits on it: it goes ahead of everything
                cell = self.blacks[rung] if key == self.blacks[rung].key else variant(seg.cell, rung, self.settings)
                with self._lock:
                    self._demanded[key] = cell
                self._reschedule()
            now = time.monotonic()
            if now - last_check >= _RESOLVE_CHECK_S:
                last_check = now
                self._adapt(waiting=True)
                if self.scheduler.state(key) is None and not self.store.has(key):
                    log.info("cell %s is wanted but neither queued nor encoding: re-planning", key)
                    self._reschedule()
            with self._ready:
                self._ready.wait(0.05)
        return None

    # -- quality -----------------------------------------------------------------------------------
    def set_quality(self, quality: str) -> None:
        """``auto`` or a rung name (``full``, ``half``, ``quarter``) to pin; re-plans the work."""
        self.controller.pin(rung_index(quality))
        self._reschedule()
        self._forward(PlanChanged(len(self.segments)))

    def stream_source(self) -> Engine:
        """What a browser preview streams from: the engine itself (store, plan, ``resolve``)."""
        return self

    def ahead_seconds(self) -> tuple[float, bool]:
        """Seconds of stream ready (at any rung) from the playhead on, and whether that is all of it."""
        with self._lock:
            segs = self._segments
            playhead = self._playhead
        i = segment_at(segs, playhead)
        if i is None:
            return 0.0, True
        frames = 0
        for seg in segs[i:]:
            if not seg.offline and self.best_rung(seg.cell) is None:
                return float(frames / self.fps), False
            frames += seg.end - max(seg.at, playhead)
        return float(frames / self.fps), True

    def _adapt(self, *, waiting: bool = False, cell_done: bool = False) -> None:
        """Let the controller look at the buffer; re-plan the work when it changed rung, and after
        each cell while below the top rung (a run started at a better rung must not go on with
        cells that are now wanted at a lower one: the scheduler cancels it once none is needed)."""
        before = self.controller.rung
        ahead, complete = (0.0, False) if waiting else self.ahead_seconds()
        after = self.controller.decide(ahead, complete=complete)
        if after != before or (cell_done and after > 0):
            threading.Thread(target=self._reschedule, name="livecut-rung", daemon=True).start()

    def quality(self) -> ControllerState:
        return self.controller.state()

    # -- outputs -----------------------------------------------------------------------------------
    def state_of(self, seg: Segment) -> SegmentState:
        if seg.offline:
            return SegmentState.OFFLINE
        if self.store.has(seg.key):
            return SegmentState.READY
        own = self.scheduler.state(seg.key)
        if own in (SegmentState.ENCODING, SegmentState.FAILED):
            return own  # sharpening, or failed at the top rung
        for r in range(1, len(self.profiles)):
            cell = variant(seg.cell, r, self.settings)
            if self.store.has(cell.key):
                return SegmentState.LOWER
            if (state := self.scheduler.state(cell.key)) is not None:
                return state
        return own or SegmentState.PENDING

    def _progress_of(self, seg: Segment, state: SegmentState) -> float:
        if state == SegmentState.READY:
            return 1.0
        if state != SegmentState.ENCODING:
            return 0.0
        for r in range(len(self.profiles)):
            key = variant(seg.cell, r, self.settings).key
            if self.scheduler.state(key) == SegmentState.ENCODING:
                return self.scheduler.progress(key)
        return 0.0

    def snapshot(self) -> EngineSnapshot:
        segs = self.segments
        states = tuple(self.state_of(s) for s in segs)
        progress = tuple(self._progress_of(s, st) for s, st in zip(segs, states, strict=True))
        failures = self.scheduler.failures()
        quality = self.controller.state()
        keys = {variant(s.cell, r, self.settings).key for s in segs if s.key for r in range(len(self.profiles))}
        return EngineSnapshot(
            segments=tuple(segs),
            states=states,
            progress=progress,
            ready=sum(1 for st in states if st == SegmentState.READY),
            encoding=sum(1 for st in states if st == SegmentState.ENCODING),
            bytes=sum(self.store.size_of(k) for k in keys),
            encoder=self.profile.encoder,
            errors={k: v for k, v in failures.items() if k in keys},
            rung=quality.rung,
            rung_name=LADDER[quality.rung].name,
            pinned=quality.pinned is not None,
        )

    def verify_cells(self) -> int:
        """Read every cell of the plan the store says is ready; bad ones are re-queued at once.

        Costs one read and one xxh3 per cached cell, so it is for batch commands that promise a
        whole cache (``livecut encode --verify``), never for opening a project. Returns how many
        cells were bad.
        """
        bad = 0
        for key in sorted({s.key for s in self.segments if s.key and not s.offline}):
            if self.store.has(key) and self.store.get(key) is None:
                bad += 1
        return bad

    def encoded_keys(self) -> set[str]:
        """Cells this engine encoded, including ones re-encoded because their bytes went bad."""
        return self.scheduler.encoded_keys()

    def stats(self) -> EngineStats:
        return EngineStats(
            self.scheduler.stats["cells_encoded"],
            self.decode_stats.frames_decoded,
            self.scheduler.workers,
            self.profile.encoder,
            tuple(self._cells_per_rung),
            self.controller.changes,
        )

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until every segment's cell is in the store or failed (True), or ``timeout`` passes.

        "Ready" is checked against the store's index, not the scheduler: a cell evicted after
        it was made (the LRU making room for other cells of this store) is queued again and waited
        for. (A file removed behind the index, by another process, is found when it is read and
        re-encoded then, see the module docstring.) When the
        plan's cells do not all fit the cache limit (``overflow``), waiting longer cannot help:
        this returns True once everything was made, and ``snapshot()`` counts the evicted cells
        as pending, never as ready.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.scheduler.wait_idle(left):
                return False
            missing = self.missing_keys()
            if not missing or self.overflow():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            log.info("%d cells of the plan were evicted after they were made: encoding them again", len(missing))
            self._reschedule()
            if not self.scheduler.busy():  # nothing could be queued (should not happen): do not spin
                time.sleep(_RESOLVE_CHECK_S / 10)

    def missing_keys(self) -> set[str]:
        """Cells of the plan that are neither in the store nor failed (never made, or evicted)."""
        failed = self.scheduler.failures()
        keys = {s.key for s in self.segments if s.key and not s.offline}
        return {k for k in keys if k not in failed and not self.store.adopt(k)}

    def overflow(self) -> bool:
        """True when the plan's cells and trim handles, as big as they were made, exceed the cache limit."""
        with self._lock:
            known = sum(self._sizes.get(k, 0) + ENTRY_OVERHEAD for k in self._known if k in self._sizes)
        return known > self.store.limit

    def _media_info(self, media: str) -> MediaInfo | None:
        with self._lock:
            return self._media.get(media)

    def close(self) -> None:
        self._unsubscribe()
        self.scheduler.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
