"""What playback tells its caller: the one vocabulary of playback events.

Why one module: the player (``core.player``) and the preview seam (``core.preview.seam``) speak of
the same things — playback waits for data, pauses, reaches the end, fails — and two copies of
those classes had to be translated one into the other, field by field. So each is defined here
once: the player emits them, the preview passes them on, and the seam re-exports them for front
ends. Only what differs in unit stays apart: the player's clock is seconds (``PlayerTime`` in
``core.player.events``), the seam's is timeline frames (``Position`` here).

It is a top-level module, like ``core.modes``, because the player sits below the preview and
the seam above it, and importing it must load neither libmpv nor Textual. Every event is a
frozen dataclass: plain values that cross threads safely and that a front end turns into its
own messages.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Ended", "Failed", "Paused", "PlaybackEvent", "Position", "PreviewEvent", "Waiting"]


@dataclass(frozen=True)
class Position:
    """The preview shows timeline frame ``frame`` (the seam's unit; the player's is seconds)."""

    frame: int


@dataclass(frozen=True)
class Waiting:
    """Playback is (or stopped being) held up because the stream has no data yet."""

    waiting: bool
    """True while the player waits for bytes that the assembler has not produced yet."""


@dataclass(frozen=True)
class Paused:
    """The pause state changed (by a command, or the player pausing by itself at the end)."""

    paused: bool
    """True when playback is paused."""


@dataclass(frozen=True)
class Ended:
    """Playback reached the end of the stream (the last frame stays on screen)."""


@dataclass(frozen=True)
class Failed:
    """The player could not play the stream; it stays usable."""

    message: str
    """One sentence for the user."""


PlaybackEvent = Waiting | Paused | Ended | Failed
"""What both the player and the preview emit, unchanged from one to the other."""

PreviewEvent = Position | PlaybackEvent
"""What the preview emits through the seam, all in timeline frames."""
