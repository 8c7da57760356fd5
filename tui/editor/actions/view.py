"""The timeline's zooms (in, out, fit, to the selected clip, to frames) and snapping (``S``).

Zooms are state (``EditorState.zoom``, frames per column; None fits the timeline); the scroll that
follows the playhead is the screen's (``tui.editor.viewport.layout``), except that zooming to a clip
or to frames says where the view starts (``Scroll``). They need the view's width (``Context.width``).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from tui.editor import editing, viewport
from tui.editor.actions.step import REDRAW, Context, Scroll, Step, refuse
from tui.editor.viewport import FRAMES_FPC, clip_fpc


def _zoom(ctx: Context, step: int) -> Step:
    width = max(1, ctx.width)
    zoom = None if step == 0 else viewport.zoom(ctx.state.zoom, ctx.shown.duration, width, step)
    return Step(replace(ctx.state, zoom=zoom), (REDRAW,))


def zoom_in(ctx: Context) -> Step:
    return _zoom(ctx, 1)


def zoom_out(ctx: Context) -> Step:
    return _zoom(ctx, -1)


def zoom_fit(ctx: Context) -> Step:
    return _zoom(ctx, 0)


def _zoom_to(ctx: Context, fpc: Fraction, first: int) -> Step:
    return Step(replace(ctx.state, zoom=fpc), (Scroll(first), REDRAW))


def zoom_clip(ctx: Context) -> Step:
    tl = ctx.shown
    index = editing.selected(tl, ctx.state.cursor)
    if index is None:
        return refuse(ctx, "no clip to zoom to", "information")
    fpc = clip_fpc(tl.clips[index].length, max(1, ctx.width))
    return _zoom_to(ctx, fpc, tl.starts()[index] - int(fpc))


def zoom_frames(ctx: Context) -> Step:
    width = max(1, ctx.width)
    return _zoom_to(ctx, FRAMES_FPC, ctx.state.cursor.playhead - int(width * FRAMES_FPC / 2))


def snapping(ctx: Context) -> Step:
    on = not ctx.state.snapping
    return Step(replace(ctx.state, snapping=on, message=f"snapping {'on' if on else 'off'}"), (REDRAW,))
