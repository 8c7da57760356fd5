"""The editor's actions for markers, go to timecode, the trim modes (roll, slip, slide), the
multi-selection, the clipboard, the source view with three-point insert / overwrite, snapping,
loop playback, the clip / frames zooms and the clips' waveforms.

Why a mixin apart from ``tui.screens.editor``: the editor screen is the controller every feature
touches; keeping these actions in their own module keeps that file small and lets them be read
(and reviewed) as one feature. Like the rest of the controller they only call pure rules from
``tui.editor.editing`` and record edits through the screen's ``_edit``; they own no state except the
trim mode, which is how the nudge keys are read (see ``tui.editor.editing``), and the clipboard: clips
(source ranges, gaps included) that stay valid across edits because they name media, not timeline
positions. The clipboard lives as long as the editor and is not saved.

The source view (``b``) shows one bin item instead of the timeline: the same timeline widget,
preview, transport and navigation keys, over a one-clip timeline of the whole item (``shown``).
``i`` / ``o`` mark its in and out there, as on an NLE's source monitor, while on the timeline they
keep trimming (livecut's first and most used keys; ``check_action`` picks the binding by view).
F9 / ``n`` inserts the marked range at the timeline's playhead, F10 / ``r`` overwrites; both work
from either view with the last source shown, so one bin item can be cut in many times. Marks and
where the source view was are kept per item for the session (not saved in the project).

Snapping (``S`` toggles it, on by default) stops the one-second steps (shift+arrows, ``<`` ``>`` in
every trim mode) at edit points and markers they would pass over; single-frame steps are exact.
Loop playback (``L``) repeats the timeline range marked with ``I`` / ``O`` (or the selected clip):
the player's position reports wrap back to its start, so it works with libmpv and the clock alike.

Waveforms are computed off the UI thread, one media at a time, by ``core.media.waveform`` (cached by
content beside the cells, so a reopen reads them); the timeline draws each as soon as it is there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Protocol

from textual.app import App

from core.cells.store import default_cache_dir
from core.errors import EditError, LivecutError
from core.media.fingerprint import fingerprint
from core.media.waveform import Waveform, load_or_compute
from core.model.timeline import Clip, MediaRef, Timeline
from core.timebase import frames_to_timecode
from tui.editor import editing
from tui.editor.document import Document
from tui.editor.editing import Cursor, LoopRange, Outcome, SourceMarks, TrimMode
from tui.editor.transport import Transport
from tui.editor.viewport import FRAMES_FPC, Scale, clip_fpc
from tui.screens.path_prompt import PathPrompt

log = logging.getLogger(__name__)


class _Editor(Protocol):
    """What these actions use of the editor screen."""

    document: Document
    cursor: Cursor
    message: str
    trim_mode: TrimMode
    clipboard: tuple[Clip, ...]
    transport: Transport
    zoom: Fraction | None
    source_view: Timeline | None
    source_media: str | None
    source_marks: Mapping[str, SourceMarks]
    source_playheads: Mapping[str, int]
    saved_cursor: Cursor | None
    snapping: bool
    loop: LoopRange | None
    range_marks: SourceMarks
    scale: Scale
    bridge: Any
    waveforms: Mapping[str, Waveform]
    waveform_wanted: tuple[MediaRef, ...]
    waveform_thread: threading.Thread | None

    @property
    def shown(self) -> Timeline: ...

    def query_one(self, selector: Any) -> Any: ...

    @property
    def app(self) -> App[Any]: ...

    def _edit(self, rule: Callable[[Timeline, Cursor], Outcome]) -> None: ...

    def _navigate(self, rule: Callable[[Timeline, Cursor], Cursor]) -> None: ...

    def _move(self, cursor: Cursor, *, seek: bool = True) -> None: ...

    def _refresh_views(self) -> None: ...

    def _second(self) -> int: ...

    def _set_transport(self, transport: Transport) -> None: ...

    def timeline_changed(self) -> None: ...


class EditActions:
    """Markers, go to, trim modes; mixed into ``EditorScreen``."""

    trim_mode: TrimMode = "trim"
    """How the nudge keys trim (``t`` cycles it); shown in the status line."""
    clipboard: tuple[Clip, ...] = ()
    source_view: Timeline | None = None
    """The one-clip timeline of the bin item in the source view; None: the timeline is shown."""
    source_media: str | None = None
    """The bin item last shown in the source view: what F9 / F10 cut in."""
    source_marks: Mapping[str, SourceMarks] = MappingProxyType({})
    source_playheads: Mapping[str, int] = MappingProxyType({})
    saved_cursor: Cursor | None = None
    """The timeline's cursor while the source view is shown."""
    zoom: Fraction | None
    """The editor's (declared here because leaving or entering the source view resets it)."""
    snapping: bool = True
    loop: LoopRange | None = None
    """The range loop playback repeats; None: loop off."""
    range_marks: SourceMarks = SourceMarks()
    """The timeline's in/out (``I`` / ``O``): the loop range."""
    waveforms: Mapping[str, Waveform] = MappingProxyType({})
    """Peak envelopes by media id, as they arrive from the worker."""
    waveform_wanted: tuple[MediaRef, ...] = ()
    waveform_thread: threading.Thread | None = None

    @property
    def shown(self) -> Timeline:
        """What the timeline widget, preview and navigation keys work on now."""
        view: Timeline | None = getattr(self, "source_view", None)
        document: Any = getattr(self, "document")  # noqa: B009 (the editor's, see _Editor)
        return view if view is not None else document.timeline

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the source view only viewing keys and the source keys work (edits need the timeline);
        keys bound twice (``i``/``o``, ``esc``) go to the binding of the view shown."""
        in_source = getattr(self, "source_view", None) is not None
        if action in SOURCE_ONLY:
            return in_source
        if in_source:
            return action in SOURCE_VIEW_ACTIONS
        return True

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
        """A nudge key: ``frames`` (±1 or ±1 second) in the current trim mode, snapped when on."""
        mode, snapping = self.trim_mode, self.snapping

        def rule(tl: Timeline, cur: Cursor) -> Outcome:
            delta = editing.snapped_trim(tl, cur, mode, frames) if snapping else frames
            return editing.trim_step(tl, cur, mode, delta)

        self._edit(rule)

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
        """Esc: no selection (clip, edge, marked clips); the keys act on the clip under the playhead."""
        EditActions._mark(self, lambda _tl, cur: editing.clear_selection(cur))
        self.message = "selection cleared"
        self._refresh_views()

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

    # -- source view and three-point edits ----------------------------------------------------------
    def _show_source(self: _Editor, media_id: str) -> None:
        marks = self.source_marks.get(media_id, SourceMarks())
        try:
            view = editing.source_timeline(self.document.timeline, media_id, marks)
        except EditError as exc:
            self.app.notify(str(exc), severity="warning")
            return
        if self.transport.playing:
            self._set_transport(self.transport.stop())
        if self.source_view is None:
            self.saved_cursor = self.cursor
        else:
            EditActions._remember_source_playhead(self)
        self.source_view, self.source_media, self.zoom = view, media_id, None
        start = self.source_playheads.get(media_id, marks.in_ or 0)
        self.cursor = Cursor(editing.clamp(view, start))
        self.message = f"source: {view.media[0].name} · i/o mark · F9/n insert · F10/r overwrite · esc back"
        self.timeline_changed()

    def source_text(self: _Editor) -> str:
        """The status line's selection part in the source view: the item and its marked range."""
        media = self.source_media
        if self.source_view is None or media is None:
            return ""
        marks = self.source_marks.get(media, SourceMarks())
        fps = self.source_view.fps
        have = [
            f"{label} {frames_to_timecode(frame, fps)}"
            for label, frame in (("in", marks.in_), ("out", marks.out))
            if frame is not None
        ]
        return f"SOURCE {self.source_view.media[0].name}" + (" · " + " ".join(have) if have else "")

    def _remember_source_playhead(self: _Editor) -> None:
        if self.source_media is not None:
            self.source_playheads = {**self.source_playheads, self.source_media: self.cursor.playhead}

    def _leave_source(self: _Editor, message: str = "") -> None:
        if self.source_view is None:
            return
        if self.transport.playing:
            self._set_transport(self.transport.stop())
        EditActions._remember_source_playhead(self)
        self.source_view, self.zoom = None, None
        self.cursor = self.saved_cursor or Cursor()
        self.saved_cursor = None
        self.message = message
        self.timeline_changed()

    def action_source_next(self: _Editor) -> None:
        """B: the source view of the last bin item shown (first: the first item); again: the next one,
        and after the last, back to the timeline."""
        ids = [m.id for m in self.document.timeline.media if m.online]
        if not ids:
            self.app.notify("the bin is empty: add media with a", severity="information")
            return
        if self.source_view is None:
            EditActions._show_source(self, self.source_media if self.source_media in ids else ids[0])
        elif self.source_media in ids and ids.index(self.source_media) + 1 < len(ids):
            EditActions._show_source(self, ids[ids.index(self.source_media) + 1])
        else:
            EditActions._leave_source(self)

    def action_source_close(self: _Editor) -> None:
        EditActions._leave_source(self)

    def _mark_source(self: _Editor, edge: editing.Edge) -> None:
        media = self.source_media
        if self.source_view is None or media is None:
            return
        marks = editing.mark_source(self.source_marks.get(media, SourceMarks()), edge, self.cursor.playhead)
        self.source_marks = {**self.source_marks, media: marks}
        self.source_view = editing.source_timeline(self.document.timeline, media, marks)
        clip = editing.source_clip(self.document.timeline, media, marks)
        fps = self.document.timeline.fps
        self.message = (
            f"source {frames_to_timecode(clip.in_, fps)}–{frames_to_timecode(clip.out, fps)} "
            f"({clip.length} frames) · F9/n insert · F10/r overwrite"
        )
        self._refresh_views()

    def action_mark_in(self: _Editor) -> None:
        EditActions._mark_source(self, "in")

    def action_mark_out(self: _Editor) -> None:
        EditActions._mark_source(self, "out")

    def _three_point(self: _Editor, *, overwrite: bool) -> None:
        media = self.source_media
        if media is None or not self.document.timeline.has_media(media):
            self.app.notify("choose a source first: b shows a bin item, i / o mark it", severity="information")
            return
        try:
            clip = editing.source_clip(self.document.timeline, media, self.source_marks.get(media, SourceMarks()))
        except EditError as exc:
            self.app.notify(str(exc), severity="warning")
            return
        EditActions._leave_source(self)
        self._edit(lambda tl, cur: editing.three_point(tl, cur, clip, overwrite=overwrite))

    def action_insert_edit(self: _Editor) -> None:
        EditActions._three_point(self, overwrite=False)

    def action_overwrite_edit(self: _Editor) -> None:
        EditActions._three_point(self, overwrite=True)

    # -- snapping, loop, zoom --------------------------------------------------------------------------
    def _second_step(self: _Editor, frames: int) -> None:
        if self.snapping:
            self._navigate(lambda tl, cur: editing.snapped_seek(tl, cur, frames))
        else:
            self._navigate(lambda tl, cur: editing.seek(tl, cur, cur.playhead + frames))

    def action_second_back(self: _Editor) -> None:
        EditActions._second_step(self, -self._second())

    def action_second_forward(self: _Editor) -> None:
        EditActions._second_step(self, self._second())

    def action_snapping(self: _Editor) -> None:
        self.snapping = not self.snapping
        self.message = f"snapping {'on' if self.snapping else 'off'}"
        self._refresh_views()

    def _mark_range(self: _Editor, edge: editing.Edge) -> None:
        self.range_marks = editing.mark_source(self.range_marks, edge, self.cursor.playhead)
        if self.loop is not None:
            EditActions._set_loop(self)
        fps = self.document.timeline.fps
        marks = self.range_marks
        parts = [
            f"{n} {frames_to_timecode(f, fps)}" for n, f in (("in", marks.in_), ("out", marks.out)) if f is not None
        ]
        self.message = "range " + " ".join(parts) + " · L loops it"
        self._refresh_views()

    def action_range_in(self: _Editor) -> None:
        EditActions._mark_range(self, "in")

    def action_range_out(self: _Editor) -> None:
        EditActions._mark_range(self, "out")

    def _set_loop(self: _Editor) -> bool:
        try:
            self.loop = editing.loop_range(self.document.timeline, self.cursor, self.range_marks)
        except EditError as exc:
            self.app.notify(str(exc), severity="warning")
            self.loop = None
            return False
        return True

    def action_loop(self: _Editor) -> None:
        """L: play the range over and over (again: loop off, playback goes on)."""
        if self.loop is not None:
            self.loop = None
            self.message = "loop off"
            self._refresh_views()
            return
        if not EditActions._set_loop(self) or self.loop is None:
            return
        fps = self.document.timeline.fps
        self.message = (
            f"loop {frames_to_timecode(self.loop.start, fps)}–{frames_to_timecode(self.loop.end, fps)} (L: off)"
        )
        self._navigate(lambda tl, cur: editing.seek(tl, cur, self.loop.start if self.loop else cur.playhead))
        self._set_transport(Transport(1.0))

    def loop_wrapped(self: _Editor, frame: int) -> bool:
        """Called with each playback position: True when it jumped back into the loop range."""
        if self.loop is None or self.source_view is not None:
            return False
        target = editing.loop_wrap(self.loop, frame, self.transport.speed)
        if target is None:
            return False
        self.bridge.seek(target)
        self.cursor = editing.seek(self.document.timeline, self.cursor, target)
        self._refresh_views()
        return True

    def loop_shown(self: _Editor) -> tuple[int, int] | None:
        """The range drawn on the ruler: the loop, else the marked in/out (timeline view only)."""
        if self.source_view is not None:
            return None
        if self.loop is not None:
            return self.loop.start, self.loop.end
        marks = self.range_marks
        if marks.in_ is None and marks.out is None:
            return None
        end = self.document.timeline.duration
        return (marks.in_ or 0, marks.out if marks.out is not None else end)

    def _zoom_to(self: _Editor, fpc: Fraction, first: int) -> None:
        self.zoom = fpc
        self.scale = Scale(max(0, first), fpc)
        self._refresh_views()

    def action_zoom_clip(self: _Editor) -> None:
        tl = self.shown
        index = editing.selected(tl, self.cursor)
        if index is None:
            self.app.notify("no clip to zoom to", severity="information")
            return
        width = max(1, self.query_one("#timeline").size.width)
        fpc = clip_fpc(tl.clips[index].length, width)
        EditActions._zoom_to(self, fpc, tl.starts()[index] - int(fpc))

    def action_zoom_frames(self: _Editor) -> None:
        width = max(1, self.query_one("#timeline").size.width)
        EditActions._zoom_to(self, FRAMES_FPC, self.cursor.playhead - int(width * FRAMES_FPC / 2))

    # -- clip sound ------------------------------------------------------------------------------------
    def action_gain_up(self: _Editor) -> None:
        self._edit(lambda tl, cur: editing.change_gain(tl, cur, 1.0))

    def action_gain_down(self: _Editor) -> None:
        self._edit(lambda tl, cur: editing.change_gain(tl, cur, -1.0))

    def action_mute(self: _Editor) -> None:
        self._edit(editing.toggle_mute)

    # -- waveforms -------------------------------------------------------------------------------------
    def request_waveforms(self: _Editor) -> None:
        """After a timeline change: start computing the waveforms of media that have none yet."""
        done = set(self.waveforms)
        wanted = tuple(
            ref
            for ref in self.document.timeline.media
            if ref.info is not None and ref.info.audio is not None and ref.id not in done
        )
        self.waveform_wanted = wanted
        if wanted and (self.waveform_thread is None or not self.waveform_thread.is_alive()):
            self.waveform_thread = threading.Thread(
                target=EditActions._waveform_worker, args=(self,), name="livecut-waveforms", daemon=True
            )
            self.waveform_thread.start()

    def _waveform_worker(self: _Editor) -> None:
        folder = default_cache_dir()
        tried: set[str] = set()
        while True:
            todo = [r for r in self.waveform_wanted if r.id not in tried and r.id not in self.waveforms]
            if not todo:
                return
            ref = todo[0]
            tried.add(ref.id)
            assert ref.info is not None
            try:
                wave, _ = load_or_compute(ref.info, fingerprint(ref.resolved), folder)
            except (LivecutError, OSError, InterruptedError) as exc:
                log.info("no waveform for %s: %s", ref.resolved, exc)
                continue
            try:
                self.app.call_from_thread(EditActions._waveform_ready, self, ref.id, wave)
            except RuntimeError:  # the app is closing
                return

    def _waveform_ready(self: _Editor, media_id: str, wave: Waveform) -> None:
        self.waveforms = {**self.waveforms, media_id: wave}
        self._refresh_views()


SOURCE_ONLY = frozenset({"mark_in", "mark_out", "source_close"})
"""Actions that only mean something in the source view."""
SOURCE_VIEW_ACTIONS = SOURCE_ONLY | {
    "play_pause",
    "shuttle_back",
    "stop",
    "shuttle_forward",
    "frame_back",
    "frame_forward",
    "second_back",
    "second_forward",
    "prev_edit",
    "next_edit",
    "marker_prev",
    "marker_next",
    "go_start",
    "go_end",
    "goto",
    "source_next",
    "insert_edit",
    "overwrite_edit",
    "zoom_in",
    "zoom_out",
    "zoom_fit",
    "zoom_clip",
    "zoom_frames",
    "snapping",
}
"""What works in the source view: watching and marking; edits need the timeline shown."""


TRIM_HINTS: dict[TrimMode, str] = {
    "trim": "edge, ripple",
    "roll": "edit point",
    "slip": "source in place",
    "slide": "between neighbours",
}
