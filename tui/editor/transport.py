"""J/K/L shuttle rules as a value.

Why a value: the speed ladder (L plays, L again doubles up to 4×, J the same backwards, K stops,
space toggles 1×) is the same whether frames come from libmpv or from the stand-in clock, and
it is easier to test as arithmetic than through a player.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SPEED = 4.0
"""Fastest shuttle, the player's own limit (``core.player.player.MAX_SPEED``)."""


@dataclass(frozen=True)
class Transport:
    """Signed playback speed: 0 stopped, 1 normal, negative backwards."""

    speed: float = 0.0

    @property
    def playing(self) -> bool:
        return self.speed != 0

    def toggle(self) -> Transport:
        return Transport(0.0 if self.playing else 1.0)

    def stop(self) -> Transport:
        return Transport(0.0)

    def forward(self) -> Transport:
        return Transport(1.0 if self.speed <= 0 else min(self.speed * 2, MAX_SPEED))

    def backward(self) -> Transport:
        return Transport(-1.0 if self.speed >= 0 else max(self.speed * 2, -MAX_SPEED))

    def label(self) -> str:
        """``‖ paused``, ``▶ 1×``, ``◀◀ 4×`` for the status line (no emoji: their width varies)."""
        if not self.playing:
            return "‖ paused"
        arrow = "▶" if self.speed > 0 else "◀"
        fast = abs(self.speed) > 1
        return f"{arrow * (2 if fast else 1)} {abs(self.speed):g}×"
