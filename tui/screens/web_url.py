"""The browser preview's address, in full: the URL with its token and the ``ssh -L`` line.

Why a dialog and not a toast (#26): a toast wrapped the URL over several lines (copying it by
hand picked up the breaks), covered the timeline, went away after a while, and said
``ssh -L PORT:…`` when the port may be the next free one after 8765. Here each line is an
``Input`` the width of the dialog, so the whole text shows on one line and can be copied: it is
selected when focused (tab moves between them) and ctrl+c copies it; the URL is also on the
clipboard already. The fields give back their text if typed into: they are for reading.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class WebUrlScreen(ModalScreen[None]):
    """Show ``url`` and ``tunnel`` (the ``ssh -L`` line) until esc, enter or Close."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, url: str, tunnel: str) -> None:
        super().__init__()
        self.url = url
        self.tunnel = tunnel

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Browser preview"
            yield Static("Open this address in a browser (copied to the clipboard):", classes="label")
            yield Input(self.url, id="url", select_on_focus=True)
            yield Static("Over SSH, first run this on your own machine:", classes="label")
            yield Input(self.tunnel, id="tunnel", select_on_focus=True)
            yield Static("tab: next field · ctrl+c: copy the selected text · esc: close", classes="hint")
            yield Button("Close (esc)", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#url", Input).focus()

    @on(Input.Changed)
    def _keep_text(self, event: Input.Changed) -> None:
        """The fields are for reading and copying: typed text is put back."""
        wanted = self.url if event.input.id == "url" else self.tunnel
        if event.value != wanted:
            event.input.value = wanted

    @on(Input.Submitted)
    @on(Button.Pressed)
    def action_close(self) -> None:
        self.dismiss(None)
