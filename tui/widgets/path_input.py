"""An ``Input`` for file paths where tab takes the completion, as in a shell.

Why a subclass: Textual's ``Input`` accepts a suggestion with → or end, but anyone typing a path
reaches for tab; and on the editor screen tab means "select next clip", so the input must claim
tab while it has focus. Escape asks the owner to close it.

Why editing keys are handled in ``_on_key``: Textual inserts printable characters as soon as
the key reaches the input, but runs bindings (backspace, end, tab, enter...) only after the key
has bubbled up to the app and back. When keys arrive in a burst (fast typing, a paste after some
backspaces, tmux or ssh delivering several at once) the characters overtook the editing keys:
``End, 9×Backspace, sub/broken.toml`` became ``demo.tomlsub/br``. Handling every editing key at
the same place as the characters keeps them in the order they were typed.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class PathInput(Input):
    """A path input; tab completes, escape posts ``PathInput.Cancelled``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete path", show=False),
        Binding("escape", "cancel", "Cancel", show=False),
    ]
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
        "tab": "complete",
        "escape": "cancel",
        "enter": "submit",
    }
    """Keys run in key order with the characters (see the module docstring), and their actions."""

    class Cancelled(Message):
        """The user pressed escape."""

        def __init__(self, input: PathInput) -> None:
            super().__init__()
            self.input = input

    async def _on_key(self, event: events.Key) -> None:
        action = self.IMMEDIATE.get(event.key)
        if action is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        self._restart_blink()
        await self.run_action(action)

    def action_complete(self) -> None:
        """Take the completion, but only one made for exactly what is typed now."""
        self.cursor_position = len(self.value)
        if self._suggestion and not self._suggestion.startswith(self.value):
            self._suggestion = ""
        self.action_cursor_right()

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled(self))
