"""Messages that carry engine and player events from worker threads into the UI.

Why messages: engine callbacks run on encoder and libmpv threads, and a widget may only be
touched from the UI thread. ``post_message`` is thread-safe, so each callback posts one of
these and returns at once. Progress-like messages say ``can_replace`` for their own kind: when
the UI is busy, a queued older one is dropped in favour of the newest, so the UI never drowns
in per-frame events and always shows the latest state.

One message class per state, each with its own typed fields, so a handler never dispatches on a
string. Each playback event of the seam (``core.playback``) has its message here under a
``Preview…`` name: the event is core's value, the message is the UI thread's envelope for it,
and two classes of one name would be told apart only by their import.
"""

from __future__ import annotations

import numpy as np
from textual.message import Message


class EngineUpdated(Message):
    """The engine's snapshot changed (any engine event); the UI re-reads ``snapshot()``."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineUpdated)


class PreviewFrame(Message):
    """A rendered RGB frame (H×W×3 uint8) for the terminal preview."""

    def __init__(self, rgb: np.ndarray, still_of: int | None = None) -> None:
        super().__init__()
        self.rgb = rgb
        self.still_of = still_of
        """For a still decoded directly: the playhead it was decoded for (stale once it moved)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PreviewFrame)


class PreviewPosition(Message):
    """The player shows timeline frame ``frame``."""

    def __init__(self, frame: int) -> None:
        super().__init__()
        self.frame = frame

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PreviewPosition)


class PreviewWaiting(Message):
    """Playback is (or stopped being) held up for stream data (``core.playback.Waiting``)."""

    def __init__(self, waiting: bool) -> None:
        super().__init__()
        self.waiting = waiting


class PreviewPaused(Message):
    """The player paused or resumed by itself or on command (``core.playback.Paused``)."""

    def __init__(self, paused: bool) -> None:
        super().__init__()
        self.paused = paused


class PreviewEnded(Message):
    """Playback reached the end (or, backwards, the start) of the timeline (``core.playback.Ended``)."""


class PreviewFailed(Message):
    """The preview could not play, or stopped answering (``core.playback.Failed``, or the bridge's
    own watchdog); ``message`` is one sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class PreviewChanged(Message):
    """Which preview plays was decided (window, terminal, or the stand-in clock): redraw what
    names it."""


class PageKey(Message):
    """A browser page that follows the editor pressed a transport key (an id of
    ``tui.settings.keys.KEYS``, one of ``core.web.hub.PAGE_KEYS``): the editor acts as if it were
    pressed there."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
