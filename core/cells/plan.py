"""Cells and the plan: how a timeline maps onto content-addressed preview cells.

A cell is a fixed window of one source's frames (cell ``k`` covers source frames
``[k*C, (k+1)*C)`` at the project rate) and its key hashes only content facts: the media
fingerprint, ``k``, ``C``, the project rate, the preview profile and the engine version. No
path, no timeline position. So a trim, split, move or ripple delete over material already seen
produces a plan whose cells are all in the store: zero encodes.

A *segment* is the timeline's view of a cell: which frames of it play, and where. The segment
status bar and the stream assembler both read the plan. Media with no video (audio-only files)
use the shared *black* cell, which is the same for every such clip.

The plan is made at the top *rung* of the quality ladder (``core.engine.quality``). A cell at a
lower rung (smaller, coarser, cheaper to encode) is a *variant* of the plan's cell: its key hashes
the top-rung key with that rung's profile, so variants are content-addressed too and every rung
of a cell is cached side by side, while the top rung's keys stay exactly what they were.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import xxhash

from core import ENGINE_VERSION
from core.media.fingerprint import fingerprint
from core.model.timeline import MediaRef, Timeline

BLACK = "black"
"""Pseudo media id of the black cell used under audio-only clips."""


class SegmentState(enum.StrEnum):
    """What the segment bar shows for a segment."""

    PENDING = "pending"
    """Needed but not yet queued (e.g. waiting behind the playhead window)."""
    QUEUED = "queued"
    ENCODING = "encoding"
    READY = "ready"
    LOWER = "lower"
    """Ready only at a lower rung of the quality ladder: it plays, but not at full quality yet."""
    FAILED = "failed"
    OFFLINE = "offline"
    """Its media file is missing or unusable: nothing to encode."""


class RungChange(Exception):
    """Raised by a rung-aware resolver: the session must end before this segment, and the front
    end start a new session there at ``rung`` (a session's cells must share one profile)."""

    def __init__(self, rung: int) -> None:
        super().__init__(f"continue at rung {rung}")
        self.rung = rung


@dataclass(frozen=True)
class CellRef:
    """One cell: what to encode and the key it is stored under."""

    key: str
    """Hex xxh3_128 content key ("" for offline media)."""
    media: str
    """Media id (``BLACK`` for the black cell)."""
    index: int
    """k: the cell covers media frames [k*C, (k+1)*C)."""
    frames: int
    """Frames in this cell (C, or fewer for the last cell of a media)."""
    rung: int = 0
    """Rung of the quality ladder this cell is encoded at (0: the top rung, the plan's own)."""


@dataclass(frozen=True)
class Segment:
    """The frames ``[first, last]`` (inclusive, relative to the cell) of ``cell``, placed at ``at``."""

    cell: CellRef
    first: int
    last: int
    at: int
    """Timeline frame where this segment starts."""
    clip: int
    """Index of the clip this segment belongs to."""

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def end(self) -> int:
        """Timeline frame one past the segment."""
        return self.at + self.length

    @property
    def key(self) -> str:
        return self.cell.key

    @property
    def offline(self) -> bool:
        return not self.cell.key


@dataclass(frozen=True)
class PlanSettings:
    """Everything besides the timeline that decides cell keys."""

    cell_frames: int
    """C: frames per cell."""
    profile_key: str
    """Stable text of the preview profile (size, encoder, quality): a change re-keys every cell."""
    rung_keys: tuple[str, ...] = ()
    """Profile keys of the lower rungs: ``rung_keys[r - 1]`` is rung ``r``'s (empty: no ladder)."""

    @property
    def rungs(self) -> int:
        """How many rungs the ladder has (at least 1, the top rung)."""
        return 1 + len(self.rung_keys)


def cell_key(fp: str, index: int, settings: PlanSettings, fps: Fraction) -> str:
    h = xxhash.xxh3_128()
    for part in (fp, str(index), str(settings.cell_frames), str(fps), settings.profile_key, str(ENGINE_VERSION)):
        h.update(part.encode())
        h.update(b"\x00")
    return h.hexdigest()


def media_cell(fp: str, media: str, index: int, length: int | None, settings: PlanSettings, fps: Fraction) -> CellRef:
    """Cell ``index`` of a video media whose fingerprint is ``fp`` and length (project frames) ``length``.

    The one place a cell's identity is made: the plan and the engine's trim-handle pre-encoding
    both call it, so they cannot disagree on a key.
    """
    C = settings.cell_frames
    frames = min(C, length - index * C) if length is not None else C
    return CellRef(cell_key(fp, index, settings, fps), media, index, frames)


@functools.lru_cache(maxsize=1 << 16)
def variant(cell: CellRef, rung: int, settings: PlanSettings) -> CellRef:
    """``cell`` (a plan cell, rung 0) at ``rung``: same frames, its own content-addressed key.

    Offline cells (no key) have no variants; rung 0 is the cell itself. Cached: the engine asks
    for every segment's variants on each re-plan and snapshot.
    """
    if rung == cell.rung or not cell.key:
        return cell
    if cell.rung != 0:
        raise ValueError("variants are made from the plan's own (rung 0) cells")
    if not 0 < rung < settings.rungs:
        raise ValueError(f"rung {rung} is not on a ladder of {settings.rungs}")
    h = xxhash.xxh3_128()
    for part in (cell.key, settings.rung_keys[rung - 1], str(ENGINE_VERSION)):
        h.update(part.encode())
        h.update(b"\x00")
    return CellRef(h.hexdigest(), cell.media, cell.index, cell.frames, rung)


def black_cell(settings: PlanSettings, fps: Fraction) -> CellRef:
    """The shared black cell: under audio-only clips, and standing in for offline or failed ones."""
    return CellRef(cell_key(BLACK, 0, settings, fps), BLACK, 0, settings.cell_frames)


def plan(
    timeline: Timeline, settings: PlanSettings, fingerprint_of: Callable[[MediaRef], str] | None = None
) -> list[Segment]:
    """The ordered segments of ``timeline``; a clip spans every cell its range touches."""
    fp_of = fingerprint_of or _fingerprint
    C = settings.cell_frames
    fps = timeline.fps
    fps_cache: dict[str, str] = {}
    out: list[Segment] = []
    for placed in timeline.placed():
        clip = placed.clip
        ref = timeline.media_by_id(clip.media)
        if ref.info is None:
            kind, fp, length = "offline", "", None
        elif ref.info.video is None:
            kind, fp, length = "black", BLACK, None
        else:
            kind = "video"
            fp = fps_cache.get(ref.id) or fps_cache.setdefault(ref.id, fp_of(ref))
            length = ref.length(fps)
        pos = clip.in_
        while pos < clip.out:
            if kind == "black":
                k, first = 0, 0
                take = min(C, clip.out - pos)
                cell = black_cell(settings, fps)
            else:
                k, first = divmod(pos, C)
                take = min(C - first, clip.out - pos)
                if kind == "offline":
                    cell = CellRef("", ref.id, k, C)
                else:
                    cell = media_cell(fp, ref.id, k, length, settings, fps)
            out.append(Segment(cell, first, first + take - 1, placed.start + pos - clip.in_, placed.index))
            pos += take
    return out


def _fingerprint(ref: MediaRef) -> str:
    return fingerprint(ref.resolved)


def segment_at(segments: list[Segment], frame: int) -> int | None:
    """Index of the segment showing timeline ``frame`` (binary search), or None."""
    lo, hi = 0, len(segments)
    while lo < hi:
        mid = (lo + hi) // 2
        if segments[mid].end <= frame:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(segments) and segments[lo].at <= frame:
        return lo
    return None
