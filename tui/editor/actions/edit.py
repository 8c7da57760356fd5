"""The edits at the playhead (``i`` ``o`` trim, split, delete, move) and undo / redo.

Each edit is a rule of ``tui.editor.editing`` run through ``step.edit``: recorded in the document's
history as one undo, the cursor where the rule puts it. Undo and redo restore the project as a
whole, settings included: when the rate changes every position follows it by time, and when the
rate or a size changes the preview starts again (``RestartPreview``); so does an answer of the
project settings dialog (``apply_settings``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from core.timebase import frame_at_rate
from tui.editor import editing
from tui.editor.actions.state import EditorState
from tui.editor.actions.step import REDRAW, Context, Effect, RestartPreview, Step, TimelineChanged, edit, refuse
from tui.editor.document import ProjectSettings
from tui.editor.project_form import rate_hint
from tui.editor.transport import Transport


def trim_in(ctx: Context) -> Step:
    return edit(ctx, editing.trim_in)


def trim_out(ctx: Context) -> Step:
    return edit(ctx, editing.trim_out)


def split(ctx: Context) -> Step:
    return edit(ctx, editing.split)


def delete_clip(ctx: Context) -> Step:
    return edit(ctx, editing.delete)


def move_left(ctx: Context) -> Step:
    return edit(ctx, lambda tl, cur: editing.move(tl, cur, -1))


def move_right(ctx: Context) -> Step:
    return edit(ctx, lambda tl, cur: editing.move(tl, cur, 1))


def settings_moved(state: EditorState, before: ProjectSettings, after: ProjectSettings) -> Step:
    """The document's settings may differ from ``before`` (an apply, undo or redo): positions
    follow a new rate by time, and the preview engine starts again on a new rate or size."""
    effects: tuple[Effect, ...] = ()
    if after.fps != before.fps:
        old, new = before.fps, after.fps
        source = state.source
        state = replace(
            state,
            cursor=editing.cursor_at_rate(state.cursor, old, new),
            range_marks=editing.marks_at_rate(state.range_marks, old, new),
            source=replace(
                source,
                marks={m: editing.marks_at_rate(k, old, new) for m, k in source.marks.items()},
                playheads={m: frame_at_rate(f, old, new) for m, f in source.playheads.items()},
            ),
            loop=None,
            zoom=None,
        )
    if after.restarts_preview != before.restarts_preview:
        state = replace(state, transport=Transport())
        effects = (RestartPreview(),)
    return Step(state, effects)


def _history(ctx: Context, step: Callable[[], str | None], verb: str) -> Step:
    before = ctx.document.settings
    label = step()
    if label is None:
        return refuse(ctx, f"nothing to {verb.lower()}", "information")
    moved = settings_moved(ctx.state, before, ctx.document.settings)
    state = moved.state
    state = replace(state, cursor=editing.after_history(ctx.timeline, state.cursor), message=f"{verb} {label}")
    return Step(state, (*moved.effects, TimelineChanged()))


def undo(ctx: Context) -> Step:
    return _history(ctx, ctx.document.undo, "Undo")


def redo(ctx: Context) -> Step:
    return _history(ctx, ctx.document.redo, "Redo")


def apply_settings(ctx: Context, settings: ProjectSettings | None) -> Step:
    """The project settings dialog's answer: one undoable edit, then the preview on the new rate and sizes."""
    if settings is None:
        return Step(ctx.state)
    before = ctx.document.settings
    label = ctx.document.change_settings(settings)
    if label is None:
        return Step(replace(ctx.state, message="project settings unchanged"), (REDRAW,))
    moved = settings_moved(ctx.state, before, ctx.document.settings)
    message = f"{label}: {settings.name} · {rate_hint(settings.fps)} · {settings.width}×{settings.height}"
    return Step(replace(moved.state, message=message), (*moved.effects, TimelineChanged()))
