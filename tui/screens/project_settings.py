"""The project settings dialog: name, frame rate, export size and preview height.

Why a modal that only answers: it shows the settings, checks every field as it is typed (with the
model's limits, ``tui.editor.project_form``) and says what is wrong beside the field; it dismisses with the
new ``ProjectSettings`` or None. Applying them is the editor's job (one undoable edit through the
document, then the preview engine starts again on the new rate and sizes), so the dialog never
touches the document, and a cancelled dialog leaves nothing behind.

Keys: enter applies (when every field is right), escape cancels, tab / shift+tab move between fields.
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

from core.cells.encode import preview_canvas
from core.model.timeline import Timeline
from tui.editor import project_form
from tui.editor.document import ProjectSettings
from tui.widgets.ordered_input import OrderedInput

CAPTIONS = {"name": "Name", "fps": "Frame rate", "size": "Export size", "preview_height": "Preview height"}


class ProjectSettingsScreen(ModalScreen[ProjectSettings | None]):
    """Edit ``settings`` of a project whose cut is ``timeline``; dismisses with the new settings or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]
    DEFAULT_CSS = """
    ProjectSettingsScreen {
        align: center middle;
        background: $background 60%;
    }
    ProjectSettingsScreen #dialog {
        width: 76;
        max-width: 95%;
        height: auto;
        border: round $accent;
        border-title-color: $accent;
        background: $surface;
        padding: 1 2;
    }
    ProjectSettingsScreen .field {
        height: 1;
        margin-top: 1;
    }
    ProjectSettingsScreen .caption {
        width: 16;
        color: $foreground-muted;
    }
    ProjectSettingsScreen Input, ProjectSettingsScreen Input:focus,
    ProjectSettingsScreen Input.-invalid, ProjectSettingsScreen Input.-invalid:focus {
        width: 24;
        height: 1;
        border: none;
        padding: 0 1;
        background: $panel;
    }
    ProjectSettingsScreen Input:focus {
        background: $panel-lighten-2;
    }
    ProjectSettingsScreen Input.-invalid, ProjectSettingsScreen Input.-invalid:focus {
        color: $error;
        text-style: bold;
    }
    ProjectSettingsScreen .facts {
        width: 1fr;
        margin-left: 2;
        color: $foreground-muted;
    }
    ProjectSettingsScreen .error {
        height: auto;
        margin-left: 16;
        color: $error;
        text-style: bold;
    }
    ProjectSettingsScreen #note {
        height: auto;
        margin-top: 1;
        color: $warning;
    }
    ProjectSettingsScreen #buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ProjectSettingsScreen #buttons Button {
        margin-left: 1;
        min-width: 10;
    }
    """

    def __init__(self, settings: ProjectSettings, timeline: Timeline) -> None:
        super().__init__()
        self.settings = settings
        self.timeline = timeline
        """What a new frame rate converts: the note says how, and which cut points move."""

    def compose(self) -> ComposeResult:
        texts = project_form.field_texts(self.settings)
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "project settings"
            for name in project_form.FIELDS:
                with Horizontal(classes="field"):
                    yield Static(CAPTIONS[name], classes="caption")
                    yield OrderedInput(texts[name], id=name, select_on_focus=False)
                    yield Static("", id=f"{name}-facts", classes="facts")
                yield Static("", id=f"{name}-error", classes="error")
            yield Static("", id="note")
            with Horizontal(id="buttons"):
                yield Button("Apply (enter)", id="apply", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._check()

    def texts(self) -> dict[str, str]:
        return {name: self.query_one(f"#{name}", Input).value for name in project_form.FIELDS}

    @on(Input.Changed)
    def _check(self) -> project_form.Checked:
        """Check every field as it is typed: each wrong one says why under it."""
        texts = self.texts()
        checked = project_form.check(texts)
        for name in project_form.FIELDS:
            error = checked.errors.get(name, "")
            self.query_one(f"#{name}-error", Static).update(error)
            self.query_one(f"#{name}-error").display = bool(error)
            self.query_one(f"#{name}", Input).set_class(bool(error), "-invalid")
        self._facts(texts)
        new = checked.settings
        note = project_form.rate_change_note(self.timeline, new.fps) if new else ""
        self.query_one("#note", Static).update(note)
        self.query_one("#note").display = bool(note)
        self.query_one("#apply", Button).disabled = new is None
        return checked

    def _facts(self, texts: dict[str, str]) -> None:
        """Beside each field what its value means (a rate in fps, the preview's size)."""
        facts = {name: "" for name in project_form.FIELDS}
        try:
            facts["fps"] = project_form.rate_hint(project_form.parse_rate(texts["fps"]))
        except ValueError:
            pass
        try:
            width, height = project_form.parse_size(texts["size"])
            preview = project_form.parse_preview_height(texts["preview_height"])
            w, h = preview_canvas(width, height, preview)
            facts["preview_height"] = f"preview {w}×{h}"
        except ValueError:
            pass
        facts["name"] = "names the export file"
        for name, text in facts.items():
            self.query_one(f"#{name}-facts", Static).update(text)

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def _apply(self, event: Message) -> None:
        event.stop()
        checked = self._check()
        if checked.settings is None:
            first = next(name for name in project_form.FIELDS if name in checked.errors)
            self.query_one(f"#{first}", Input).focus()
            self.app.bell()
            return
        self.dismiss(checked.settings)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
