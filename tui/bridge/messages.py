"""Messages that carry engine and player events from worker threads into the UI.

Why messages: engine callbacks run on encoder and libmpv threads, and a widget may only be
touched from the UI thread. ``post_message`` is thread-safe, so each callback posts one of
these and returns at once. Progress-like messages say ``can_replace`` for their own kind: when
the UI is busy, a queued older one is dropped in favour of the newest, so the UI never drowns
in per-frame events and always shows the latest state.
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


class PreviewState(Message):
    """The player's state changed: ``kind`` is ``waiting``, ``paused`` or ``ended``."""

    def __init__(self, kind: str, value: bool = True, text: str = "") -> None:
        super().__init__()
        self.kind = kind
        self.value = value
        self.text = text
