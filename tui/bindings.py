"""The key table (``tui.settings.keys``) as Textual ``BINDINGS``: the app's side of the settings."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tui.settings.keys import KEYS, Scope


def bindings(scope: Scope) -> list[BindingType]:
    """The ``BINDINGS`` list of one scope; app bindings have priority so an input cannot eat them."""
    return [
        Binding(
            spec.keys,
            spec.id,
            spec.description,
            show=False,
            id=spec.id,
            priority=spec.scope == "app" and "ctrl" in spec.keys,
        )
        for spec in KEYS
        if spec.scope == scope
    ]
