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
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.cells.encode import PreviewProfile, encode_black, encode_run, preview_canvas
from core.cells.encoders import detect_encoders
from core.cells.plan import (
    BLACK,
    CellRef,
    PlanSettings,
    Segment,
    SegmentState,
    black_cell,
    media_cell,
    plan,
    segment_at,
)
from core.cells.store import ENTRY_OVERHEAD, CellStore
from core.engine.scheduler import CellFailed, CellReady, Event, Run, Scheduler
from core.errors import EncodeError
from core.media.fingerprint import fingerprint
from core.media.frames import DecodeStats, cheap_start
from core.media.info import MediaInfo
from core.model.project import Project
from core.model.timeline import MediaRef, Timeline

log = logging.getLogger(__name__)

PIN_SECONDS = 60
"""Cells of segments within this many seconds of the playhead are evicted last (nearest kept
longest): all of them when they fit the cache limit, the nearest ones when it is small."""
BAD_READS_TO_FAIL = 2
"""A cell found bad this many times in one engine's life (so: again after its re-encode) fails."""
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


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Engine:
    """Owns the store and the scheduler for one project; ``close()`` stops the workers."""

    def __init__(
        self,
        project: Project,
        *,
        workers: int | None = None,
        store: CellStore | None = None,
        on_event: Callable[[Event | PlanChanged], None] | None = None,
        encoder: str | None = None,
        codec_threads: int | None = None,
    ) -> None:
        self.project = project
        self.fps = project.fps
        self.cell_frames = project.cell_size
        choice = detect_encoders(encoder)
        width, height = preview_canvas(project.width, project.height, project.preview_height)
        self.profile = PreviewProfile(width, height, project.fps, encoder=choice.name)
        self.settings = PlanSettings(self.cell_frames, self.profile.key())
        self.store = store or CellStore()
        self.black = black_cell(self.settings, self.fps)
        """Stands in for offline and failed segments in the stream, so playback goes on."""
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
        self._threads_per_codec = codec_threads if codec_threads is not None else (1 if n > 1 else 0)
        self.scheduler = Scheduler(self.store, self._encode, workers=n, on_event=self._forward)
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
        wanted: dict[str, CellRef] = {}
        for seg in ordered:
            if seg.key and seg.key not in wanted:
                wanted[seg.key] = seg.cell
        span = int(PIN_SECONDS * self.fps)
        near = [s for s in ordered if s.key and s.end >= playhead - span and s.at <= playhead + span]
        near.sort(key=lambda s: 0 if s.at <= playhead < s.end else min(abs(s.at - playhead), abs(s.end - playhead)))
        self.store.pin(s.key for s in near)  # nearest first: a small cache limit keeps the nearest
        if any(s.offline for s in segs) or self.scheduler.failures():
            wanted.setdefault(self.black.key, self.black)
        handles = self._handles(timeline, wanted)
        with self._lock:
            self._known = {**{c.key: c for c in handles}, **wanted, self.black.key: self.black}
            for key in [k for k in self._urgent if k not in self._known or self.store.has(k)]:
                del self._urgent[key]
            urgent = list(self._urgent.values())
        # a session is blocked on the urgent cells: they go before the playhead order
        order = urgent + [c for c in wanted.values() if c.key not in {u.key for u in urgent}]
        self.scheduler.update(order, handles)

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
            yield 0, encode_black(self.profile, run.cells[0].frames)
            return
        with self._lock:
            info = self._media.get(run.media)
        if info is None:
            raise EncodeError(f"media {run.media!r} is offline")
        yield from encode_run(
            info,
            run.first,
            run.last,
            self.cell_frames,
            self.profile,
            threads=self._threads_per_codec,
            cancel=cancel,
            on_progress=progress,
            stats=self.decode_stats,
        )

    def _forward(self, event: Event | PlanChanged) -> None:
        if isinstance(event, CellReady):
            with self._lock:
                self._sizes[event.key] = event.size
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
        """The cell key to play for ``seg``, blocking until it is in the store (None if cancelled).

        Offline and failed segments play the black cell so the stream goes on. While waiting it
        checks now and then that the cell is queued or encoding, and re-plans when nobody is
        making it (a missed wake-up must not become a hang).
        """
        last_check = time.monotonic()
        while not cancel.is_set():
            key = seg.key
            if seg.offline or self.scheduler.state(key) == SegmentState.FAILED:
                key = self.black.key
                if self.scheduler.state(key) == SegmentState.FAILED:
                    raise EncodeError("the black stand-in cell cannot be made: " + self.scheduler.failures()[key])
            if self.store.has(key):
                return key
            now = time.monotonic()
            if now - last_check >= _RESOLVE_CHECK_S:
                last_check = now
                if self.scheduler.state(key) is None and not self.store.has(key):
                    log.info("cell %s is wanted but neither queued nor encoding: re-planning", key)
                    self._reschedule()
            with self._ready:
                self._ready.wait(0.05)
        return None

    # -- outputs -----------------------------------------------------------------------------------
    def state_of(self, seg: Segment) -> SegmentState:
        if seg.offline:
            return SegmentState.OFFLINE
        if self.store.has(seg.key):
            return SegmentState.READY
        return self.scheduler.state(seg.key) or SegmentState.PENDING

    def snapshot(self) -> EngineSnapshot:
        segs = self.segments
        states = tuple(self.state_of(s) for s in segs)
        progress = tuple(
            self.scheduler.progress(s.key)
            if st == SegmentState.ENCODING
            else (1.0 if st == SegmentState.READY else 0.0)
            for s, st in zip(segs, states, strict=True)
        )
        failures = self.scheduler.failures()
        keys = {s.key for s in segs if s.key}
        return EngineSnapshot(
            segments=tuple(segs),
            states=states,
            progress=progress,
            ready=sum(1 for st in states if st == SegmentState.READY),
            encoding=sum(1 for st in states if st == SegmentState.ENCODING),
            bytes=sum(self.store.size_of(k) for k in keys),
            encoder=self.profile.encoder,
            errors={k: v for k, v in failures.items() if k in keys},
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

    def close(self) -> None:
        self._unsubscribe()
        self.scheduler.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
