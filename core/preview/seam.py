"""The seam between a front end (the editor) and the engine + player: protocols and events.

Why a seam: the editor must keep working on the timeline when libmpv is missing, the engine
fails to start, or a test wants to drive the UI without either. So it never imports the engine
or the player itself; it holds a ``Backend`` (``CoreBackend`` in production, a fake in tests)
whose handles satisfy ``EngineHandle`` and ``PreviewHandle``. The type checker proves that the
real classes and the test fakes both fit these protocols, so renaming an engine method or an
event breaks the build, not the editor at run time.

The protocols cover everything a front end uses, so no caller probes a handle with ``getattr``:
the editor's quality setting (``EngineHandle.set_quality``, ``PreviewHandle.rung``), the browser
preview's stream (``EngineHandle.stream_source``, a ``StreamSource``) and the display check's
explanation (``Backend.display_problem``). A feature an engine may lack is a method plus an
``implements_*`` flag (as harlequin's adapters declare theirs): the caller asks the flag, and an
engine without the feature still fits the protocol, its method raising ``NotImplementedError``.
The tracks of a multi-track timeline will come the same way: one flag, one or more methods.

Everything at the seam is in **timeline frames**: the player's seconds are converted once, in
``core.preview.preview`` (with ``core.timebase.seconds_to_frames``). The playback events are
``core.playback``'s, re-exported here: the player emits the same classes, so there is one
vocabulary from libmpv's observer to the front end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

import numpy as np

from core.cells.plan import Segment, SegmentState
from core.cells.store import CellStore
from core.media.info import MediaInfo
from core.model.project import Project
from core.model.timeline import Timeline
from core.modes import VideoOutput
from core.playback import Ended, Failed, Paused, PlaybackEvent, Position, PreviewEvent, Waiting

__all__ = [
    "Backend",
    "Ended",
    "EngineChanged",
    "EngineHandle",
    "Failed",
    "FrameSink",
    "Paused",
    "PlaybackEvent",
    "Position",
    "PreviewEvent",
    "PreviewHandle",
    "SnapshotView",
    "StreamSource",
    "VideoOutput",
    "Waiting",
]


# -- events (worker threads → front end) ---------------------------------------------------------
@dataclass(frozen=True)
class EngineChanged:
    """Something in the engine changed (a cell queued, encoded, failed, a re-plan): re-read
    ``EngineHandle.snapshot()``. One event type on purpose: front ends coalesce them."""


# -- what the front end reads and drives -----------------------------------------------------------
class SnapshotView(Protocol):
    """What the segment bar needs from an engine snapshot (``core.engine.EngineSnapshot``)."""

    @property
    def segments(self) -> Sequence[Segment]: ...
    @property
    def states(self) -> Sequence[SegmentState]: ...
    @property
    def progress(self) -> Sequence[float]: ...
    @property
    def ready(self) -> int: ...
    @property
    def encoding(self) -> int: ...
    @property
    def bytes(self) -> int: ...
    @property
    def encoder(self) -> str: ...
    @property
    def errors(self) -> Mapping[str, str]: ...


class StreamSource(Protocol):
    """What a browser preview streams from (``core.engine.Engine``): the cells, their plan, and
    ``resolve`` to wait for one. ``core.web`` assembles its own sessions from these."""

    @property
    def store(self) -> CellStore: ...
    @property
    def fps(self) -> Fraction: ...
    @property
    def timeline(self) -> Timeline: ...
    @property
    def segments(self) -> list[Segment]: ...

    def resolve(self, seg: Segment, cancel: threading.Event) -> str | None:
        """The key of ``seg``'s cell once it is in the store (None: play black there)."""

    def snapshot(self) -> SnapshotView:
        """Every segment's state now (for the page's segment bar)."""

    def set_playhead(self, frame: int) -> None:
        """Encode nearest ``frame`` first."""


class EngineHandle(Protocol):
    """The cell engine of one open project (``core.engine.Engine``)."""

    @property
    def implements_quality(self) -> bool:
        """True when ``set_quality`` works (an engine without a quality ladder raises
        ``NotImplementedError`` there)."""

    @property
    def implements_stream(self) -> bool:
        """True when ``stream_source`` gives cells to stream (else it raises
        ``NotImplementedError``)."""

    def set_timeline(self, timeline: Timeline) -> None:
        """Re-plan after an edit; cached cells cost nothing."""

    def set_playhead(self, frame: int) -> None:
        """Encode nearest ``frame`` first."""

    def snapshot(self) -> SnapshotView:
        """Every segment's state now."""

    def close(self) -> None:
        """Stop the workers (the preview on top must be closed first)."""

    def set_quality(self, quality: str) -> None:
        """``auto`` or a rung name of ``core.engine.quality.QUALITY_CHOICES`` to pin (only when
        ``implements_quality``)."""

    def stream_source(self) -> StreamSource:
        """What a browser preview streams from (only when ``implements_stream``)."""


class PreviewHandle(Protocol):
    """The live preview over an engine (``core.preview.Preview``). Calls may block for a stream
    restart (tens of ms): a front end runs them off its UI thread."""

    def set_timeline(self, timeline: Timeline, frame: int | None = None) -> None:
        """After an edit: re-plan the engine and restart the stream at ``frame``."""

    def seek(self, frame: int) -> None: ...

    def set_speed(self, x: float) -> None:
        """Play at ``x`` (negative: backwards); unpauses."""

    def pause(self) -> None: ...

    def set_loop(self, start: int | None, end: int | None) -> None:
        """Play frames ``[start, end)`` over and over, each pass exactly (None: no loop)."""

    def set_frame_size(self, width: int, height: int) -> None:
        """Size of the RGB frames in ``terminal`` mode."""

    @property
    def rung(self) -> int:
        """The rung of the quality ladder playing now (0: full quality, also without a ladder)."""

    def close(self) -> None:
        """Stop the player (on the thread that created it)."""


FrameSink = Callable[[np.ndarray], None]
"""Receives rendered RGB frames (H×W×3 uint8) on a player thread."""


class Backend(Protocol):
    """Starts engines and previews for a front end."""

    def detect_display(self) -> bool:
        """True when a window preview can be shown here."""

    def display_problem(self) -> str:
        """Why the last ``detect_display`` said False ("" when it said True or has no reason)."""

    def start_engine(
        self, project: Project, workers: int | None, on_event: Callable[[EngineChanged], None]
    ) -> EngineHandle:
        """Start the engine of ``project``; ``on_event`` runs on worker threads."""

    def start_preview(
        self,
        engine: EngineHandle,
        mode: VideoOutput,
        frame_size: tuple[int, int],
        on_frame: FrameSink | None,
        on_event: Callable[[PreviewEvent], None],
    ) -> PreviewHandle:
        """Start the player over ``engine`` (one this backend started)."""

    def still(self, info: MediaInfo, source_frame: int, size: tuple[int, int], fps: Fraction) -> np.ndarray | None:
        """Source frame ``source_frame`` (at ``fps``) decoded directly at ``size``, or None."""
