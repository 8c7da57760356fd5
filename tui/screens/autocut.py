"""The automatic-cut dialogs (#29): the analysis's settings, then what it would cut.

Why two small modals that only answer, like the project settings dialog: the analysis runs in the
background between them (the editor's keys work meanwhile, the status line shows its progress), so
neither dialog can stay open while it runs. ``AutocutScreen`` asks the settings with the command
line's defaults and dismisses with a ``Request`` or None; ``AutocutConfirm`` says what would go and
dismisses with True (enter: apply, one undoable edit) or False (escape: drop). Applying is the
editor's job (``tui.editor.actions.autocut``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.editor import autocut
from tui.widgets.ordered_input import OrderedInput

CSS = """
{name} {{
    align: center middle;
    background: $background 60%;
}}
{name} #dialog {{
    width: 64;
    max-width: 95%;
    height: auto;
    border: round $accent;
    border-title-color: $accent;
    background: $surface;
    padding: 1 2;
}}
{name} .field {{
    height: 1;
    margin-top: 1;
}}
{name} .caption {{
    width: 18;
    color: $foreground-muted;
}}
{name} Input, {name} Input:focus, {name} Input.-invalid, {name} Input.-invalid:focus {{
    width: 14;
    height: 1;
    border: none;
    padding: 0 1;
    background: $panel;
}}
{name} Input:focus {{
    background: $panel-lighten-2;
}}
{name} .error {{
    height: auto;
    margin-left: 18;
    color: $error;
    text-style: bold;
}}
{name} #note {{
    height: auto;
    margin-top: 1;
}}
{name} #buttons {{
    height: auto;
    margin-top: 1;
    align-horizontal: right;
}}
{name} #buttons Button {{
    margin-left: 1;
    min-width: 10;
}}
"""


class AutocutScreen(ModalScreen[autocut.Request | None]):
    """The settings of one kind of analysis; dismisses with the request or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = CSS.format(name="AutocutScreen")

    def __init__(self, kind: autocut.Kind, scope: str) -> None:
        super().__init__()
        self.kind: autocut.Kind = kind
        self.scope = scope
        """What the analysis will cover (``the timeline``, ``2 selected clips``)."""

    def compose(self) -> ComposeResult:
        texts = autocut.field_texts(self.kind)
        with Vertical(id="dialog") as dialog:
            dialog.border_title = autocut.TITLES[self.kind].rstrip("…").lower()
            for name, caption, _, _, _ in autocut.FIELDS[self.kind]:
                with Horizontal(classes="field"):
                    yield Static(caption, classes="caption")
                    yield OrderedInput(texts[name], id=name, select_on_focus=False)
                yield Static("", id=f"{name}-error", classes="error")
            yield Static(f"on {self.scope}; runs in the background, then shows what would go", id="note")
            with Horizontal(id="buttons"):
                yield Button("Analyse (enter)", id="apply", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query(Input).first().focus()
        self._check()

    @on(Input.Changed)
    def _check(self) -> autocut.Request | None:
        texts = {name: self.query_one(f"#{name}", Input).value for name, *_ in autocut.FIELDS[self.kind]}
        request, errors = autocut.check(self.kind, texts)
        for name, *_ in autocut.FIELDS[self.kind]:
            error = errors.get(name, "")
            self.query_one(f"#{name}-error", Static).update(error)
            self.query_one(f"#{name}-error").display = bool(error)
            self.query_one(f"#{name}", Input).set_class(bool(error), "-invalid")
        self.query_one("#apply", Button).disabled = request is None
        return request

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def _apply(self, event: Message) -> None:
        event.stop()
        request = self._check()
        if request is None:
            self.app.bell()
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AutocutConfirm(ModalScreen[bool]):
    """What an analysis would cut; enter applies it (True), escape drops it (False)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "Drop", show=False),
        Binding("enter", "answer(True)", "Apply", show=False),
    ]
    DEFAULT_CSS = CSS.format(name="AutocutConfirm")

    def __init__(self, proposal: autocut.Proposal) -> None:
        super().__init__()
        self.proposal = proposal

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = autocut.TITLES[self.proposal.request.kind].rstrip("…").lower()
            yield Static(self.proposal.summary(), id="note")
            with Horizontal(id="buttons"):
                yield Button("Apply (enter)", id="apply", variant="primary", disabled=self.proposal.empty)
                yield Button("Drop (esc)", id="cancel")

    def on_mount(self) -> None:
        self.set_focus(None)

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(False)

    def action_answer(self, apply: bool) -> None:
        self.dismiss(apply and not self.proposal.empty)
