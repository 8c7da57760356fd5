"""The export dialog: output file, height, CRF, loudness and smart; Enter queues the export and closes it.

Why a form and nothing more: an export takes as long as it takes (12.7 s for a short film on two
cores), and the editor must stay usable meanwhile. So the dialog only gathers and checks the
choices (a bad number, a missing folder, a file that exists: asked before replacing it, a file
another queued export writes) and dismisses at once with an ``ExportRequest``; the editor hands
it to its background queue (``core.export.queue``) with the project as it is at that moment, and
its status line shows the progress and the outcome.

The smart choice (``ExportOptions.smart``, ``core.export.smart``) is a checkbox that only space
toggles: Enter on it queues the export like Enter anywhere else in the form, so a user who tabs
through the fields never flips it by accident.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from core.export.limits import CRF_RANGE, DEFAULT_CRF, HEIGHT_RANGE, LOUDNESS_RANGE
from core.export.render import ExportOptions, export_size
from core.model.project import Project
from tui.editor.document import file_stem
from tui.screens.choice import Choice, ChoiceScreen
from tui.widgets.ordered_input import OrderedInput
from tui.widgets.path_input import PathInput, PathSuggester

EXPORT_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov"})


@dataclass(frozen=True)
class ExportRequest:
    """What the dialog was answered with: the file to write and how."""

    output: Path
    options: ExportOptions


def default_output(project: Project, folder: Path) -> Path:
    """``<folder>/<project name>.mp4``."""
    return folder / f"{file_stem(project.name, 'film')}.mp4"


class _OutputInput(PathInput):
    """The output path: tab takes a completion when there is one, else moves to the next field."""

    def action_complete(self) -> None:
        if self.cursor_at_end and len(self._suggestion) > len(self.value):
            super().action_complete()
        else:
            self.screen.focus_next()


class _SmartCheckbox(Checkbox, inherit_bindings=False):
    """Space toggles; Enter is left to the dialog (it queues the export)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "Toggle", show=False)]


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Choose how to export ``project``; dismisses with the request, or None when closed.

    | Key    | Does                                                   |
    |--------|--------------------------------------------------------|
    | enter  | queue the export and close (asks before replacing a file) |
    | escape | close without exporting                                |
    | tab    | complete the path, or go to the next field             |
    | space  | on the smart choice: tick or untick it                 |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("enter", "start", "Export", show=False),
    ]

    def __init__(self, project: Project, folder: Path, busy: frozenset[Path] = frozenset()) -> None:
        super().__init__()
        self.project = project
        self.folder = folder
        """Where a relative output path is written (the project's folder)."""
        self.busy = busy
        """Files that running or queued exports will write."""

    def compose(self) -> ComposeResult:
        p = self.project
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "export film"
            with Horizontal(classes="field"):
                yield Static("Output", classes="caption")
                yield _OutputInput(
                    str(default_output(p, self.folder)),
                    id="output",
                    suggester=PathSuggester(lambda: self.folder, EXPORT_EXTENSIONS),
                )
            with Horizontal(classes="field"):
                yield Static("Height", classes="caption")
                yield OrderedInput(placeholder=str(p.height), type="integer", id="height", max_length=5)
                yield Static("CRF", classes="caption short")
                yield OrderedInput(str(DEFAULT_CRF), type="integer", id="crf", max_length=2)
                yield Static("", id="size")
            with Horizontal(classes="field"):
                yield Static("Loudness", classes="caption")
                yield OrderedInput(placeholder="off", type="number", id="loudness", max_length=6)
                yield Static("LUFS · -14 streaming, -23 broadcast", id="loudness-hint")
            with Horizontal(classes="field"):
                yield Static("", classes="caption")
                yield _SmartCheckbox("Smart (copy unchanged GOPs)", id="smart")
            yield Static("", id="export-status")
            with Horizontal(id="buttons"):
                yield Button("Export (enter)", id="start", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#output", Input).focus()
        self._show_size()
        self._say("blank height: the project's size · lower CRF: better and bigger · runs in the background")

    # -- form ------------------------------------------------------------------------------------
    def _say(self, text: str, kind: str = "") -> None:
        status = self.query_one("#export-status", Static)
        status.update(text)
        status.set_classes(kind)

    @on(Input.Changed, "#height")
    def _show_size(self) -> None:
        try:
            height = self._height()
            w, h = export_size(self.project, height)
        except ValueError:
            self.query_one("#size", Static).update("")
            return
        seconds = self.project.timeline.duration / self.project.fps
        self.query_one("#size", Static).update(f"{w}×{h} · {float(seconds):.1f} s")

    def _height(self) -> int | None:
        text = self.query_one("#height", Input).value.strip()
        if not text:
            return None
        height = int(text)
        if height not in HEIGHT_RANGE:
            raise ValueError(f"the height must be between {HEIGHT_RANGE.start} and {HEIGHT_RANGE.stop - 1}")
        return height

    def _crf(self) -> int:
        text = self.query_one("#crf", Input).value.strip() or str(DEFAULT_CRF)
        crf = int(text)
        if crf not in CRF_RANGE:
            raise ValueError(f"the CRF must be between {CRF_RANGE.start} and {CRF_RANGE.stop - 1}")
        return crf

    def _loudness(self) -> float | None:
        text = self.query_one("#loudness", Input).value.strip()
        if not text:
            return None
        low, high = LOUDNESS_RANGE
        target = float(text)
        if not low <= target <= high:
            raise ValueError(f"the loudness must be between {low:g} and {high:g} LUFS")
        return target

    def _target(self) -> Path:
        text = self.query_one("#output", Input).value.strip()
        if not text:
            raise ValueError("give the file to write")
        path = Path(os.path.expanduser(text))
        path = path if path.is_absolute() else self.folder / path
        if path.is_dir():  # a folder (say, completed with tab): the default name inside it
            path = default_output(self.project, path)
        path = path if path.suffix else path.with_name(path.name + ".mp4")
        if not path.parent.is_dir():
            raise ValueError(f"{path.parent}: the output folder does not exist")
        if path.resolve() in {p.resolve() for p in self.busy}:
            raise ValueError(f"{path} is being exported already; wait for it, or cancel it first")
        return path

    # -- queueing --------------------------------------------------------------------------------
    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start(self, event: Message) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        """Enter: check the form and queue the export (asks before replacing a file)."""
        try:
            target, height, crf, loudness = self._target(), self._height(), self._crf(), self._loudness()
        except ValueError as exc:
            self._say(f"{exc}.", "error")
            return
        smart = self.query_one("#smart", Checkbox).value
        options = ExportOptions(height=height, crf=crf, loudness=loudness, smart=smart)
        if not target.is_file():
            self.dismiss(ExportRequest(target, options))
            return
        question = f"{target} exists. Replace it?"
        choices = [Choice("replace", "Replace", "ctrl+r", destructive=True), Choice("cancel", "Cancel", "escape")]

        def answered(answer: str | None) -> None:
            if answer == "replace":
                self.dismiss(ExportRequest(target, replace(options, force=True)))
            else:
                self._say("not exported: the file exists")

        self.app.push_screen(ChoiceScreen(question, choices, title="export"), answered)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    @on(PathInput.Cancelled)
    def _input_cancelled(self, event: PathInput.Cancelled) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        """Escape: close without exporting."""
        self.dismiss(None)
