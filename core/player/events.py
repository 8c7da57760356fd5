"""What the player tells its caller: events for what happened, ``PlayerError`` for what it refused.

Why it is shaped so:

* **Events, not polling.** The player's observers run on python-mpv's event thread, so they only
  translate property changes into these small frozen dataclasses, handed to one ``on_event``
  callback. Being plain values, they cross threads safely and the TUI can turn them into Textual
  messages; nothing here knows about widgets (or about libmpv).
* **One module for the vocabulary.** The stream protocol, the seek queue and the player all raise
  ``PlayerError`` and the player's callers match on the events, so both live apart from the
  machinery that produces them; ``core.player.player`` re-exports everything.
* **Shared events are not redefined.** ``Waiting``, ``Paused``, ``Ended`` and ``Failed`` are the
  preview seam's own (``core.playback``, which loads no libmpv): the player emits them and the
  preview passes them on unchanged. Only what is in the player's unit stays here: ``PlayerTime``
  (seconds, which the preview turns into frames) and ``Speed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import LivecutError
from core.playback import Ended, Failed, Paused, PlaybackEvent, Waiting

__all__ = [
    "Ended",
    "Failed",
    "Paused",
    "PlayerError",
    "PlayerEvent",
    "PlayerTime",
    "Speed",
    "Waiting",
]


class PlayerError(LivecutError):
    """libmpv could not be started or refused a command."""


@dataclass(frozen=True)
class PlayerTime:
    """The playhead moved, in libmpv's unit (seconds); ``core.preview`` turns it into a frame."""

    seconds: float
    """Timeline time of the displayed frame (stream time + the session's start offset)."""


@dataclass(frozen=True)
class Speed:
    """The shuttle speed changed."""

    x: float
    """Signed speed: 1.0 normal, negative for reverse shuttle, 0.0 when stopped."""


PlayerEvent = PlayerTime | Speed | PlaybackEvent
"""Everything the player emits: its own seconds and speed, and the shared playback events."""
