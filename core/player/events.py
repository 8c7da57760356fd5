"""What the player tells its caller: events for what happened, ``PlayerError`` for what it refused.

Why it is shaped so:

* **Events, not polling.** The player's observers run on python-mpv's event thread, so they only
  translate property changes into these small frozen dataclasses, handed to one ``on_event``
  callback. Being plain values, they cross threads safely and the TUI can turn them into Textual
  messages; nothing here knows about widgets (or about libmpv).
* **One module for the vocabulary.** The stream protocol, the seek queue and the player all raise
  ``PlayerError`` and the player's callers match on the events, so both live apart from the
  machinery that produces them; ``core.player.player`` re-exports everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import LivecutError


class PlayerError(LivecutError):
    """libmpv could not be started or refused a command."""


@dataclass(frozen=True)
class PlayerTime:
    """The playhead moved, in libmpv's unit (seconds); ``core.preview`` turns it into a frame."""

    seconds: float
    """Timeline time of the displayed frame (stream time + the session's start offset)."""


@dataclass(frozen=True)
class Waiting:
    """Playback is (or stopped being) held up because the stream has no data yet."""

    waiting: bool
    """True while libmpv waits for bytes that the assembler has not produced yet."""


@dataclass(frozen=True)
class Paused:
    """The pause state changed (by a command, or libmpv pausing at the end)."""

    paused: bool
    """True when playback is paused."""


@dataclass(frozen=True)
class Ended:
    """Playback reached the end of a finished stream (the last frame stays on screen)."""


@dataclass(frozen=True)
class Speed:
    """The shuttle speed changed."""

    x: float
    """Signed speed: 1.0 normal, negative for reverse shuttle, 0.0 when stopped."""


@dataclass(frozen=True)
class Error:
    """libmpv failed to play the stream; the player itself stays usable."""

    message: str
    """One sentence for the user."""


PlayerEvent = PlayerTime | Waiting | Paused | Ended | Speed | Error
