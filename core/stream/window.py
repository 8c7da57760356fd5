"""The preview's memory window: how much stream a player and its buffer may hold.

Why here, in the stream layer: the window sizes a ``GrowingStream`` (``stream_window``) and
libmpv's demuxer cache alike, and both the libmpv preview (``core.preview.preview``) and the
browser preview (``core.web.client``) use it. Beside the stream, the browser preview gets it
without importing the player, so a machine without libmpv still serves pages.

Memory is bounded by configuration, not by how long someone plays: the player holds at most the
window behind the playhead (what can be sought to) and the window ahead of it, and the session's
``GrowingStream`` keeps nothing behind the reader and makes the assembler wait once it is a slice
of the window ahead.
"""

from __future__ import annotations

import logging

from core import locations
from core.stream.bytestream import StreamWindow

log = logging.getLogger(__name__)

MIB = 1024 * 1024

PREVIEW_WINDOW_MB = 48
"""Default preview window in MiB (``LIVECUT_PREVIEW_WINDOW_MB`` overrides it).

It bounds the preview's memory whatever the length of the session: libmpv keeps at most this much
already-played stream behind the playhead (how far back a seek is served from memory; ~30 s at
the 1.6 MB/s a 360p all-intra preview of camera footage takes, minutes of flat material) and at
most this much read ahead of it, and the stream buffer adds an eighth of it. So the preview path
holds about 2.1× the window at worst. Seeks behind it start a new session from the cells on
disk, which costs about 10 ms, so a larger window buys little.
"""

WINDOW_ENV = locations.PREVIEW_WINDOW_MB_ENV
"""Environment variable that overrides ``PREVIEW_WINDOW_MB`` (a number of MiB, at least 4)."""

MIN_WINDOW_MB = 4
"""Smallest window accepted: below it libmpv cannot hold even a couple of fragments."""


def preview_window_bytes() -> int:
    """The preview window in bytes: ``LIVECUT_PREVIEW_WINDOW_MB`` if set and valid, else the default.

    A value that is not a number, or below ``MIN_WINDOW_MB``, is logged and ignored (clamped up),
    so a typo never stops the editor.
    """
    raw = locations.preview_window_mb_text()
    if not raw:
        return PREVIEW_WINDOW_MB * MIB
    try:
        mb = float(raw)
    except ValueError:
        log.warning("%s=%r is not a number of MiB; using %d", WINDOW_ENV, raw, PREVIEW_WINDOW_MB)
        return PREVIEW_WINDOW_MB * MIB
    if not mb >= MIN_WINDOW_MB:  # also catches nan
        log.warning("%s=%r is below %d MiB; using %d", WINDOW_ENV, raw, MIN_WINDOW_MB, MIN_WINDOW_MB)
        mb = MIN_WINDOW_MB
    return int(mb * MIB)


def stream_window(window_bytes: int) -> StreamWindow:
    """The ``GrowingStream`` window of a session for a preview window of ``window_bytes``.

    Nothing is kept behind the player's reader: the stream is non-seekable, so libmpv never reads
    a byte twice, and its demuxer cache already holds the played part. Ahead, an eighth of the
    window (at least 1 MiB) lets the assembler keep a few fragments ready without racing to the
    end of a fully cached timeline.
    """
    return StreamWindow(behind=0, ahead=max(MIB, window_bytes // 8))
