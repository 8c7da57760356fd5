"""An ``Input`` that applies editing keys in the order they were typed.

Why: Textual inserts printable characters as soon as a key reaches the input, but runs bindings
(backspace, delete, end, ctrl+u, ...) only after the key has bubbled up to the app and back.
When keys arrive in a burst (fast typing, a paste after some backspaces, tmux or ssh delivering
several at once) the characters overtake the editing keys: ``End, 2×Backspace, 25`` in a field
holding ``30`` left it empty (``25`` typed, then both backspaces). Running every editing key where
the characters are handled keeps them in order. Every text field of the editor is one of these.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """An input whose editing keys run in key order with the characters."""

    IMMEDIATE: ClassVar[dict[str, str]] = {
        "backspace": "delete_left",
        "delete": "delete_right",
        "ctrl+d": "delete_right",
        "left": "cursor_left",
        "right": "cursor_right",
        "home": "home",
        "ctrl+a": "home",
        "end": "end",
        "ctrl+e": "end",
        "ctrl+u": "delete_left_all",
        "ctrl+k": "delete_right_all",
        "ctrl+w": "delete_left_word",
        "ctrl+left": "cursor_left_word",
        "ctrl+right": "cursor_right_word",
        "enter": "submit",
    }
    """Keys run in key order with the characters, and their actions."""

    async def _on_key(self, event: events.Key) -> None:
        action = self.IMMEDIATE.get(event.key)
        if action is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        self._restart_blink()
        await self.run_action(action)
