"""Applying an automatic cut (#29): the analysis's proposal as one undoable edit.

The analysis runs on a worker thread (the editor screen starts it); what it proposes arrives here
as a ``tui.editor.autocut.Proposal`` and is recorded in the document's history like any edit, so
one undo restores the timeline as it was. A proposal made for a timeline that has changed since
(the keys work while the analysis runs) is refused: its frames would fall on other material.
"""

from __future__ import annotations

from dataclasses import replace

from tui.editor import editing
from tui.editor.actions.step import Context, Step, TimelineChanged, refuse
from tui.editor.autocut import Proposal
from tui.editor.editing import Cursor


def apply_proposal(ctx: Context, proposal: Proposal | None) -> Step:
    """Enter in the confirmation: the proposal becomes one edit; None (esc) drops it."""
    if proposal is None:
        return Step(replace(ctx.state, message="automatic cut dropped"), (TimelineChanged(),))
    if ctx.timeline != proposal.timeline:
        return refuse(ctx, "the timeline changed during the analysis: run it again")
    if proposal.empty:
        return refuse(ctx, f"nothing to cut: {proposal.summary()}", "information")
    result = proposal.result
    if not result.clips:
        return refuse(ctx, "nothing would be left: every part is under the silence level")
    ctx.document.apply(proposal.label, lambda _tl: result)
    cursor = Cursor(editing.clamp(result, ctx.state.cursor.playhead))
    message = f"{proposal.label}: {proposal.summary()}"
    return Step(replace(ctx.state, cursor=cursor, message=message), (TimelineChanged(),))
