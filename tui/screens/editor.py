"""The editor screen: preview, media bin, timeline, segment bar and status line, and their keys.

Why it is a shell: what a key does is plain code in ``tui.editor.actions`` (one module per area,
``table.ACTIONS`` maps each key id of ``tui.settings.keys.KEYS`` to its action). The screen holds
the ``Document`` and one ``EditorState``, runs the action of each key (``run``) and applies the
``Step`` it returns: the new state, then its effects in order (seek or play the bridge, redraw
every view from the state, a prompt, a toast), so no widget keeps its own copy of the truth.
Engine and player events arrive as messages from ``tui.bridge.bridge`` and only update that
state. Exports run in the background (``core.export.queue``): the export dialog only asks, the
queue renders the project as it was when asked on its own thread, and its reports arrive as
``ExportChanged`` messages that the status line shows. File-level work (save, open, quit,
autosave) belongs to the app.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen

from core.analysis.silence import has_sound
from core.cells.plan import SegmentState, segment_at
from core.cells.store import default_cache_dir
from core.errors import Cancelled, LivecutError
from core.export.queue import ExportQueue, JobCancelled, JobEvent, JobFailed, JobFinished, JobProgressed
from core.export.render import ExportProgress
from core.media.damage import Damage, scan
from core.media.info import MediaInfo
from core.media.waveform import Waveform
from core.model import project as proj
from core.model.timeline import Clip, MediaRef, Timeline
from core.modes import PreviewChoice
from core.preview.seam import SnapshotView
from core.timebase import frames_to_timecode
from tui.bindings import bindings
from tui.bridge.bridge import Bridge
from tui.bridge.messages import (
    EngineUpdated,
    PageKey,
    PreviewChanged,
    PreviewEnded,
    PreviewFailed,
    PreviewFrame,
    PreviewPaused,
    PreviewPosition,
    PreviewWaiting,
)
from tui.editor import autocut, editing, exports, viewport
from tui.editor.actions import edit, loop, navigate, source
from tui.editor.actions.autocut import apply_proposal
from tui.editor.actions.sound import Waveforms
from tui.editor.actions.state import EditorState
from tui.editor.actions.step import (
    Action,
    Ask,
    Context,
    Notify,
    Play,
    Redraw,
    RestartPreview,
    Scroll,
    Seek,
    Step,
    Still,
    TimelineChanged,
    move,
    set_transport,
)
from tui.editor.actions.table import ACTIONS, allowed
from tui.editor.document import Document, ProjectSettings
from tui.editor.editing import Cursor
from tui.editor.transport import Transport
from tui.screens.autocut import AutocutConfirm, AutocutScreen
from tui.screens.export import ExportRequest, ExportScreen
from tui.screens.path_prompt import PathPrompt
from tui.screens.project_settings import ProjectSettingsScreen
from tui.terminal import Graphics
from tui.widgets.media_bin import MediaBin
from tui.widgets.path_input import PathSuggester
from tui.widgets.preview_pane import PreviewPane, resolve_graphics
from tui.widgets.segment_bar import SegmentBar
from tui.widgets.status_line import Status, StatusLine, level_meter
from tui.widgets.timeline_view import TimelineState, TimelineView

if TYPE_CHECKING:
    from tui.app import LivecutApp

log = logging.getLogger(__name__)


class MediaProbed(Message):
    """A file typed into the bin was probed (on a worker thread)."""

    def __init__(self, ref: MediaRef, damage: tuple[Damage, ...] = ()) -> None:
        super().__init__()
        self.ref = ref
        self.damage = damage
        """Frames of the file that cannot be decoded (they will show the last good frame)."""


class ExportChanged(Message):
    """The export queue reported (posted from its thread)."""

    def __init__(self, event: JobEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """A busy UI shows the newest progress of a job, not every one."""
        return (
            isinstance(self.event, JobProgressed)
            and isinstance(message, ExportChanged)
            and isinstance(message.event, JobProgressed)
            and message.event.job.id == self.event.job.id
        )


class AnalysisProgressed(Message):
    """The automatic-cut analysis reported progress (posted from its thread)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AnalysisProgressed)


