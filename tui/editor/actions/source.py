"""The source view (``b``) and three-point insert / overwrite (F9 / ``n``, F10 / ``r``).

The source view shows one bin item instead of the timeline: the same timeline widget, preview,
transport and navigation keys, over a one-clip timeline of the whole item (``EditorState.shown``).
``i`` / ``o`` mark its in and out there, as on an NLE's source monitor, while on the timeline they
keep trimming (livecut's first and most used keys; ``tui.editor.actions.table.allowed`` picks the
binding by view). Insert and overwrite work from either view with the last source shown, so one
bin item can be cut in many times. Marks and where the source view was are kept per item for the
session (``SourceState``, not saved in the project).
"""

from __future__ import annotations

from dataclasses import replace

from core.errors import EditError
from core.timebase import frames_to_timecode
from tui.editor import editing
from tui.editor.actions.state import EditorState
from tui.editor.actions.step import REDRAW, Context, Step, TimelineChanged, edit, refuse, set_transport
from tui.editor.editing import Cursor, SourceMarks


def _stopped(ctx: Context) -> Step:
    """Playback stops before the view changes."""
    if ctx.state.transport.playing:
        return set_transport(ctx, ctx.state.transport.stop())
    return Step(ctx.state)


def _remember_playhead(state: EditorState) -> EditorState:
    source = state.source
    if source.media is None:
        return state
    return replace(state, source=replace(source, playheads={**source.playheads, source.media: state.cursor.playhead}))


def _show(ctx: Context, media_id: str) -> Step:
    marks = ctx.state.source.marks.get(media_id, SourceMarks())
    try:
        view = editing.source_timeline(ctx.timeline, media_id, marks)
    except EditError as exc:
        return refuse(ctx, exc)

    def show(c: Context) -> Step:
        state = c.state
        if state.source.view is None:
            state = replace(state, source=replace(state.source, saved_cursor=state.cursor))
        else:
            state = _remember_playhead(state)
        start = state.source.playheads.get(media_id, marks.in_ or 0)
        state = replace(
            state,
            source=replace(state.source, view=view, media=media_id),
            zoom=None,
            cursor=Cursor(editing.clamp(view, start)),
            message=f"source: {view.media[0].name} · i/o mark · F9/n insert · F10/r overwrite · esc back",
        )
        return Step(state, (TimelineChanged(),))

    return _stopped(ctx).then(ctx, show)


def _leave(ctx: Context, message: str = "") -> Step:
    if ctx.state.source.view is None:
        return Step(ctx.state)

    def leave(c: Context) -> Step:
        state = _remember_playhead(c.state)
        source = state.source
        state = replace(
            state,
            source=replace(source, view=None, saved_cursor=None),
            zoom=None,
            cursor=source.saved_cursor or Cursor(),
            message=message,
        )
        return Step(state, (TimelineChanged(),))

    return _stopped(ctx).then(ctx, leave)


def source_next(ctx: Context) -> Step:
    """B: the source view of the last bin item shown (first: the first item); again: the next one,
    and after the last, back to the timeline."""
    ids = [m.id for m in ctx.timeline.media if m.online]
    media = ctx.state.source.media
    if not ids:
        return refuse(ctx, "the bin is empty: add media with a", "information")
    if ctx.state.source.view is None:
        return _show(ctx, media if media in ids else ids[0])
    if media in ids and ids.index(media) + 1 < len(ids):
        return _show(ctx, ids[ids.index(media) + 1])
    return _leave(ctx)


def source_close(ctx: Context) -> Step:
    return _leave(ctx)


def _mark(ctx: Context, edge: editing.Edge) -> Step:
    source = ctx.state.source
    media = source.media
    if source.view is None or media is None:
        return Step(ctx.state)
    marks = editing.mark_source(source.marks.get(media, SourceMarks()), edge, ctx.state.cursor.playhead)
    view = editing.source_timeline(ctx.timeline, media, marks)
    clip = editing.source_clip(ctx.timeline, media, marks)
    fps = ctx.timeline.fps
    message = (
        f"source {frames_to_timecode(clip.in_, fps)}–{frames_to_timecode(clip.out, fps)} "
        f"({clip.length} frames) · F9/n insert · F10/r overwrite"
    )
    state = replace(ctx.state, source=replace(source, marks={**source.marks, media: marks}, view=view), message=message)
    return Step(state, (REDRAW,))


def mark_in(ctx: Context) -> Step:
    return _mark(ctx, "in")


def mark_out(ctx: Context) -> Step:
    return _mark(ctx, "out")


def _three_point(ctx: Context, *, overwrite: bool) -> Step:
    media = ctx.state.source.media
    if media is None or not ctx.timeline.has_media(media):
        return refuse(ctx, "choose a source first: b shows a bin item, i / o mark it", "information")
    try:
        clip = editing.source_clip(ctx.timeline, media, ctx.state.source.marks.get(media, SourceMarks()))
    except EditError as exc:
        return refuse(ctx, exc)
    return _leave(ctx).then(
        ctx, lambda c: edit(c, lambda tl, cur: editing.three_point(tl, cur, clip, overwrite=overwrite))
    )


def insert_edit(ctx: Context) -> Step:
    return _three_point(ctx, overwrite=False)


def overwrite_edit(ctx: Context) -> Step:
    return _three_point(ctx, overwrite=True)


def source_text(state: EditorState, *, short: bool = False) -> str:
    """The status line's selection part in the source view: the item and its marked range
    (``short``: the item only, what the status line keeps when room is tight)."""
    view, media = state.source.view, state.source.media
    if view is None or media is None:
        return ""
    if short:
        return f"SOURCE {view.media[0].name}"
    marks = state.source.marks.get(media, SourceMarks())
    have = [
        f"{label} {frames_to_timecode(frame, view.fps)}"
        for label, frame in (("in", marks.in_), ("out", marks.out))
        if frame is not None
    ]
    return f"SOURCE {view.media[0].name}" + (" · " + " ".join(have) if have else "")
