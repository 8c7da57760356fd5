"""A modal question with a few answers, each on a button and a key ("Save changes? s/d/esc").

Why one generic modal: quitting or opening with unsaved changes, recovering an autosave and
replacing an existing file all ask the same shape of question; one screen keeps their look and
keys consistent. It dismisses with the chosen answer's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Static


@dataclass(frozen=True)
class Choice:
    """One answer: ``id`` is returned, ``key`` picks it from the keyboard."""

    id: str
    label: str
    key: str


class ChoiceScreen(ModalScreen[str]):
    """Ask ``question``; escape gives the last choice (which should be the safe one)."""

    def __init__(self, question: str, choices: list[Choice], *, title: str = "") -> None:
        super().__init__()
        self.question = question
        self.choices = choices
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.question, id="question")
            with Horizontal(id="buttons"):
                for i, choice in enumerate(self.choices):
                    key = "esc" if choice.key == "escape" else choice.key
                    yield Button(
                        f"{choice.label} ({key})", id=f"choice-{choice.id}", variant="primary" if i == 0 else "default"
                    )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id:
            self.dismiss(event.button.id.removeprefix("choice-"))

    def on_key(self, event: Key) -> None:
        for choice in self.choices:
            if event.key == choice.key:
                event.stop()
                self.dismiss(choice.id)
                return
        if event.key == "escape":
            event.stop()
            self.dismiss(self.choices[-1].id)
