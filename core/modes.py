"""Where the preview picture goes and how sharp it is: the one vocabulary of preview modes.

The same three names are the player's video output, the editor's ``--preview`` values (plus
``auto``) and what the status line shows, so nothing translates between spellings. The quality
names (``auto`` and the rungs) live here too: the config, the bridge and the engine's ladder share
them, and the editor and settings must not import the engine to spell them. It is a
top-level module because both the player (below the preview) and the seam (above it) use it,
and importing it must not load libmpv.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

VideoOutput = Literal["window", "terminal", "none"]
"""``window``: libmpv's own window; ``terminal``: RGB frames handed to the caller, which draws
them into the terminal; ``none``: no picture (sound and timing only)."""
PreviewChoice = Literal["auto", "window", "terminal", "none"]
"""What the user asks for: a ``VideoOutput``, or ``auto`` to let livecut pick."""
PREVIEW_CHOICES: tuple[PreviewChoice, ...] = ("auto", "window", "terminal", "none")


def resolve_choice(choice: PreviewChoice, display: Callable[[], bool]) -> VideoOutput:
    """``--preview`` → where the picture goes; ``auto`` wants a usable local display."""
    if choice != "auto":
        return choice
    return "window" if display() else "terminal"


RUNG_NAMES: tuple[str, ...] = ("full", "half", "quarter")
"""The preview quality rungs, sharpest first; index ``i`` is rung ``i`` of the engine's ladder
(``core.engine.quality.LADDER`` is built in this order and checks it)."""
QUALITY_CHOICES: tuple[str, ...] = ("auto", *RUNG_NAMES)
"""Values of the ``quality`` setting and the cycle of the quality key: ``auto`` adapts to the
measured encode speed, a rung name pins it."""
