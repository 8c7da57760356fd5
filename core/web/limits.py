"""How much one browser-preview server gives its pages: how many, and how long one may stall.

Why a cap at all: every page that plays holds a stream session (an assembler thread, a packet
cache, a stream window and a send queue), and pages are cheap to open: 300 of them once took the
server from 137 MB to 1.9 GB and starved a normal page for 25 s. So a server serves at most
``max_viewers`` pages at a time and refuses the next one at once with a sentence the page shows,
and a page that stops reading is dropped instead of having its stream buffered without end.

``LIVECUT_WEB_MAX_VIEWERS`` sets the cap for every server (``livecut serve`` and the editor's
``--web``); ``livecut serve --max-viewers N`` overrides it for that command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core import locations

log = logging.getLogger(__name__)

MAX_VIEWERS = 8
"""Pages served at once by default (a handful of people watching one preview)."""
MAX_VIEWERS_ENV = locations.WEB_MAX_VIEWERS_ENV
"""Environment variable that overrides ``MAX_VIEWERS`` (a whole number, at least 1)."""
STALL_SECONDS = 10.0
"""A page whose socket takes no bytes for this long is dropped (heartbeats are every 20 s)."""
QUEUE_MESSAGES = 256
"""Messages queued for one page before it counts as not reading and is dropped: stream frames
are held back far earlier (the pump waits for room), so only a page that stopped reading while
messages (segment states, transport) keep coming reaches it."""


@dataclass(frozen=True)
class WebLimits:
    """What one server allows its pages."""

    max_viewers: int = MAX_VIEWERS
    """Pages that may hold a stream at once; the next one is refused with a message."""
    stall_seconds: float = STALL_SECONDS
    """How long one send to a page may take before the page is dropped."""
    queue_messages: int = QUEUE_MESSAGES
    """Messages waiting for one page before it is dropped."""

    def __post_init__(self) -> None:
        if self.max_viewers < 1 or self.stall_seconds <= 0 or self.queue_messages < 8:
            raise ValueError(f"web limits need max_viewers >= 1, stall_seconds > 0, queue_messages >= 8: {self}")


def max_viewers_from_env() -> int:
    """``LIVECUT_WEB_MAX_VIEWERS`` if set and valid, else ``MAX_VIEWERS`` (a typo is logged, never fatal)."""
    raw = locations.web_max_viewers_text()
    if not raw:
        return MAX_VIEWERS
    try:
        value = int(raw)
    except ValueError:
        log.warning("%s=%r is not a whole number; using %d", MAX_VIEWERS_ENV, raw, MAX_VIEWERS)
        return MAX_VIEWERS
    if value < 1:
        log.warning("%s=%r is below 1; using 1", MAX_VIEWERS_ENV, raw)
        return 1
    return value
