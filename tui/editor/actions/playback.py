"""Space and J/K/L: the transport (the speed ladder itself is ``tui.editor.transport``)."""

from __future__ import annotations

from tui.editor.actions.step import Context, Step, set_transport


def play_pause(ctx: Context) -> Step:
    return set_transport(ctx, ctx.state.transport.toggle())


def shuttle_forward(ctx: Context) -> Step:
    return set_transport(ctx, ctx.state.transport.forward())


def shuttle_back(ctx: Context) -> Step:
    return set_transport(ctx, ctx.state.transport.backward())


def stop(ctx: Context) -> Step:
    return set_transport(ctx, ctx.state.transport.stop())
