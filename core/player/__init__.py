"""The libmpv player: one typed facade (``player``) over parts with one job each.

``protocol`` feeds growing streams to libmpv, ``state`` turns libmpv's property changes into
``events``, ``seek`` waits for cached data, ``shuttle`` emulates reverse play, ``frameloop`` and
``software`` render frames for the terminal, ``options`` and ``log`` configure and listen to
libmpv. Importing this package loads libmpv.
"""

from __future__ import annotations

from core.player.events import Ended, Failed, Paused, PlayerError, PlayerEvent, PlayerTime, Speed, Waiting
from core.player.player import MAX_SPEED, Player, detect_display

__all__ = [
    "MAX_SPEED",
    "Ended",
    "Failed",
    "Paused",
    "Player",
    "PlayerError",
    "PlayerEvent",
    "PlayerTime",
    "Speed",
    "Waiting",
    "detect_display",
]