class AnalysisDone(Message):
    """The automatic-cut analysis ended: a proposal, or None and why (cancelled, failed)."""

    def __init__(self, proposal: autocut.Proposal | None, why: str = "") -> None:
        super().__init__()
        self.proposal = proposal
        self.why = why


def _dispatching(cls: type[EditorScreen]) -> type[EditorScreen]:
    """Give the screen one ``action_<id>`` per entry of ``ACTIONS``: Textual finds a binding's
    method by that name, and each of them only runs its action (``EditorScreen.run``)."""

    def runner(action: Action) -> Callable[[EditorScreen], None]:
        def run(screen: EditorScreen) -> None:
            screen.run(action)

        return run

    for name, action in ACTIONS.items():
        setattr(cls, f"action_{name}", runner(action))
    return cls


@_dispatching
class EditorScreen(Screen[None]):
    """The main (and default) screen of the app."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("editor")
    AUTO_FOCUS = None
    """Nothing takes focus: the keys belong to the editor until the bin's input is opened."""

    def __init__(
        self,
        document: Document,
        *,
        preview: PreviewChoice = "auto",
        workers: int | None = None,
        bridge: Bridge | None = None,
        graphics: Graphics = "auto",
    ) -> None:
        super().__init__()
        self.graphics: Graphics = graphics
        """How the preview pane draws frames (``--graphics``)."""
        self.graphics_choice = resolve_graphics(graphics)  # asks the terminal: before Textual reads it
        self.document = document
        self.bridge: Bridge = bridge or Bridge(preview=preview, workers=workers)
        self.bridge.attach(self.post_message)
        self.state = EditorState()
        """Cursor, transport, message, trim mode, clipboard, source view, zoom, loop…: what the
        actions change (``tui.editor.actions``)."""
        self.scale = viewport.Scale()
        """The timeline's scroll and zoom as drawn (follows the playhead; see ``_refresh_views``)."""
        self.waves = Waveforms(self._deliver_waveform)
        self.snapshot: SnapshotView = self.bridge.snapshot()
        self.waiting = False
        self._frame_size = (0, 0)
        self.help_hint = "? help"
        """Set by the app from the user's key map."""
        self.exports = ExportQueue(self._export_reported)
        """Films being written in the background, one at a time (``core.export.queue``)."""
        self._export_progress: tuple[int, ExportProgress] | None = None
        """The running job's id and its latest report."""
        self._analysis: threading.Event | None = None
        """The running automatic-cut analysis's cancel event (None: none runs)."""
        self._analysis_text = ""
        """The status line's analysis part: ``silence 42%``."""

    # -- the state, as the preview handlers and the app read it ---------------------------------
    @property
    def cursor(self) -> Cursor:
        return self.state.cursor

    @cursor.setter
    def cursor(self, cursor: Cursor) -> None:
        self.state = replace(self.state, cursor=cursor)

    @property
    def transport(self) -> Transport:
        return self.state.transport

    @transport.setter
    def transport(self, transport: Transport) -> None:
        self.state = replace(self.state, transport=transport)

    @property
    def message(self) -> str:
        return self.state.message

    @message.setter
    def message(self, message: str) -> None:
        self.state = replace(self.state, message=message)

    @property
    def shown(self) -> Timeline:
        """What the timeline widget, preview and navigation keys work on now."""
        return self.state.shown(self.document.timeline)

    @property
    def livecut(self) -> LivecutApp:
        """The app, typed: the editor runs in livecut's app only."""
        from tui.app import LivecutApp  # here: the app imports this module

        app = self.app
        assert isinstance(app, LivecutApp)
        return app

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield PreviewPane(id="preview", graphics=self.graphics, choice=self.graphics_choice)
            yield MediaBin(PathSuggester(Path.cwd), id="bin")
        yield TimelineView(id="timeline")
        yield SegmentBar(id="segments")
        yield StatusLine(id="status")

    def on_mount(self) -> None:
        self.timeline_changed()
        self.call_after_refresh(self._start_bridge)  # the preview's size is known after layout

    def _start_bridge(self) -> None:
        pane = self.query_one(PreviewPane)
        self._frame_size = pane.pixel_size
        self.bridge.quality = self.livecut.config.quality
        self.bridge.open(self.document.project, self._frame_size)
        pane.border_title = self._preview_title()
        self.timeline_changed()

    def on_unmount(self) -> None:
        if self._analysis is not None:  # an automatic-cut analysis stops at its next check
            self._analysis.set()
        if not self.exports.close(timeout=5.0):  # cancelled: each removes its staged file
            log.warning("an export was still cleaning up when the editor closed")
        self.bridge.close()

    def on_resize(self, _event: Resize) -> None:
        self.call_after_refresh(self._after_resize)

    def _after_resize(self) -> None:
        size = self.query_one(PreviewPane).pixel_size
        if size != self._frame_size:
            self._frame_size = size
            self.bridge.set_frame_size(size)
            if not self.transport.playing:
                self.bridge.seek(self.cursor.playhead)  # a paused player shows the frame at the new size
        self._refresh_views()

    # -- actions: run one, apply its step ----------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys bound twice (``i``/``o``, ``esc``) go to the binding of the view shown
        (``tui.editor.actions.table.allowed``)."""
        return allowed(action, in_source=self.state.source.view is not None)

    def context(self) -> Context:
        """What an action reads now."""
        return Context(self.document, self.state, self.query_one(TimelineView).size.width)

    def run(self, action: Callable[[Context], Step]) -> None:
        """Run ``action`` on the present context and apply its step."""
        self.apply(action(self.context()))

    def apply(self, step: Step) -> None:
        """Take the step's state, then do its effects in order."""
        old = self._played_loop(self.state)
        self.state = step.state
        new = self._played_loop(self.state)
        if new != old:  # before the effects: a loop's first pass starts with the seek to its in
            self.bridge.set_loop(new)
        for effect in step.effects:
            match effect:
                case Seek(frame):
                    self.bridge.seek(frame)
                case Play(transport):
                    if transport.playing:
                        self.bridge.play(transport.speed)
                    else:
                        self.bridge.pause()
                case Redraw():
                    self._refresh_views()
                case Still():
                    self._request_still()
                case TimelineChanged():
                    self.timeline_changed()
                case Notify(text, severity):
                    self.app.notify(text, severity=severity)
                case Ask():
                    self._ask(effect)
                case Scroll(first):
                    self.scale = viewport.Scale(max(0, first), self.state.zoom or self.scale.fpc)
                case RestartPreview():
                    self._restart_preview()

    @staticmethod
    def _played_loop(state: EditorState) -> tuple[int, int] | None:
        """The range the player repeats: the loop, on the timeline view only."""
        if state.loop is None or state.source.view is not None:
            return None
        return state.loop.start, state.loop.end

    def _ask(self, ask: Ask) -> None:
        def answered(text: str | None) -> None:
            self.apply(ask.answer(self.context(), text))

        self.app.push_screen(PathPrompt(ask.title, ask.initial, None, hint=ask.hint), answered)

    def _restart_preview(self) -> None:
        """The project's rate or a size changed: the preview engine starts again."""
        pane = self.query_one(PreviewPane)
        self._frame_size = pane.pixel_size  # it follows the project's preview height
        self.bridge.open(self.document.project, self._frame_size)
        pane.border_title = self._preview_title()

    # -- state changes ---------------------------------------------------------------------------
    def load_document(self, document: Document) -> None:
        """Show another project (after open): new engine, playhead at the start."""
        self.document = document
        self.state = replace(
            self.state,
            source=replace(self.state.source, view=None, media=None, marks={}),
            cursor=Cursor(),
            transport=Transport(),
            zoom=None,
            loop=None,  # a range of the project before means nothing in this one
            message=f"opened {document.title}",  # never a message about the project before
        )
        self.query_one(PreviewPane).show_frame(None)
        self.bridge.set_loop(None)
        self.bridge.open(document.project, self._frame_size)
        self.timeline_changed()

    def timeline_changed(self) -> None:
        """The document's timeline was replaced: re-plan, show the playhead's frame, redraw."""
        tl = self.shown
        self.cursor = replace(self.cursor, playhead=editing.clamp(tl, self.cursor.playhead))
        self.bridge.set_timeline(tl, self.cursor.playhead)
        self.snapshot = self.bridge.snapshot()
        self._refresh_views()
        self._request_still()
        self.waves.request(self.document.timeline)

    def note(self, text: str) -> None:
        """A note for the user (``app.notify`` at ``information``): said on the status line."""
        self.message = text
        self._refresh_views()

    def document_saved(self, message: str) -> None:
        """Saving changed only the title and the dirty marker."""
        self.message = message
        self._refresh_views()

    def _move(self, cursor: Cursor, *, seek: bool = True) -> None:
        """Move the playhead / selection (no edit)."""
        self.apply(move(self.context(), cursor, seek=seek))

    def _set_transport(self, transport: Transport) -> None:
        self.apply(set_transport(self.context(), transport))

    def loop_wrapped(self, frame: int) -> bool:
        """Called with each playback position: True when it jumped back into the loop range."""
        step = loop.wrapped(self.context(), frame)
        if step is None:
            return False
        self.apply(step)
        return True

    def _deliver_waveform(self, media_id: str, wave: Waveform) -> None:
        """On the waveform worker: hand the waveform to the UI thread (raises once the app closes)."""
        self.app.call_from_thread(self._waveform_ready, media_id, wave)

    def _waveform_ready(self, media_id: str, wave: Waveform) -> None:
        self.waves.arrived(media_id, wave)
        self._refresh_views()

    # -- views -----------------------------------------------------------------------------------
    def _refresh_views(self) -> None:
        tl = self.shown
        cur = self.cursor
        sel = editing.selected(tl, cur)
        picked = editing.is_picked(tl, cur)
        width = self.query_one(TimelineView).size.width
        self.scale = viewport.layout(self.state.zoom, self.scale, cur.playhead, max(width, 1), tl.duration)
        self.query_one(TimelineView).show(
            TimelineState(
                tl,
                cur.playhead,
                sel,
                cur.edge if sel is not None else None,
                self.scale,
                cur.marked,
                loop.shown_range(self.state, self.document.timeline.duration),
                tuple(self.waves.ready.items()),
                picked,
            )
        )
        self.query_one(SegmentBar).show(self.snapshot, self.scale)
        current = tl.clips[sel].media if sel is not None else None
        bin_widget = self.query_one(MediaBin)
        if self.transport.playing and not picked:
            # While playing, the clip under the playhead changes at every cut; the bin's highlight
            # follows when playback stops. Why: Textual repaints the bounding box of all changed
            # regions, and the bin (top right) with the status line (bottom) spans the preview,
            # so each highlight change redrew the whole picture on the UI thread (a 50 ms hole
            # in playback at every cut).
            current = bin_widget.current if tl.media == bin_widget.media else current
        bin_widget.show(tl.media, tl.fps, current)
        self.query_one(StatusLine).show(
            Status(
                transport=("waiting… " if self.waiting and self.transport.playing else "")
                + self.transport.label()
                + (f" · {quality}" if (quality := self.bridge.quality_label()) else "")
                + (f" {meter}" if (meter := self._level_meter()) else ""),
                position=f"{frames_to_timecode(cur.playhead, tl.fps)} / {frames_to_timecode(tl.duration, tl.fps)}",
                selection=self._selection_text(tl, sel),
                selection_short=self._selection_text(tl, sel, short=True),
                selection_over_note=self.state.source.view is not None,
                message=self.message,
                note=self._status_note(),
                job=" · ".join(t for t in (self._analysis_text, self._export_text()) if t),
                title=self.document.title,
                dirty=self.document.dirty,
                hint=self.help_hint,
            )
        )
        self._update_placeholder(tl)

    def _level_meter(self) -> str:
        """While playing: the sound level at the playhead (the clip's waveform and gain)."""
        if not self.transport.playing:
            return ""
        tl = self.shown
        shown = tl.source_frame(self.cursor.playhead)
        if shown is None:
            return ""
        clip, source = shown
        wave = self.waves.ready.get(clip.media)
        if wave is None:
            return ""
        t = source / float(tl.fps)
        return level_meter(wave.peak(t - 0.05, t + 0.05) * clip.audio_gain)

    def export_progress(self) -> ExportProgress | None:
        """The running export's latest report (None before its first, or when none runs)."""
        running, shown = self.exports.running, self._export_progress
        return shown[1] if shown is not None and running is not None and shown[0] == running.id else None

    def _export_text(self) -> str:
        """The status line's export part: ``export 42% → film.mp4 · 1 queued``."""
        running = self.exports.running
        return exports.job_text(running, self.export_progress(), len(self.exports.waiting), self.document.base_dir)

    def _status_note(self) -> str:
        """Which preview is in use, and (for the terminal preview) how its picture is drawn."""
        note = self.bridge.note
        if self.bridge.mode == "terminal" and self.graphics_choice.reason:
            picture = f"picture: {self.graphics_choice.reason}"
            return f"{note} · {picture}" if note else picture
        return note

    def _selection_text(self, tl: Timeline, sel: int | None, *, short: bool = False) -> str:
        """Which clip the keys act on and why: ``clip 2/5 selected`` (tab) or ``under playhead``."""
        if self.state.source.view is not None:
            return source.source_text(self.state, short=short)
        if sel is None:
            return "no clip"
        clip = tl.clips[sel]
        how = "selected" if editing.is_picked(tl, self.cursor) else "under playhead"
        edge = {"in": " [start", "out": " end]", None: ""}[self.cursor.edge]
        mode = "" if self.state.trim_mode == "trim" else f" · {self.state.trim_mode}"
        marked = f" · {len(self.cursor.marked)} marked" if self.cursor.marked else ""
        if short:  # tight: the usual case (under the playhead) goes unsaid, a selection never does
            picked = " selected" if editing.is_picked(tl, self.cursor) else ""
            return f"clip {sel + 1}/{len(tl.clips)}{picked}{edge}{mode}{marked}"
        return f"clip {sel + 1}/{len(tl.clips)} {how}: {editing.clip_name(tl, clip)}{edge}{mode}{marked}"

    def _preview_title(self) -> str:
        if self.bridge.status:
            return "preview"
        return {"window": "preview · window", "terminal": "preview · terminal", "none": "preview · off"}[
            self.bridge.mode
        ]

    def _update_placeholder(self, tl: Timeline) -> None:
        shown = tl.source_frame(self.cursor.playhead)
        if shown is None:
            title = "empty timeline: press a to add media" if not tl.clips else ""
        else:
            clip, source = shown
            ref = tl.media_by_id(clip.media)
            state = "" if ref.online else f"  OFFLINE: {ref.error}"
            title = f"{ref.name} · source {frames_to_timecode(source, tl.fps)}{state}"
        if self.bridge.status:
            hint = self.bridge.status
        else:
            hint = {"window": "playing in its own window", "none": "preview off (--preview none)"}.get(
                self.bridge.mode, "waiting for the first frame…"
            )
        pane = self.query_one(PreviewPane)
        if not tl.clips and pane.frame is not None:
            pane.show_frame(None)  # no clip left: the last picture would show what is no longer there
        pane.show_placeholder(title, hint)

    @work(thread=True, exclusive=True, group="still", exit_on_error=False)
    def _still_worker(self, info: MediaInfo, source: int, size: tuple[int, int], playhead: int) -> None:
        try:
            rgb = self.bridge.still(info, source, size)
        except Exception:  # a still is a nicety; the player shows the frame when its cell is ready
            log.exception("still of %s frame %d failed", info.path, source)
            return
        if rgb is not None:
            self.post_message(PreviewFrame(rgb, still_of=playhead))

    def _request_still(self) -> None:
        """Paused over a segment that is not ready: decode its frame directly (engine present)."""
        if self.transport.playing or not self.bridge.terminal_mode:
            return
        tl = self.shown
        shown = tl.source_frame(self.cursor.playhead)
        if shown is None:
            return
        ref = tl.media_by_id(shown[0].media)
        index = segment_at(list(self.snapshot.segments), self.cursor.playhead)
        if ref.info is None or (index is not None and self.snapshot.states[index] == SegmentState.READY):
            return
        self._still_worker(ref.info, shown[1], self.query_one(PreviewPane).pixel_size, self.cursor.playhead)

    # -- engine / player messages ----------------------------------------------------------------
    @on(EngineUpdated)
    def _engine_changed(self) -> None:
        self.snapshot = self.bridge.snapshot()
        self.query_one(SegmentBar).show(self.snapshot, self.scale)

    @on(PreviewFrame)
    def _preview_frame(self, message: PreviewFrame) -> None:
        if message.still_of is not None and (message.still_of != self.cursor.playhead or self.transport.playing):
            return  # a still decoded for where the playhead no longer is
        self.query_one(PreviewPane).show_frame(message.rgb)

    @on(PreviewPosition)
    def _preview_position(self, message: PreviewPosition) -> None:
        if not self.transport.playing or self.loop_wrapped(message.frame):
            return
        self._move(editing.seek(self.shown, self.cursor, message.frame), seek=False)
        if self.transport.speed < 0 and message.frame <= 0:
            self.message = "reached the start of the timeline"
            self._set_transport(self.transport.stop())  # reverse shuttle reached the start

    @on(PreviewWaiting)
    def _preview_waiting(self, message: PreviewWaiting) -> None:
        self.waiting = message.waiting
        self._preview_changed()

    @on(PreviewPaused)
    def _preview_paused(self, message: PreviewPaused) -> None:
        if message.paused and self.transport.speed > 0:
            self.transport = self.transport.stop()  # the player stopped by itself (reverse shuttle pauses it)
        self._preview_changed()

    @on(PreviewEnded)
    def _preview_ended(self) -> None:
        if self.transport.playing:
            self.message = "reached the end of the timeline" if self.transport.speed > 0 else "reached the start"
        self.transport = self.transport.stop()
        self._preview_changed()

    @on(PreviewFailed)
    def _preview_failed(self, message: PreviewFailed) -> None:
        self.app.notify(message.message, severity="error")
        self._preview_changed()

    @on(PreviewChanged)
    def _preview_changed(self) -> None:
        self.query_one(PreviewPane).border_title = self._preview_title()  # the preview may have changed
        self._refresh_views()

    @on(PageKey)
    def _page_key(self, message: PageKey) -> None:
        """A transport key pressed in a browser page that follows the editor: run it as if pressed
        here (not while a dialog is open: its keys are the dialog's)."""
        action = ACTIONS.get(message.key)
        if (
            action is not None
            and self.is_current
            and allowed(message.key, in_source=self.state.source.view is not None)
        ):
            self.run(action)

    # -- media -----------------------------------------------------------------------------------
    @on(MediaBin.AddRequested)
    def _add_requested(self, message: MediaBin.AddRequested) -> None:
        self.message = f"probing {message.path}…"
        self._refresh_views()
        self._probe_worker(message.path)

    @work(thread=True, exit_on_error=False, group="probe")
    def _probe_worker(self, path_text: str) -> None:
        ref = proj.media_ref("?", path_text, Path.cwd())
        damage: tuple[Damage, ...] = ()
        if ref.info is not None and ref.info.video is not None:
            try:
                damage = scan(ref.info)  # about as costly as reading the file once
            except Exception:  # a scan is a warning service: never refuse a file for it
                log.exception("damage scan of %s failed", ref.resolved)
        self.post_message(MediaProbed(ref, damage))

    @on(MediaProbed)
    def _media_probed(self, message: MediaProbed) -> None:
        ref = message.ref
        if not ref.online:
            self.message = ""
            self.app.notify(f"{ref.resolved}: {ref.error}", title="cannot add media", severity="error")
            self._refresh_views()
            return
        if message.damage:
            times = ", ".join(f"{float(d.at):.2f} s" for d in message.damage[:5])
            more = f" and {len(message.damage) - 5} more" if len(message.damage) > 5 else ""
            self.app.notify(
                f"{ref.name} is damaged: the frames at {times}{more} cannot be decoded; they show the last good frame",
                title="damaged media",
                severity="warning",
                timeout=15,
            )
        tl = self.document.timeline
        if not tl.clips and not tl.media and ref.info is not None and ref.info.video is not None:
            # a new project takes its rate and size from the first clip, not 30 fps 1920×1080
            self.document.adopt_format(ref.info.video.fps, *ref.info.video.display_size)
            tl = self.document.timeline
        existing = next((m for m in tl.media if m.resolved == ref.resolved and m.online), None)
        ref = existing or replace(ref, id=proj.next_media_id(tl))
        length = ref.length(tl.fps) or 1
        start = tl.duration

        def add(timeline: Timeline) -> Timeline:
            return (timeline if existing else timeline.add_media(ref)).append(Clip(ref.id, 0, length))

        try:
            self.document.apply(f"add {ref.name}", add)
        except LivecutError as exc:
            self.app.notify(str(exc), severity="error")
            return
        self.cursor = replace(self.cursor, playhead=start)  # a selection stays (see tui.editor.editing)
        self.message = f"added {ref.name}"
        self.timeline_changed()

    def on_timeline_view_clicked(self, message: TimelineView.Clicked) -> None:
        self.run(lambda ctx: navigate.click(ctx, message.frame))

    # -- actions the screen runs itself (tui.editor.actions.table.SCREEN_ACTIONS) -----------------
    def action_add_media(self) -> None:
        self.query_one(MediaBin).open_input()

    def action_quality(self) -> None:
        self.message = f"preview quality: {self.bridge.cycle_quality()}"
        self._refresh_views()

    def action_export(self) -> None:
        if not self.document.timeline.clips:
            self.note("the timeline is empty, nothing to export")
            return
        screen = ExportScreen(self.document.project, self.document.base_dir, self.exports.outputs())
        self.app.push_screen(screen, self._export_chosen)

    def _export_chosen(self, request: ExportRequest | None) -> None:
        """Queue the export of the timeline as it is now; the editor's keys work meanwhile."""
        if request is None:
            return
        ahead = len(self.exports.waiting) + (self.exports.running is not None)
        job = self.exports.submit(self.document.project, request.output, request.options)
        where = exports.shown_path(job.output, self.document.base_dir)
        cancel = self.livecut.key_name("cancel_export")
        self.message = f"export of {where} queued behind {ahead}" if ahead else f"exporting {where} ({cancel} cancels)"
        self._refresh_views()

    def action_cancel_export(self) -> None:
        """Stop the running automatic-cut analysis if one runs, else the running export (a queued
        one then starts); it leaves no file behind."""
        if self.cancel_analysis():
            return
        job = self.exports.cancel()
        self.message = (
            f"cancelling the export of {exports.shown_path(job.output, self.document.base_dir)}…"
            if job is not None
            else "no export is running"
        )
        self._refresh_views()

    def _export_reported(self, event: JobEvent) -> None:
        """On the export thread: hand the report to the UI thread (``post_message`` is thread-safe)."""
        self.post_message(ExportChanged(event))

    @on(ExportChanged)
    def _export_changed(self, message: ExportChanged) -> None:
        """Progress goes to the status line's export part; the outcome to its message (a toast
        would cover the timeline), a failure to a toast as well."""
        event, folder = message.event, self.document.base_dir
        match event:
            case JobProgressed(job, progress):
                self._export_progress = (job.id, progress)
            case JobFinished():
                self.message = exports.finished_text(event, folder)
            case JobCancelled():
                self.message = exports.cancelled_text(event, folder)
            case JobFailed():
                self.message = exports.failed_text(event, folder)
                self.app.notify(self.message, title="export failed", severity="error", timeout=15)
        self._refresh_views()

    def action_project_settings(self) -> None:
        tl = self.document.timeline
        self.app.push_screen(ProjectSettingsScreen(self.document.settings, tl), self._settings_chosen)

    def _settings_chosen(self, settings: ProjectSettings | None) -> None:
        """The dialog's answer: one undoable edit, then the preview on the new rate and sizes."""
        self.run(lambda ctx: edit.apply_settings(ctx, settings))

    # -- automatic cuts (#29): settings dialog → analysis on a thread → confirmation → one edit ---
    def ask_autocut(self, kind: autocut.Kind) -> None:
        """The palette's "Remove silences…" / "Split at scene changes…": ask the settings."""
        if self._analysis is not None:
            self.app.notify(f"an analysis is running ({self.livecut.key_name('cancel_export')} cancels it)")
            return
        tl = self.document.timeline
        if not tl.clips:
            self.app.notify("the timeline is empty, nothing to cut", severity="warning")
            return
        if kind == "silence" and not has_sound(tl):
            self.app.notify("no clip has sound (or every one is muted): nothing to measure", severity="warning")
            return
        within = autocut.spans(tl, self.cursor)
        scope = "the timeline" if not within else f"{len(within)} selected clip{'s' if len(within) > 1 else ''}"
        self.app.push_screen(AutocutScreen(kind, scope), self._autocut_chosen)

    def _autocut_chosen(self, request: autocut.Request | None) -> None:
        """Start the analysis on the timeline and selection as they are now; the keys work meanwhile."""
        if request is None or self._analysis is not None:
            return
        tl = self.document.timeline
        cancel = threading.Event()
        self._analysis = cancel
        self._analysis_text = f"{request.kind} 0%"
        self.message = f"analysing ({self.livecut.key_name('cancel_export')} cancels)"
        self._autocut_worker(request, tl, autocut.spans(tl, self.cursor), cancel)
        self._refresh_views()

    @work(thread=True, group="autocut", exit_on_error=False)
    def _autocut_worker(
        self, request: autocut.Request, tl: Timeline, within: tuple[tuple[int, int], ...], cancel: threading.Event
    ) -> None:
        shown = [-1]

        def progress(fraction: float) -> None:
            percent = int(fraction * 100)
            if percent != shown[0]:
                shown[0] = percent
                self.post_message(AnalysisProgressed(f"{request.kind} {percent}%"))

        try:
            proposal = autocut.analyse(request, tl, within, default_cache_dir(), cancel, progress)
        except Cancelled:
            self.post_message(AnalysisDone(None, "analysis cancelled"))
        except Exception as exc:  # the worker's boundary: say it, keep the editor
            log.exception("the %s analysis failed", request.kind)
            self.post_message(AnalysisDone(None, f"the analysis failed: {exc}"))
        else:
            self.post_message(AnalysisDone(proposal))

    def cancel_analysis(self) -> bool:
        """Stop the running analysis (True), or say there is none to stop (False)."""
        if self._analysis is None:
            return False
        self._analysis.set()
        self.message = "cancelling the analysis…"
        self._refresh_views()
        return True

    @on(AnalysisProgressed)
    def _analysis_progressed(self, message: AnalysisProgressed) -> None:
        if self._analysis is not None:
            self._analysis_text = message.text
            self._refresh_views()

    @on(AnalysisDone)
    def _analysis_done(self, message: AnalysisDone) -> None:
        """Show what would go; enter in the confirmation applies it as one undoable edit."""
        self._analysis, self._analysis_text = None, ""
        proposal = message.proposal
        if proposal is None:
            self.message = message.why
            self._refresh_views()
            return
        self.message = proposal.summary()
        self._refresh_views()

        def answered(apply: bool | None) -> None:
            self.run(lambda ctx: apply_proposal(ctx, proposal if apply else None))

        self.app.push_screen(AutocutConfirm(proposal), answered)
