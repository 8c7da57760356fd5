"""Markers (``m`` toggles one at the playhead, ``M`` names it, shift+↑/↓ jump) and go to (``g``).

Go to and naming ask for a line of text: the action returns an ``Ask`` whose answer is another
action, run with the state at answer time (naming only applies if the playhead has not moved).
"""

from __future__ import annotations

from core.timebase import frames_to_timecode
from tui.editor import editing
from tui.editor.actions.step import Ask, Context, Step, edit, jump

GOTO_HINT = "01:02:03:04 · 2:10 · 90f · 2.5s · +2s · -10f   esc cancels"


def marker_next(ctx: Context) -> Step:
    return jump(ctx, editing.next_marker)


def marker_prev(ctx: Context) -> Step:
    return jump(ctx, editing.prev_marker)


def goto(ctx: Context) -> Step:
    def answered(now: Context, text: str | None) -> Step:
        if not text:
            return Step(now.state)
        return jump(now, lambda tl, cur: editing.goto(tl, cur, text))

    here = frames_to_timecode(ctx.state.cursor.playhead, ctx.timeline.fps)
    return Step(ctx.state, (Ask(f"go to (now {here})", "", GOTO_HINT, answered),))


def marker_toggle(ctx: Context) -> Step:
    return edit(ctx, editing.toggle_marker)


def marker_name(ctx: Context) -> Step:
    playhead = ctx.state.cursor.playhead
    marker = ctx.timeline.marker_at(playhead)

    def answered(now: Context, name: str | None) -> Step:
        if name is None or now.state.cursor.playhead != playhead:
            return Step(now.state)
        return edit(now, lambda tl, cur: editing.name_marker(tl, cur, name))

    title = f"marker at {frames_to_timecode(playhead, ctx.timeline.fps)}"
    return Step(ctx.state, (Ask(title, marker.name if marker else "", "enter names it · esc cancels", answered),))
