"""The multi-selection (``v`` marks clips, ctrl+a all, esc none) and the clipboard (copy, cut,
paste insert / overwrite, lift): the keys that take several clips.

The clipboard is part of ``EditorState``: clips name media, not timeline positions, so a copy stays
valid across edits and can be pasted many times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from core.errors import EditError
from core.model.timeline import Timeline
from tui.editor import editing
from tui.editor.actions.step import REDRAW, Context, Step, edit, move, refuse
from tui.editor.editing import Cursor


def _mark(ctx: Context, rule: Callable[[Timeline, Cursor], Cursor]) -> Step:
    try:
        cursor = rule(ctx.timeline, ctx.state.cursor)
    except EditError as exc:
        return refuse(ctx, exc)
    return move(ctx.but(replace(ctx.state, message="")), cursor)


def mark_clip(ctx: Context) -> Step:
    return _mark(ctx, editing.toggle_mark)


def mark_all(ctx: Context) -> Step:
    return _mark(ctx, editing.mark_all)


def mark_none(ctx: Context) -> Step:
    """Esc: no selection (clip, edge, marked clips); the keys act on the clip under the playhead."""
    step = _mark(ctx, lambda _tl, cur: editing.clear_selection(cur))
    return Step(replace(step.state, message="selection cleared"), (*step.effects, REDRAW))


def lift(ctx: Context) -> Step:
    return edit(ctx, editing.lift)


def _copy(ctx: Context) -> Step | EditError:
    try:
        clips = editing.copy(ctx.timeline, ctx.state.cursor)
    except EditError as exc:
        return exc
    return Step(replace(ctx.state, clipboard=clips))


def copy(ctx: Context) -> Step:
    copied = _copy(ctx)
    if isinstance(copied, EditError):
        return refuse(ctx, copied)
    n = len(copied.state.clipboard)
    return Step(replace(copied.state, message=f"copied {n} clip{'s' if n != 1 else ''}"), (REDRAW,))


def cut(ctx: Context) -> Step:
    copied = _copy(ctx)
    if isinstance(copied, EditError):
        return refuse(ctx, copied)
    return copied.then(ctx, lambda c: edit(c, editing.extract))


def paste(ctx: Context) -> Step:
    clips = ctx.state.clipboard
    return edit(ctx, lambda tl, cur: editing.paste(tl, cur, clips, overwrite=False))


def paste_over(ctx: Context) -> Step:
    clips = ctx.state.clipboard
    return edit(ctx, lambda tl, cur: editing.paste(tl, cur, clips, overwrite=True))
