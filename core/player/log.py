"""libmpv's log, forwarded to Python logging at a severity that knows which session a line is about.

Why it is shaped so:

* **A replaced session fails loudly, and that is expected.** When a session is replaced, aborted
  or closed before libmpv got its init segment (the preview restarting twice in quick succession
  after edits), libavformat gives up with ``moov atom not found`` / ``avformat_open_input()
  failed`` / ``Failed to recognize file format.`` at ERROR level. Such lines go out at DEBUG; the
  same lines about the current session keep their level.
* **The log says which session it is about; timing cannot.** libmpv's log lines name no file, and
  they reach python-mpv's event thread late — libmpv hands out queued events before queued log
  lines — so "which session is current when the line arrives" does not tell whose line it is.
  But libmpv writes ``Opening livecut://<n>`` (module ``stream_callback``, level ``v``) before it
  opens a session, and log lines arrive in the order they were written: the last such line names
  the session every later line is about. ``MPV_LOG_OPTIONS`` ask for that one module at ``v`` and
  everything else at ``warn`` as before. Should a libmpv version word it differently, no line is
  attributed and every line keeps its level, as it did before this existed.
* **Known harmless lines** are DEBUG too: the stream is non-seekable on purpose, and libmpv's
  null audio output reports ``illegal state: start() while paused`` at ERROR on every play after
  a pause (its clock is started before the pause is lifted; nothing is lost). An ERROR in the
  log must mean something went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.player.protocol import PROTOCOL

MPV_LOG_OPTIONS = {"loglevel": "terminal-default", "msg_level": "all=warn,stream_callback=v"}
"""``mpv.MPV`` keyword arguments: ``terminal-default`` makes libmpv honour ``msg-level`` for us."""

_LEVELS = {
    "fatal": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "v": logging.DEBUG,
    "debug": logging.DEBUG,
    "trace": logging.DEBUG,
}

_EXPECTED_WARNINGS = frozenset(
    # Our streams are non-seekable on purpose; force-seekable makes the cache seekable.
    {"Not seekable, but enabling seeking on user request."}
)

_HARMLESS = frozenset(
    # (module prefix, message): libmpv's ao_null complains on every unpause; playback is unaffected.
    {("ao/null", "illegal state: start() while paused")}
)

_OPENING = f"Opening {PROTOCOL}://"


class MpvLog:
    """python-mpv's ``log_handler``: runs on its event thread, so it only logs.

    ``expected(url)`` is True when lines about the session at ``url`` (``None``: no session
    opened yet) are expected noise, because it was replaced or aborted or the player is closing.
    """

    def __init__(self, logger: logging.Logger, expected: Callable[[str | None], bool]) -> None:
        self._logger = logger
        self._expected = expected
        self._url: str | None = None  # the session libmpv was opening when it wrote the latest line

    def __call__(self, level: str, prefix: str, text: str) -> None:
        message = text.rstrip()
        if message.startswith(_OPENING):
            self._url = message.removeprefix("Opening ")
        severity = _LEVELS.get(level, logging.INFO)
        if message in _EXPECTED_WARNINGS or (prefix, message) in _HARMLESS or self._expected(self._url):
            severity = logging.DEBUG
        self._logger.log(severity, "mpv[%s] %s", prefix, message)
