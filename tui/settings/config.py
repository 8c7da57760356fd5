"""The user's settings file: ``config.toml`` in the XDG config dir.

Why it is strict and small: it is hand-edited, so a typo must be reported (as one sentence per
problem, shown as a notification) instead of silently ignored, and a broken file must never stop
the editor from starting. Only what the user chose lives here: the theme (remembered when picked
from the command palette), how the preview picture reaches the terminal, and key remaps::

    version = 1
    theme = "dark"
    graphics = "auto"               # auto | kitty | sixel | iterm | halfblock (--graphics wins)
    max_bytes_per_second = 2000000  # cap on picture bytes sent to the terminal (slow SSH links)
    quality = "auto"                # auto | full | half | quarter: preview quality (key Q cycles)

    [keys]
    split = "ctrl+k"          # binding id = keys (comma separated)

``LIVECUT_CONFIG_DIR`` overrides the folder (tests, portable setups; ``core.locations.config_dir``).
Writes are atomic.

The file is the user's text, so remembering a theme (the one thing the editor writes into an
existing file) is a text edit, not a re-serialisation: ``set_theme`` replaces the value of the
top-level ``theme`` line and keeps every other byte (comments, order, unknown keys, refused
remaps), and checks with tomllib that the edit changed nothing but the theme before writing.
``save_config`` serialises values and is only for a file that does not exist yet.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from core.atomic import write_atomic
from core.cells.limits import parse_size
from core.locations import config_dir
from core.modes import QUALITY_CHOICES
from tui.settings.keys import BY_ID, resolve_keymap
from tui.terminal import GRAPHICS_CHOICES, Graphics

log = logging.getLogger(__name__)

VERSION = 1


@dataclass(frozen=True)
class Config:
    """What the user chose; every field has a working default."""

    theme: str | None = None
    """Theme name (None: the default dark theme)."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id → keys, overriding the defaults in ``tui.settings.keys``."""
    path: Path | None = field(default=None, compare=False)
    """Where it was read from and is written back to."""
    graphics: Graphics | None = None
    """How the preview picture is drawn (None: ``auto``); the ``--graphics`` flag wins over it."""
    max_bytes_per_second: int | None = None
    """Cap on the preview's picture bytes per second (None: no cap); frames over it are skipped."""
    cache_limit: str | None = None
    """``[cache] limit``: how big the cache folder may grow ("2GiB", "500MB"); LIVECUT_CACHE_LIMIT wins."""
    quality: str = "auto"
    """Preview quality: ``auto`` adapts the rung to how fast cells encode; ``full``, ``half`` or
    ``quarter`` pin one (``core.engine.quality``)."""

    def with_theme(self, theme: str) -> Config:
        return replace(self, theme=theme)


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The config at ``path`` (default location if None) and the problems found in it."""
    target = path or config_path()
    try:
        raw = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=target), []
    except (OSError, UnicodeDecodeError) as exc:
        return Config(path=target), [f"{target}: cannot be read ({exc})"]
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        return Config(path=target), [f"{target}: TOML syntax error: {exc}"]
    config, problems = from_dict(data)
    return replace(config, path=target), [f"{target}: {p}" for p in problems]


def from_dict(data: dict[str, Any]) -> tuple[Config, list[str]]:
    problems: list[str] = []
    version = data.get("version", VERSION)
    if version != VERSION:
        problems.append(f"version {version!r} is not supported (expected {VERSION}); using defaults")
        return Config(), problems
    for key in data:
        if key not in ("version", "theme", "keys", "graphics", "max_bytes_per_second", "cache", "quality"):
            problems.append(f"unknown setting {key!r}")
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        problems.append(f"theme: expected a name, got {theme!r}")
        theme = None
    graphics = data.get("graphics")
    if graphics is not None and graphics not in GRAPHICS_CHOICES:
        problems.append(f"graphics: expected one of {', '.join(GRAPHICS_CHOICES)}, got {graphics!r}")
        graphics = None
    rate = data.get("max_bytes_per_second")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 10_000):
        problems.append(f"max_bytes_per_second: expected a whole number of at least 10000, got {rate!r}")
        rate = None
    cache_limit = _cache_limit(data.get("cache", {}), problems)
    quality = data.get("quality", "auto")
    if quality not in QUALITY_CHOICES:
        problems.append(f"quality: expected one of {', '.join(QUALITY_CHOICES)}, got {quality!r}")
        quality = "auto"
    keys: dict[str, str] = {}
    table = data.get("keys", {})
    if not isinstance(table, dict):
        problems.append('keys: expected a table of action = "key"')
        table = {}
    for action, value in table.items():
        if action not in BY_ID:
            problems.append(f"keys.{action}: unknown action (see the ? help screen for names)")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f'keys.{action}: expected a key such as "ctrl+k", got {value!r}')
        else:
            keys[action] = ",".join(part.strip() for part in value.split(","))
    keys, clashes = resolve_keymap(keys)
    problems += clashes
    config = Config(
        theme=theme,
        graphics=graphics,
        max_bytes_per_second=rate,
        keys=keys,
        cache_limit=cache_limit,
        quality=quality,
    )
    return config, problems


def _cache_limit(cache: object, problems: list[str]) -> str | None:
    """``[cache] limit = "2GiB"``, checked with the same parser as ``LIVECUT_CACHE_LIMIT``."""
    if not isinstance(cache, dict):
        problems.append('cache: expected a table such as [cache] limit = "2GiB"')
        return None
    for name in cache:
        if name != "limit":
            problems.append(f"cache.{name}: unknown setting (expected 'limit')")
    if "limit" not in cache:
        return None
    value = cache["limit"]
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"{value!r} is not a size (examples: 500MB, 2GiB)")
        parse_size(value)
    except ValueError as exc:
        problems.append(f"cache.limit: {exc}")
        return None
    return str(value)


_THEME_LINE = re.compile(
    r"""^(?P<lead>[ \t]*(?:theme|"theme"|'theme')[ \t]*=[ \t]*)"""
    r"""(?P<value>"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|[^#\r\n]*?)"""
    r"""(?P<tail>[ \t]*(?:#[^\r\n]*)?\r?\n?)$"""
)
_VERSION_LINE = re.compile(r"""^[ \t]*(?:version|"version"|'version')[ \t]*=""")


