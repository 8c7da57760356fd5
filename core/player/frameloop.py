"""Frames off the event thread: the render thread of the player's ``terminal`` mode.

Why it is shaped so: libmpv's render API must not be driven from python-mpv's event thread (its
observers must stay quick) nor from libmpv's update callback (which may not call libmpv). So
``FrameLoop`` owns one ``SoftwareRenderer`` and one thread: the update callback only sets an
event, and the thread renders an RGB frame at the size the player asks for and hands it to
``on_frame``. ``close`` stops the thread and frees the renderer, which libmpv requires before
``terminate()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import mpv
import numpy as np

from core.player.software import RenderError, SoftwareRenderer

logger = logging.getLogger(__name__)


class FrameLoop:
    """Renders libmpv's video to RGB frames on its own thread while it runs.

    ``size()`` gives the (width, height) to render; ``on_frame`` and ``on_error`` (a
    ``RenderError``) are called from the render thread.
    """

    def __init__(
        self,
        handle: mpv.MPV,
        *,
        size: Callable[[], tuple[int, int]],
        on_frame: Callable[[np.ndarray], None] | None,
        on_error: Callable[[RenderError], None],
    ) -> None:
        self._size = size
        self._on_frame = on_frame
        self._on_error = on_error
        self._stopped = False
        self._wake = threading.Event()
        self._renderer = SoftwareRenderer(handle, pixel_format="rgb0")
        try:
            self._renderer.set_update_callback(self._wake.set)
        except Exception:
            self._renderer.free()
            raise
        self._thread = threading.Thread(target=self._run, name="livecut-render", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Render again now (the size changed)."""
        self._wake.set()

    def stop(self) -> None:
        """Deliver no more frames and let the thread end."""
        self._stopped = True
        self._wake.set()

    def close(self, timeout: float = 5) -> None:
        """Stop, wait for the thread, and free the renderer (before libmpv's ``terminate()``)."""
        self.stop()
        self._thread.join(timeout)
        self._renderer.free()

    def _run(self) -> None:
        renderer = self._renderer
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            try:
                if not renderer.update():
                    continue
                width, height = self._size()
                frame = renderer.render(width, height)
            except RenderError as exc:
                self._on_error(exc)
                continue
            callback = self._on_frame
            if callback is not None and not self._stopped:
                try:
                    callback(frame)
                except Exception:
                    logger.exception("frame callback failed")
