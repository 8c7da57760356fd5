"""A modal that asks for a file path (open, save as), with completion.

Why modal: opening or saving-as is a decision that stops the editing flow anyway, and a modal
keeps editing keys from firing while the user types a path. Enter answers the path, escape
answers None.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

from tui.widgets.path_input import PathInput


class PathPrompt(ModalScreen[str | None]):
    """Ask for a path; dismisses with the text entered (stripped) or None."""

    def __init__(self, title: str, initial: str = "", suggester: Suggester | None = None, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.initial = initial
        self.suggester = suggester
        self.hint = hint or "enter to accept · tab completes · esc cancels"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield PathInput(self.initial, suggester=self.suggester, id="path")
            yield Static(self.hint, id="hint")

    class Ready(Message):
        """The input has focus: keys typed while the prompt opened can be replayed into it."""

    def on_mount(self) -> None:
        self.query_one(PathInput).focus()
        self.call_after_refresh(self.post_message, self.Ready())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def on_path_input_cancelled(self, event: PathInput.Cancelled) -> None:
        event.stop()
        self.dismiss(None)
