"""The trim mode (``t`` cycles trim / roll / slip / slide) and the nudge keys that act by it.

The nudge keys (``,`` ``.`` ``<`` ``>``) are one set of keys for four trims (see
``tui.editor.editing``); the one-second ones stop at edit points and markers when snapping is on.
"""

from __future__ import annotations

from dataclasses import replace

from core.model.timeline import Timeline
from tui.editor import editing
from tui.editor.actions.step import REDRAW, Context, Step, edit
from tui.editor.editing import Cursor, Outcome, TrimMode

TRIM_HINTS: dict[TrimMode, str] = {
    "trim": "edge, ripple",
    "roll": "edit point",
    "slip": "source in place",
    "slide": "between neighbours",
}


def trim_mode(ctx: Context) -> Step:
    mode = editing.next_trim_mode(ctx.state.trim_mode)
    return Step(replace(ctx.state, trim_mode=mode, message=f"trim mode: {mode} ({TRIM_HINTS[mode]})"), (REDRAW,))


def trim(ctx: Context, frames: int) -> Step:
    """A nudge key: ``frames`` (±1 or ±1 second) in the current trim mode, snapped when on."""
    mode, snapping = ctx.state.trim_mode, ctx.state.snapping

    def rule(tl: Timeline, cur: Cursor) -> Outcome:
        delta = editing.snapped_trim(tl, cur, mode, frames) if snapping else frames
        return editing.trim_step(tl, cur, mode, delta)

    return edit(ctx, rule)


def nudge_back(ctx: Context) -> Step:
    return trim(ctx, -1)


def nudge_forward(ctx: Context) -> Step:
    return trim(ctx, 1)


def nudge_back_second(ctx: Context) -> Step:
    return trim(ctx, -ctx.second)


def nudge_forward_second(ctx: Context) -> Step:
    return trim(ctx, ctx.second)
