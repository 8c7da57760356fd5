"""Theme files (``tui.settings.themes``) as Textual themes: the app's side of the settings.

Settings are parsed into plain values so that headless commands can read the config without
importing Textual; only the running app turns them into ``Theme`` objects, here.
"""

from __future__ import annotations

from textual.theme import Theme

from tui.settings.themes import ThemeSpec


def to_textual(spec: ThemeSpec) -> Theme:
    """The ``Theme`` Textual registers for ``spec``."""
    c = spec.colors
    return Theme(
        name=spec.name,
        primary=c["primary"],
        secondary=c.get("secondary"),
        warning=c.get("warning"),
        error=c.get("error"),
        success=c.get("success"),
        accent=c.get("accent"),
        foreground=c.get("foreground"),
        background=c.get("background"),
        surface=c.get("surface"),
        panel=c.get("panel"),
        boost=c.get("boost"),
        dark=spec.dark,
        variables=dict(spec.variables),
    )
