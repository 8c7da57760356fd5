"""Loop playback (``L``) of the timeline range marked with ``I`` / ``O`` (or the selected clip).

The player's position reports wrap back to the range's start (``wrapped``), so looping works with
libmpv and the stand-in clock alike; the ruler draws the range (``shown_range``).
"""

from __future__ import annotations

from dataclasses import replace

from core.errors import EditError
from core.timebase import frames_to_timecode
from tui.editor import editing
from tui.editor.actions.state import EditorState
from tui.editor.actions.step import REDRAW, Context, Effect, Notify, Seek, Step, navigate, set_transport
from tui.editor.transport import Transport


def _set_loop(ctx: Context) -> Step:
    """The loop over the marked range (or the selected clip); refused: loop off, with a toast."""
    try:
        loop = editing.loop_range(ctx.timeline, ctx.state.cursor, ctx.state.range_marks)
    except EditError as exc:
        return Step(replace(ctx.state, loop=None), (Notify(str(exc), "warning"),))
    return Step(replace(ctx.state, loop=loop))


def _mark_range(ctx: Context, edge: editing.Edge) -> Step:
    marks = editing.mark_source(ctx.state.range_marks, edge, ctx.state.cursor.playhead)
    step = Step(replace(ctx.state, range_marks=marks))
    if ctx.state.loop is not None:
        step = step.then(ctx, _set_loop)
    fps = ctx.timeline.fps
    parts = [f"{n} {frames_to_timecode(f, fps)}" for n, f in (("in", marks.in_), ("out", marks.out)) if f is not None]
    return Step(replace(step.state, message="range " + " ".join(parts) + " · L loops it"), (*step.effects, REDRAW))


def range_in(ctx: Context) -> Step:
    return _mark_range(ctx, "in")


def range_out(ctx: Context) -> Step:
    return _mark_range(ctx, "out")


def loop(ctx: Context) -> Step:
    """L: play the range over and over (again: loop off, playback goes on)."""
    if ctx.state.loop is not None:
        return Step(replace(ctx.state, loop=None, message="loop off"), (REDRAW,))
    step = _set_loop(ctx)
    looped = step.state.loop
    if looped is None:
        return step
    fps = ctx.timeline.fps
    message = f"loop {frames_to_timecode(looped.start, fps)}–{frames_to_timecode(looped.end, fps)} (L: off)"
    step = Step(replace(step.state, message=message), step.effects)
    # navigating clears the message, as it always has: the ruler shows the loop instead
    step = step.then(ctx, lambda c: navigate(c, lambda tl, cur: editing.seek(tl, cur, looped.start)))
    return step.then(ctx, lambda c: set_transport(c, Transport(1.0)))


def wrapped(ctx: Context, frame: int) -> Step | None:
    """A playback position: the step back into the loop range when it ran past; None otherwise."""
    state = ctx.state
    if state.loop is None or state.source.view is not None:
        return None
    target = editing.loop_wrap(state.loop, frame, state.transport.speed)
    if target is None:
        return None
    effects: tuple[Effect, ...] = (Seek(target), REDRAW)
    return Step(replace(state, cursor=editing.seek(ctx.timeline, state.cursor, target)), effects)


def shown_range(state: EditorState, duration: int) -> tuple[int, int] | None:
    """The range drawn on the ruler: the loop, else the marked in/out (timeline view only)."""
    if state.source.view is not None:
        return None
    if state.loop is not None:
        return state.loop.start, state.loop.end
    marks = state.range_marks
    if marks.in_ is None and marks.out is None:
        return None
    return (marks.in_ or 0, marks.out if marks.out is not None else duration)
