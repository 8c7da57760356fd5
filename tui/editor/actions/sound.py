"""Clip sound (gain ±1 dB, mute) and the clips' waveforms.

Waveforms are computed off the UI thread, one media at a time, by ``core.media.waveform`` (cached
by content beside the cells, so a reopen reads them). ``Waveforms`` owns that worker and what has
arrived; it knows no UI: it hands each waveform to ``deliver`` on the worker thread (the screen
passes one that posts to its own thread and returns; it raises ``RuntimeError`` once the app is
closing, which ends the worker), and the screen records it with ``arrived`` and redraws.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType

from core.cells.store import default_cache_dir
from core.errors import LivecutError
from core.media.fingerprint import fingerprint
from core.media.waveform import Waveform, load_or_compute
from core.model.timeline import MediaRef, Timeline
from tui.editor import editing
from tui.editor.actions.step import Context, Step, edit

log = logging.getLogger(__name__)


def gain_up(ctx: Context) -> Step:
    return edit(ctx, lambda tl, cur: editing.change_gain(tl, cur, 1.0))


def gain_down(ctx: Context) -> Step:
    return edit(ctx, lambda tl, cur: editing.change_gain(tl, cur, -1.0))


def mute(ctx: Context) -> Step:
    return edit(ctx, editing.toggle_mute)


class Waveforms:
    """Peak envelopes by media id, as they arrive from the worker."""

    def __init__(self, deliver: Callable[[str, Waveform], None]) -> None:
        self.ready: Mapping[str, Waveform] = MappingProxyType({})
        self._deliver = deliver
        self._wanted: tuple[MediaRef, ...] = ()
        self._thread: threading.Thread | None = None

    def request(self, timeline: Timeline) -> None:
        """After a timeline change: start computing the waveforms of media that have none yet."""
        done = set(self.ready)
        wanted = tuple(
            ref for ref in timeline.media if ref.info is not None and ref.info.audio is not None and ref.id not in done
        )
        self._wanted = wanted
        if wanted and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._work, name="livecut-waveforms", daemon=True)
            self._thread.start()

    def arrived(self, media_id: str, wave: Waveform) -> None:
        """Record a waveform the worker delivered (on the thread that reads ``ready``)."""
        self.ready = {**self.ready, media_id: wave}

    def _work(self) -> None:
        folder = default_cache_dir()
        tried: set[str] = set()
        while True:
            todo = [r for r in self._wanted if r.id not in tried and r.id not in self.ready]
            if not todo:
                return
            ref = todo[0]
            tried.add(ref.id)
            assert ref.info is not None
            try:
                wave, _ = load_or_compute(ref.info, fingerprint(ref.resolved), folder)
            except (LivecutError, OSError, InterruptedError) as exc:
                log.info("no waveform for %s: %s", ref.resolved, exc)
                continue
            try:
                self._deliver(ref.id, wave)
            except RuntimeError:  # the app is closing
                return
