"""An ``Input`` for file paths where tab takes the completion, as in a shell.

Why a subclass: Textual's ``Input`` accepts a suggestion with → or end, but anyone typing a path
reaches for tab; and on the editor screen tab means "select next clip", so the input must claim
tab while it has focus. Escape asks the owner to close it.

Editing keys run in the order they were typed (``tui.widgets.ordered_input``), tab and escape
too: a burst of keys must never apply a completion or close the prompt out of order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.suggester import Suggester

from tui.editor.suggest import MEDIA_EXTENSIONS, suggest_path
from tui.widgets.ordered_input import OrderedInput


class PathInput(OrderedInput):
    """A path input; tab completes, escape posts ``PathInput.Cancelled``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete path", show=False),
        Binding("escape", "cancel", "Cancel", show=False),
    ]
    IMMEDIATE: ClassVar[dict[str, str]] = {**OrderedInput.IMMEDIATE, "tab": "complete", "escape": "cancel"}
    """Keys run in key order with the characters, and their actions."""

    class Cancelled(Message):
        """The user pressed escape."""

        def __init__(self, input: PathInput) -> None:
            super().__init__()
            self.input = input

    def action_complete(self) -> None:
        """Take the completion, but only one made for exactly what is typed now."""
        self.cursor_position = len(self.value)
        if self._suggestion and not self._suggestion.startswith(self.value):
            self._suggestion = ""
        self.action_cursor_right()

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled(self))


class PathSuggester(Suggester):
    """Textual's ``Suggester`` over ``tui.editor.suggest.suggest_path``: the next path component
    under ``base()`` for relative input."""

    def __init__(
        self, base: Callable[[], Path], extensions: Iterable[str] = MEDIA_EXTENSIONS, *, only: bool = False
    ) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._base = base
        self._extensions = frozenset(extensions)
        self._only = only

    async def get_suggestion(self, value: str) -> str | None:
        return suggest_path(value, self._base(), self._extensions, only=self._only)
