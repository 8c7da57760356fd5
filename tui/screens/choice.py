"""A modal question with a few answers, each on a button and a key ("Save changes? s/d/esc").

Why one generic modal: quitting or opening with unsaved changes, recovering an autosave and
replacing an existing file all ask the same shape of question; one screen keeps their look and
keys consistent. It dismisses with the chosen answer's id.

Why it distrusts early keys (#26): keys typed ahead (a path typed right after the command that
asks first, a paste, a burst over ssh) used to answer the question: ``edit1.otio`` hit ``d``,
Discard, and the work was gone. So a key whose event was made before the dialog was drawn is
ignored (Textual stamps every event with the time it was made), and an answer that throws work
away (``Choice.destructive``) never has a key that is also text: it takes a ctrl chord or the
buttons (tab / arrows, enter). ``Shown`` tells the app the dialog is on screen, so keys it held
for a path prompt that comes after the question stay parked instead of answering it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import _time, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static


@dataclass(frozen=True)
class Choice:
    """One answer: ``id`` is returned, ``key`` picks it from the keyboard."""

    id: str
    label: str
    key: str
    destructive: bool = False
    """Throws work away (discard, replace): its key must not be a character that text is made of."""

    def __post_init__(self) -> None:
        if self.destructive and len(self.key) == 1:
            raise ValueError(f"{self.label}: a destructive answer needs a key that is not text, got {self.key!r}")


class ChoiceScreen(ModalScreen[str]):
    """Ask ``question``; escape gives the last choice (which should be the safe one)."""

    class Shown(Message):
        """The dialog is drawn: from now on, keys are the user's answer to it."""

    def __init__(self, question: str, choices: list[Choice], *, title: str = "") -> None:
        super().__init__()
        self.question = question
        self.choices = choices
        self.title_text = title
        self.shown_at: float | None = None
        """Textual's clock when the dialog was first drawn; keys made before it are ignored."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._shown)

    def _shown(self) -> None:
        self.shown_at = _time.get_time()
        self.post_message(self.Shown())

    def typed_ahead(self, event: Key) -> bool:
        """True for a key made before the dialog was drawn: the app drops it (``LivecutApp.on_event``,
        where keys enter, before priority bindings and the focused button see them)."""
        return self.shown_at is None or event.time < self.shown_at

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.question, id="question")
            with Horizontal(id="buttons"):
                for i, choice in enumerate(self.choices):
                    key = {"escape": "esc"}.get(choice.key, choice.key)
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
