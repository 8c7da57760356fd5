"""Moving the playhead and the selection: arrows, edit points, start / end, tab, edges, clicks.

Second steps (shift+arrows) stop at edit points and markers when snapping is on (``S``, see
``view``); single-frame steps are exact. None of these edit: they move the ``Cursor``.
"""

from __future__ import annotations

from tui.editor import editing
from tui.editor.actions.step import Context, Step, move, navigate


def _step(ctx: Context, frames: int) -> Step:
    return navigate(ctx, lambda tl, cur: editing.seek(tl, cur, cur.playhead + frames))


def frame_back(ctx: Context) -> Step:
    return _step(ctx, -1)


def frame_forward(ctx: Context) -> Step:
    return _step(ctx, 1)


def _second_step(ctx: Context, frames: int) -> Step:
    if ctx.state.snapping:
        return navigate(ctx, lambda tl, cur: editing.snapped_seek(tl, cur, frames))
    return _step(ctx, frames)


def second_back(ctx: Context) -> Step:
    return _second_step(ctx, -ctx.second)


def second_forward(ctx: Context) -> Step:
    return _second_step(ctx, ctx.second)


def prev_edit(ctx: Context) -> Step:
    return navigate(ctx, editing.prev_edit)


def next_edit(ctx: Context) -> Step:
    return navigate(ctx, editing.next_edit)


def go_start(ctx: Context) -> Step:
    return navigate(ctx, lambda tl, cur: editing.seek(tl, cur, 0))


def go_end(ctx: Context) -> Step:
    return navigate(ctx, lambda tl, cur: editing.seek(tl, cur, editing.last_frame(tl)))


def click(ctx: Context, frame: int) -> Step:
    """A click on the timeline: the playhead goes there (never past the last frame)."""
    return navigate(ctx, lambda tl, cur: editing.seek(tl, cur, min(frame, editing.last_frame(tl))))


def select_next(ctx: Context) -> Step:
    return move(ctx, editing.pick(ctx.shown, ctx.state.cursor, 1))


def select_prev(ctx: Context) -> Step:
    return move(ctx, editing.pick(ctx.shown, ctx.state.cursor, -1))


def edge_in(ctx: Context) -> Step:
    return move(ctx, editing.toggle_edge(ctx.state.cursor, "in"))


def edge_out(ctx: Context) -> Step:
    return move(ctx, editing.toggle_edge(ctx.state.cursor, "out"))
