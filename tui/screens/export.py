"""The export dialog: output file, height and CRF, then a progress bar until the film is written.

Why a modal that owns its worker: an export is one decision with one outcome, and the dialog is
where its progress, its cancel and its error belong; the editor underneath (and its preview
engine) keeps running. The export itself is ``core.export.render.export`` on a thread worker. Progress
arrives on that thread and reaches the widgets only as ``ExportScreen.Progressed`` messages,
which replace each other in the queue so a busy UI shows the latest and never drowns. The outcome
(result, error or cancellation) is handled in one ``Worker.StateChanged`` handler.

Cancel (escape or the button) sets the export's own cancel event rather than cancelling the
worker: the engine then removes its temp file and raises ``Cancelled``, and only then does
the dialog say "cancelled", so nothing is left at the output path when it does. Closing the
dialog or quitting the app sets the same event.

The project is taken as a value when the dialog opens (the document's present timeline, saved
or not), so later edits do not change an export under way.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, Static
from textual.worker import Worker, WorkerState

from core.errors import Cancelled, LivecutError
from core.export.limits import CRF_RANGE, DEFAULT_CRF, HEIGHT_RANGE, LOUDNESS_RANGE
from core.export.render import (
    ExportOptions,
    ExportProgress,
    ExportResult,
    OutputExistsError,
    export,
    export_size,
)
from core.model.project import Project
from tui.editor.document import file_stem
from tui.screens.choice import Choice, ChoiceScreen
from tui.widgets.ordered_input import OrderedInput
from tui.widgets.path_input import PathInput, PathSuggester

log = logging.getLogger(__name__)

EXPORT_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov"})


def default_output(project: Project, folder: Path) -> Path:
    """``<folder>/<project name>.mp4``."""
    return folder / f"{file_stem(project.name, 'film')}.mp4"


def progress_text(p: ExportProgress) -> str:
    """The line under the bar: ``encoding 2 segments · 1 reused · 45/75 frames`` / ``joining …``."""
    reused = f"{p.segments_reused} reused"
    if p.stage == "encode":
        if p.total == 0:
            return f"encoding: nothing to do, all {p.segments_reused} segments are cached"
        plural = "s" if p.segments_encoding != 1 else ""
        return f"encoding {p.segments_encoding} segment{plural} · {reused} · {p.done}/{p.total} frames"
    return f"joining {p.done}/{p.total} frames · {p.segments_encoding} encoded · {reused}"


class _OutputInput(PathInput):
    """The output path: tab takes a completion when there is one, else moves to the next field."""

    def action_complete(self) -> None:
        if self.cursor_at_end and len(self._suggestion) > len(self.value):
            super().action_complete()
        else:
            self.screen.focus_next()


class ExportScreen(ModalScreen[ExportResult | None]):
    """Export ``project``; dismisses with the result, or None when closed without one.

    | Key    | Does                                              |
    |--------|---------------------------------------------------|
    | enter  | start the export (asks before replacing a file)   |
    | escape | cancel the running export; else close the dialog  |
    | tab    | complete the path, or go to the next field        |
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    class Progressed(Message):
        """Where the running export is (posted from the export thread)."""

        def __init__(self, progress: ExportProgress) -> None:
            super().__init__()
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ExportScreen.Progressed)

    def __init__(self, project: Project, folder: Path) -> None:
        super().__init__()
        self.project = project
        self.folder = folder
        """Where a relative output path is written (the project's folder)."""
        self.running = False
        self._cancel = threading.Event()
        self._output: Path | None = None

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
            yield ProgressBar(show_eta=False, id="export-bar", classes="hidden")
            yield Static("", id="export-status")
            with Horizontal(id="buttons"):
                yield Button("Export (enter)", id="start", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#output", Input).focus()
        self._show_size()
        self._say("blank height: the project's size · lower CRF: better and bigger")

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
            return default_output(self.project, path)
        return path if path.suffix else path.with_name(path.name + ".mp4")

    # -- starting --------------------------------------------------------------------------------
    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start(self, event: Message) -> None:
        event.stop()
        if self.running:
            return
        try:
            target, height, crf, loudness = self._target(), self._height(), self._crf(), self._loudness()
        except ValueError as exc:
            self._say(f"{exc}.", "error")
            return
        options = ExportOptions(height=height, crf=crf, loudness=loudness)
        if target.is_file():
            question = f"{target} exists. Replace it?"
            choices = [Choice("replace", "Replace", "ctrl+r", destructive=True), Choice("cancel", "Cancel", "escape")]

            def answered(answer: str | None) -> None:
                if answer == "replace":
                    self._run(target, replace(options, force=True))
                else:
                    self._say("not exported: the file exists")

            self.app.push_screen(ChoiceScreen(question, choices, title="export"), answered)
            return
        self._run(target, options)

    def _run(self, target: Path, options: ExportOptions) -> None:
        self.running = True
        self._output = target
        self._cancel = threading.Event()
        for widget in self.query(Input):
            widget.disabled = True
        self.query_one("#start", Button).disabled = True
        self.query_one("#export-bar", ProgressBar).update(total=1, progress=0)  # 0 %, not a full-looking "--%"
        self.query_one("#export-bar").remove_class("hidden")
        self._say("preparing…")
        self._export_worker(target, options, self._cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _export_worker(self, target: Path, options: ExportOptions, cancel: threading.Event) -> ExportResult:
        def progressed(progress: ExportProgress) -> None:
            self.post_message(self.Progressed(progress))

        return export(self.project, target, options, cancel=cancel, on_progress=progressed)

    # -- while it runs ---------------------------------------------------------------------------
    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        if not self.running or self._cancel.is_set():
            return
        p = message.progress
        self.query_one("#export-bar", ProgressBar).update(total=max(p.total, 1), progress=p.done if p.total else 1)
        self._say(progress_text(p))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    @on(PathInput.Cancelled)
    def _input_cancelled(self, event: PathInput.Cancelled) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        """Escape: stop the running export (the dialog stays to say so), or close the dialog."""
        if not self.running:
            self.dismiss(None)
        elif not self._cancel.is_set():
            self._cancel.set()
            self._say("cancelling…")

    def on_unmount(self) -> None:
        self._cancel.set()  # closing the dialog or quitting the app stops the export too

    # -- the outcome -----------------------------------------------------------------------------
    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "export" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.running = False
        for widget in self.query(Input):
            widget.disabled = False
        self.query_one("#start", Button).disabled = False
        if event.state == WorkerState.SUCCESS:
            result = worker.result
            assert isinstance(result, ExportResult)
            self.dismiss(result)  # the editor says it on its status line
            return
        self.query_one("#export-bar").add_class("hidden")
        self.query_one("#start", Button).focus()
        self._say(*self._failure(worker.error))

    def _failure(self, error: BaseException | None) -> tuple[str, str]:
        """The dialog's line (and its class) for what stopped the export."""
        if isinstance(error, Cancelled):
            return f"cancelled: {self._output} was not written", "warning"
        if isinstance(error, OutputExistsError) and self._output is not None and not self._output.is_dir():
            return f"{self._output} appeared during the export; export again to replace it", "error"
        if isinstance(error, LivecutError):
            return str(error), "error"
        log.error("export failed", exc_info=error)
        return f"the export failed: {error}", "error"
