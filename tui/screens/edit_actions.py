"""The editor's actions for markers, go to timecode, the trim modes (roll, slip, slide), the
multi-selection and the clipboard.

Why a mixin apart from ``tui.screens.editor``: the editor screen is the controller every feature
touches; keeping these actions in their own module keeps that file small and lets them be read
(and reviewed) as one feature. Like the rest of the controller they only call pure rules from
``tui.editing`` and record edits through the screen's ``_edit``; they own no state except the
trim mode, which is how the nudge keys are read (see ``tui.editing``), and the clipboard: clips
(source ranges, gaps included) that stay valid across edits because they name media, not timeline
positions. The clipboard lives as long as the editor and is not saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from textual.app import App

from core.errors import EditError
from core.model.timeline import Clip, Timeline
from core.timebase import frames_to_timecode
from tui import editing
from tui.document import Document
from tui.editing import Cursor, Outcome, TrimMode
from tui.screens.path_prompt import PathPrompt

log = logging.getLogger(__name__)


class _Editor(Protocol):
    """What these actions use of the editor screen."""

    document: Document
    cursor: Cursor
    message: str
    trim_mode: TrimMode
    clipboard: tuple[Clip, ...]

    @property
    def app(self) -> App[Any]: ...

    def _edit(self, rule: Callable[[Timeline, Cursor], Outcome]) -> None: ...

    def _navigate(self, rule: Callable[[Timeline, Cursor], Cursor]) -> None: ...

    def _move(self, cursor: Cursor, *, seek: bool = True) -> None: ...

    def _refresh_views(self) -> None: ...

    def _second(self) -> int: ...


class EditActions:
    """Markers, go to, trim modes; mixed into ``EditorScreen``."""

    trim_mode: TrimMode = "trim"
    """How the nudge keys trim (``t`` cycles it); shown in the status line."""
    clipboard: tuple[Clip, ...] = ()

    # -- navigation --------------------------------------------------------------------------------
    def _jump(self: _Editor, rule: Callable[[Timeline, Cursor], Cursor]) -> None:
        try:
            rule(self.document.timeline, self.cursor)
        except EditError as exc:
            self.app.notify(str(exc), severity="information")
            return
        self._navigate(rule)

    def action_marker_next(self: _Editor) -> None:
        EditActions._jump(self, editing.next_marker)

    def action_marker_prev(self: _Editor) -> None:
        EditActions._jump(self, editing.prev_marker)

    def action_goto(self: _Editor) -> None:
        fps = self.document.timeline.fps

        def answered(text: str | None) -> None:
            if text:
                EditActions._jump(self, lambda tl, cur: editing.goto(tl, cur, text))

        here = frames_to_timecode(self.cursor.playhead, fps)
        self.app.push_screen(
            PathPrompt(
                f"go to (now {here})", "", None, hint="01:02:03:04 · 2:10 · 90f · 2.5s · +2s · -10f   esc cancels"
            ),
            answered,
        )

    # -- markers -----------------------------------------------------------------------------------
    def action_marker_toggle(self: _Editor) -> None:
        self._edit(editing.toggle_marker)

    def action_marker_name(self: _Editor) -> None:
        playhead = self.cursor.playhead
        marker = self.document.timeline.marker_at(playhead)

        def answered(name: str | None) -> None:
            if name is not None and self.cursor.playhead == playhead:
                self._edit(lambda tl, cur: editing.name_marker(tl, cur, name))

        fps = self.document.timeline.fps
        self.app.push_screen(
            PathPrompt(
                f"marker at {frames_to_timecode(playhead, fps)}",
                marker.name if marker else "",
                None,
                hint="enter names it · esc cancels",
            ),
            answered,
        )

    # -- trims -------------------------------------------------------------------------------------
    def action_trim_mode(self: _Editor) -> None:
        self.trim_mode = editing.next_trim_mode(self.trim_mode)
        self.message = f"trim mode: {self.trim_mode} ({TRIM_HINTS[self.trim_mode]})"
        self._refresh_views()

    def trim(self: _Editor, frames: int) -> None:
        """A nudge key: ``frames`` (±1 or ±1 second) in the current trim mode."""
        mode = self.trim_mode
        self._edit(lambda tl, cur: editing.trim_step(tl, cur, mode, frames))

    def action_nudge_back(self: _Editor) -> None:
        EditActions.trim(self, -1)

    def action_nudge_forward(self: _Editor) -> None:
        EditActions.trim(self, 1)

    def action_nudge_back_second(self: _Editor) -> None:
        EditActions.trim(self, -self._second())

    def action_nudge_forward_second(self: _Editor) -> None:
        EditActions.trim(self, self._second())

    # -- multi-selection and clipboard -------------------------------------------------------------
    def _mark(self: _Editor, rule: Callable[[Timeline, Cursor], Cursor]) -> None:
        try:
            cursor = rule(self.document.timeline, self.cursor)
        except EditError as exc:
            self.app.notify(str(exc), severity="warning")
            return
        self.message = ""
        self._move(cursor)

    def action_mark_clip(self: _Editor) -> None:
        EditActions._mark(self, editing.toggle_mark)

    def action_mark_all(self: _Editor) -> None:
        EditActions._mark(self, editing.mark_all)

    def action_mark_none(self: _Editor) -> None:
        EditActions._mark(self, lambda _tl, cur: editing.clear_marks(cur))

    def action_lift(self: _Editor) -> None:
        self._edit(editing.lift)

    def _copy(self: _Editor) -> bool:
        try:
            self.clipboard = editing.copy(self.document.timeline, self.cursor)
        except EditError as exc:
            self.app.notify(str(exc), severity="warning")
            return False
        return True

    def action_copy(self: _Editor) -> None:
        if EditActions._copy(self):
            n = len(self.clipboard)
            self.message = f"copied {n} clip{'s' if n != 1 else ''}"
            self._refresh_views()

    def action_cut(self: _Editor) -> None:
        if EditActions._copy(self):
            self._edit(editing.extract)

    def action_paste(self: _Editor) -> None:
        clips = self.clipboard
        self._edit(lambda tl, cur: editing.paste(tl, cur, clips, overwrite=False))

    def action_paste_over(self: _Editor) -> None:
        clips = self.clipboard
        self._edit(lambda tl, cur: editing.paste(tl, cur, clips, overwrite=True))


TRIM_HINTS: dict[TrimMode, str] = {
    "trim": "edge, ripple",
    "roll": "edit point",
    "slip": "source in place",
    "slide": "between neighbours",
}