def theme_edit(text: str, theme: str) -> str:
    """``text`` with its top-level ``theme`` set to ``theme``; every other byte kept.

    Only the value of the ``theme = ...`` line before the first table header changes (its
    comment stays); without one, a line is added after ``version`` (or first, when there is no
    ``version`` line). Raises ValueError when ``text`` is not valid TOML or when the edited text
    would read back as anything but the same settings with the new theme.
    """
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"TOML syntax error: {exc}") from exc
    value = tomli_w.dumps({"theme": theme}).split("=", 1)[1].strip()
    parts = text.split("\n")  # not splitlines: it also splits at characters TOML keeps in comments
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    edited: list[str] | None = None
    version_at: int | None = None
    for index, line in enumerate(lines):
        if line.lstrip().startswith("["):
            break  # the top-level table ends at the first header
        match = _THEME_LINE.match(line)
        if match:
            edited = [*lines[:index], match["lead"] + value + match["tail"], *lines[index + 1 :]]
            break
        if version_at is None and _VERSION_LINE.match(line):
            version_at = index
    if edited is None:
        newline = "\r\n" if "\r\n" in text else "\n"
        at = 0 if version_at is None else version_at + 1
        if at and not lines[at - 1].endswith("\n"):
            lines[at - 1] += newline
        edited = [*lines[:at], f"theme = {value}{newline}", *lines[at:]]
    result = "".join(edited)
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"the edit would break the file: {exc}") from exc
    if after != {**before, "theme": theme}:
        raise ValueError("the theme line could not be changed on its own")
    return result


def set_theme(path: Path, theme: str) -> Path | None:
    """Remember ``theme`` in the config file at ``path`` by editing only its ``theme`` line.

    A missing or empty file gets ``version`` and ``theme``. Returns the path, or None when the
    file cannot be read, is not valid TOML (the user's text is never replaced by ours) or cannot
    be written; the reason is logged.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read config %s: %s", path, exc)
        return None
    try:
        new = theme_edit(text if text.strip() else f"version = {VERSION}\n", theme)
    except ValueError as exc:
        log.warning("the theme was not saved in %s: %s", path, exc)
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, new.encode("utf-8"))
    except OSError as exc:
        log.warning("cannot write config %s: %s", path, exc)
        return None
    return path


def save_config(config: Config) -> Path | None:
    """Write ``config`` as a new file (atomic); returns the path, or None when it cannot be
    written. It serialises values, so it drops comments and unknown keys: an existing file is
    edited with ``set_theme`` instead."""
    target = config.path or config_path()
    data: dict[str, Any] = {"version": VERSION}
    if config.theme:
        data["theme"] = config.theme
    if config.graphics:
        data["graphics"] = config.graphics
    if config.max_bytes_per_second:
        data["max_bytes_per_second"] = config.max_bytes_per_second
    if config.cache_limit:
        data["cache"] = {"limit": config.cache_limit}
    if config.quality != "auto":
        data["quality"] = config.quality
    if config.keys:
        data["keys"] = dict(config.keys)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, tomli_w.dumps(data).encode("utf-8"))
    except OSError as exc:
        log.warning("cannot write config %s: %s", target, exc)
        return None
    return target
