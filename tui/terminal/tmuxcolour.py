"""Truecolour inside tmux: tmux can pass 24-bit colour through, but says so only when asked.

Inside tmux ``TERM`` is ``tmux-256color`` and ``COLORTERM`` is usually unset, so Rich (and with it
Textual) draws with 256 colours: the half-block preview turns noisy and the theme's colours
shift. tmux knows whether the terminal outside it takes RGB (``terminal-features`` with ``RGB``,
or the older ``terminal-overrides`` ``Tc``); its ``client_termfeatures`` format says so. When
it does, the editor sets ``COLORTERM=truecolor`` for itself before Textual starts; when it does
not, the status line says how to turn it on (README: "Colour inside tmux").
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable, MutableMapping

log = logging.getLogger(__name__)

HOW = "tmux: set -as terminal-features ',*:RGB'"
"""The line that gives tmux truecolour (tmux ≥ 3.2), as the status line and the README put it."""


def _ask_tmux(fmt: str) -> str:
    result = subprocess.run(["tmux", "display-message", "-p", fmt], capture_output=True, text=True, timeout=1)
    return result.stdout.strip() if result.returncode == 0 else ""


def tmux_truecolour(env: MutableMapping[str, str] | None = None, ask: Callable[[str], str] = _ask_tmux) -> str:
    """Inside tmux without ``COLORTERM``: set it when tmux passes RGB; returns a note for the status
    line when it does not ("" when nothing needs saying)."""
    env = os.environ if env is None else env
    if not env.get("TMUX") or env.get("COLORTERM"):
        return ""
    try:
        features = ask("#{client_termfeatures}")
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("cannot ask tmux for its terminal features: %s", exc)
        return ""
    if "RGB" in features.split(","):
        env["COLORTERM"] = "truecolor"
        log.info("tmux passes RGB (%s): truecolour", features)
        return ""
    log.info("tmux does not pass RGB (features %r): 256 colours", features)
    return f"256 colours in tmux ({HOW})"
