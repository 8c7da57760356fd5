"""An ``Input`` for file paths where tab takes the completion, as in a shell.

Why a subclass: Textual's ``Input`` accepts a suggestion with → or end, but anyone typing a path
reaches for tab; and on the editor screen tab means "select next clip", so the input must claim
tab while it has focus. Escape asks the owner to close it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class PathInput(Input):
    """A path input; tab completes, escape posts ``PathInput.Cancelled``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete path", show=False),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    class Cancelled(Message):
        """The user pressed escape."""

        def __init__(self, input: PathInput) -> None:
            super().__init__()
            self.input = input

    def action_complete(self) -> None:
        self.cursor_position = len(self.value)
        self.action_cursor_right()

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled(self))
