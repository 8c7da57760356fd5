"""Colour themes as TOML files, parsed into plain ``ThemeSpec`` values (no Textual here).

Why files: colours are taste, so they live outside the code, and the ``.tcss`` only ever names
theme variables. The bundled themes (dark, light, high-contrast) are
``tui/bundled-themes/*.toml``: inside the package, next to ``app.tcss``, so ``pip install``
ships them as package data (``pyproject.toml``) and they are found beside this module wherever
it is installed; a top-level ``themes/`` folder would exist only in a source checkout. The
folder name is not a Python identifier on purpose: ``tui/themes/`` would read as a second
``tui.settings.themes`` next to this module, and setuptools warns about data in folders that look like
unlisted packages. Users add or override themes with ``themes/*.toml`` in their config dir
(same format; a later folder wins by name).
A theme file looks like::

    name = "dark"
    dark = true
    [colors]            # Textual's base colours: primary, secondary, accent, background, ...
    primary = "#4f9dde"
    [variables]         # livecut's own: clip-1..clip-4, seg-ready, playhead, ...
    seg-ready = "#3fa34d"

livecut's variables need a value under any theme (Textual's built-in ones included, which the
command palette offers too), so ``variable_defaults`` derives each from the theme's base colours.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.locations import config_dir

log = logging.getLogger(__name__)

DEFAULT_THEME = "dark"
BUNDLED_DIR = Path(__file__).resolve().parents[1] / "bundled-themes"
"""The themes shipped in the package (package data, see ``pyproject.toml``)."""
_BASE_COLOURS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


@dataclass(frozen=True)
class ThemeSpec:
    """One theme file's content; ``tui.theming`` turns it into a ``textual.theme.Theme`` inside the app."""

    name: str
    dark: bool = True
    colors: dict[str, str] = field(default_factory=dict)
    """Textual's base colours (``primary`` at least)."""
    variables: dict[str, str] = field(default_factory=dict)
    """livecut's own variables (``seg-ready``...); missing ones are derived by ``variable_defaults``."""

    @property
    def primary(self) -> str:
        return self.colors["primary"]


def theme_dirs() -> list[Path]:
    """Where themes are looked for, in order: bundled first, so the user's files override them."""
    return [BUNDLED_DIR, config_dir() / "themes"]


def parse_theme(data: dict[str, object], fallback_name: str) -> ThemeSpec:
    """A ``ThemeSpec`` from parsed TOML; ValueError names what is wrong."""
    colors = data.get("colors", {})
    variables = data.get("variables", {})
    if not isinstance(colors, dict) or not isinstance(variables, dict):
        raise ValueError("[colors] and [variables] must be tables")
    unknown = set(colors) - set(_BASE_COLOURS)
    if unknown:
        raise ValueError(f"unknown colour {sorted(unknown)[0]!r} in [colors]")
    if "primary" not in colors:
        raise ValueError("[colors] needs at least 'primary'")
    name = data.get("name", fallback_name)
    dark = data.get("dark", True)
    if not isinstance(name, str) or not isinstance(dark, bool):
        raise ValueError("'name' must be text and 'dark' true or false")
    return ThemeSpec(
        name=name,
        dark=dark,
        colors={str(k): str(v) for k, v in colors.items()},
        variables={str(k): str(v) for k, v in variables.items()},
    )


def load_theme_file(path: Path) -> ThemeSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        return parse_theme(data, path.stem)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def load_themes(dirs: list[Path] | None = None) -> tuple[list[ThemeSpec], list[str]]:
    """Every readable theme in ``dirs`` (later folders override earlier ones) and the problems."""
    themes: dict[str, ThemeSpec] = {}
    problems: list[str] = []
    for folder in dirs if dirs is not None else theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ValueError as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    if not themes:
        log.warning("no theme files found in %s; using a built-in fallback", dirs)
        themes[DEFAULT_THEME] = ThemeSpec(DEFAULT_THEME, True, {"primary": "#4f9dde"})
    return list(themes.values()), problems


def variable_defaults(base: dict[str, str]) -> dict[str, str]:
    """livecut's variables derived from a theme's generated colour system (``$success``...)."""
    return {
        "clip-1": base["primary-darken-2"],
        "clip-2": base["secondary-darken-1"],
        "clip-3": base["primary-darken-1"],
        "clip-4": base["secondary-darken-2"],
        "clip-text": base["foreground"],
        "clip-selected": base["accent-darken-1"],
        "clip-selected-text": base["background"],
        "clip-edge": base["warning"],
        "clip-offline": base["error-darken-2"],
        "playhead": base["error"],
        "playhead-text": base["foreground"],
        "ruler": base["foreground-muted"],
        "seg-pending": base["panel-lighten-1"],
        "seg-queued": base["primary-darken-1"],
        "seg-encoding": base["warning-darken-2"],
        "seg-progress": base["warning"],
        "seg-ready": base["success-darken-1"],
        "seg-failed": base["error"],
        "seg-offline": base["error-darken-3"],
        "seg-text": base["foreground"],
    }
