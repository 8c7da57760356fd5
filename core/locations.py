"""Where livecut keeps its files, and every ``LIVECUT_*`` environment variable, in one place.

Why one module: the folders (cache, config, log) and the variables that move them or tune the
engine used to be read wherever they were needed, a dozen files across ``core`` and ``tui``, so
nobody could list them and two readers of one variable could disagree. Here each one is a typed
function with its default and its meaning; the README's environment table is this module in
prose. ``platformdirs`` is imported here and nowhere else.

Why functions and not constants: every value is read at call time, so a test (or a front end)
that sets a variable before it calls into the engine is obeyed, and nothing is frozen at import.

Why it is in ``core``: the engine reads most of these (the cache folder, the encoder, the
preview window) and ``core`` never imports ``tui``; the TUI asks this module too (config and log
folders). Parsing that belongs to one subsystem stays there (a cache size is parsed by
``core.cells.limits``, the preview window by ``core.preview.preview``, each with its warning): this
module hands them the raw text, stripped, ``""`` when unset.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "livecut"
"""The folder name under each of the user's platform folders."""

CACHE_DIR_ENV = "LIVECUT_CACHE_DIR"
"""Moves the cache folder (preview cells, export segments, fingerprint memo, waveforms)."""
CONFIG_DIR_ENV = "LIVECUT_CONFIG_DIR"
"""Moves the config folder (``config.toml``, user themes)."""
LOG_DIR_ENV = "LIVECUT_LOG_DIR"
"""Moves the log folder (``livecut.log``)."""
CACHE_LIMIT_ENV = "LIVECUT_CACHE_LIMIT"
"""How big the cache folder may grow ("2GiB", "500MB"); wins over the config's ``[cache] limit``."""
ENCODER_ENV = "LIVECUT_ENCODER"
"""Forces the preview's H.264 encoder (``libx264``, ``h264_nvenc``, ...) instead of detecting one."""
CLUSTER_ENV = "LIVECUT_CLUSTER"
"""A Dask scheduler (``tcp://HOST:8786``) for ``livecut export|encode`` when ``--cluster`` is not given."""
DISPLAY_CHECK_SECONDS_ENV = "LIVECUT_DISPLAY_CHECK_SECONDS"
"""How long the editor waits for a test window to open before it calls the display unusable."""
PREVIEW_WINDOW_MB_ENV = "LIVECUT_PREVIEW_WINDOW_MB"
"""The preview's memory window in MiB (at least 4)."""
WEB_MAX_VIEWERS_ENV = "LIVECUT_WEB_MAX_VIEWERS"
"""Pages the browser preview serves at once (``core.web.limits`` parses it)."""

VARIABLES = (
    CACHE_DIR_ENV,
    CONFIG_DIR_ENV,
    LOG_DIR_ENV,
    CACHE_LIMIT_ENV,
    ENCODER_ENV,
    CLUSTER_ENV,
    DISPLAY_CHECK_SECONDS_ENV,
    PREVIEW_WINDOW_MB_ENV,
    WEB_MAX_VIEWERS_ENV,
)
"""Every variable livecut reads (the README documents each; a test keeps the two in step)."""

DISPLAY_CHECK_SECONDS = 1.0
"""Default of ``LIVECUT_DISPLAY_CHECK_SECONDS``."""


def _text(name: str) -> str:
    return os.environ.get(name, "").strip()


def _folder(name: str, default: str) -> Path:
    override = os.environ.get(name)
    return Path(override) if override else Path(default)


def cache_dir() -> Path:
    """The cache folder: ``LIVECUT_CACHE_DIR`` if set, else the user cache folder (XDG on Linux)."""
    return _folder(CACHE_DIR_ENV, platformdirs.user_cache_dir(APP_NAME))


def config_dir() -> Path:
    """The config folder: ``LIVECUT_CONFIG_DIR`` if set (tests, portable set-ups), else the user
    config folder."""
    return _folder(CONFIG_DIR_ENV, platformdirs.user_config_dir(APP_NAME))


def log_dir() -> Path:
    """The log folder: ``LIVECUT_LOG_DIR`` if set, else the user log folder (XDG state on Linux)."""
    return _folder(LOG_DIR_ENV, platformdirs.user_log_dir(APP_NAME))


def cache_limit_text() -> str:
    """``LIVECUT_CACHE_LIMIT`` as written (``""``: unset); ``core.cells.limits`` parses it."""
    return _text(CACHE_LIMIT_ENV)


def encoder() -> str:
    """``LIVECUT_ENCODER`` (``""``: detect the fastest working encoder)."""
    return _text(ENCODER_ENV)


def cluster() -> str | None:
    """``LIVECUT_CLUSTER``, the default Dask scheduler address, or None."""
    return _text(CLUSTER_ENV) or None


def display_check_seconds() -> float:
    """``LIVECUT_DISPLAY_CHECK_SECONDS`` (a slow remote display, a busy test machine), else 1 s.
    A value that is not a positive number is logged and the default used."""
    raw = _text(DISPLAY_CHECK_SECONDS_ENV)
    if not raw:
        return DISPLAY_CHECK_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:  # also catches nan
        log.warning(
            "%s=%r is not a positive number of seconds; using %g", DISPLAY_CHECK_SECONDS_ENV, raw, DISPLAY_CHECK_SECONDS
        )
        return DISPLAY_CHECK_SECONDS
    return seconds


def preview_window_mb_text() -> str:
    """``LIVECUT_PREVIEW_WINDOW_MB`` as written (``""``: unset); ``core.stream.window`` parses it."""
    return _text(PREVIEW_WINDOW_MB_ENV)


def web_max_viewers_text() -> str:
    """``LIVECUT_WEB_MAX_VIEWERS`` as written (``""``: unset); ``core.web.limits`` parses it."""
    return _text(WEB_MAX_VIEWERS_ENV)


__all__ = [
    "APP_NAME",
    "CACHE_DIR_ENV",
    "CACHE_LIMIT_ENV",
    "CLUSTER_ENV",
    "CONFIG_DIR_ENV",
    "DISPLAY_CHECK_SECONDS",
    "DISPLAY_CHECK_SECONDS_ENV",
    "ENCODER_ENV",
    "LOG_DIR_ENV",
    "PREVIEW_WINDOW_MB_ENV",
    "VARIABLES",
    "WEB_MAX_VIEWERS_ENV",
    "cache_dir",
    "cache_limit_text",
    "cluster",
    "config_dir",
    "display_check_seconds",
    "encoder",
    "log_dir",
    "preview_window_mb_text",
    "web_max_viewers_text",
]
