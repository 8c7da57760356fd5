"""The production ``Backend``: the real engine and the libmpv preview.

The player is imported only when a preview starts, so a machine without libmpv still gets the
engine (and the segment bar); the import error becomes the front end's status line.

``detect_display`` is more than "is ``DISPLAY`` set": it asks ``core.player.probe`` (a bounded
check in a child process) whether libmpv can really open a window here, and remembers why not
for ``display_problem``. It can take up to ``PROBE_SECONDS``: call it off the UI thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from core.engine import Engine
from core.media.info import MediaInfo
from core.model.project import Project
from core.modes import VideoOutput
from core.preview.seam import EngineChanged, EngineHandle, FrameSink, PreviewEvent, PreviewHandle


class CoreBackend:
    """Starts ``core.engine.Engine`` and ``core.preview.Preview`` (satisfies ``Backend``)."""

    def __init__(self) -> None:
        self._display_problem = ""

    def detect_display(self) -> bool:
        try:
            from core.player.player import detect_display
            from core.player.probe import window_output
        except (ImportError, OSError) as exc:  # libmpv missing: no window anyway
            self._display_problem = f"libmpv is missing ({exc})"
            return False
        if not detect_display():  # the usual terminal case: nothing to explain unless a display is set
            forwarded = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
            self._display_problem = "the display is forwarded over SSH" if forwarded else ""
            return False
        checked = window_output()
        self._display_problem = checked.reason
        return checked.usable

    def display_problem(self) -> str:
        """Why the last ``detect_display`` said False ("" when it said True)."""
        return self._display_problem

    def start_engine(self, project: Project, workers: int | None, on_event: Callable[[EngineChanged], None]) -> Engine:
        return Engine(project, workers=workers, on_event=lambda _event: on_event(EngineChanged()))

    def start_preview(
        self,
        engine: EngineHandle,
        mode: VideoOutput,
        frame_size: tuple[int, int],
        on_frame: FrameSink | None,
        on_event: Callable[[PreviewEvent], None],
    ) -> PreviewHandle:
        from core.preview.preview import Preview

        if not isinstance(engine, Engine):
            raise TypeError("CoreBackend previews only engines it started")
        return Preview(engine, mode, frame_size, on_frame, on_event)

    def still(self, info: MediaInfo, source_frame: int, size: tuple[int, int], fps: Fraction) -> np.ndarray | None:
        from core.preview.still import first_frame

        return first_frame(info, source_frame, size, fps)
