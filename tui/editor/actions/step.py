"""What an action is given and what it gives back: plain values the screen applies.

Why effects as data: an action decides (a new ``EditorState``, perhaps an edit recorded in the
document's history) and the screen does (tells the bridge, redraws, opens a prompt, shows a toast).
Keeping the doing out of the actions lets them run in a test without Textual, a player or an
engine, and lets one reader see in ``Step.effects`` everything a key causes, in order. The
effects are few and each maps to one method of the screen (``tui.screens.editor``):

``Seek`` the player to a frame · ``Play`` (start, change speed or pause the player) · ``Redraw``
every view from the state · ``Still`` (decode the playhead's frame when its cell is not ready) ·
``TimelineChanged`` (the timeline shown was replaced: re-plan the engine, redraw) · ``Notify`` (a
note on the status line, or a toast for a warning) · ``Ask`` (a one-line prompt; its answer runs another action) · ``Scroll`` (the timeline's
first visible frame) · ``RestartPreview`` (the project's rate or sizes changed).

An edit is recorded in the ``Document`` while the action runs (the document is plain code and its
history is the undo); the screen only shows the outcome.

The helpers here are the four shapes most keys take: ``move`` the cursor, ``navigate`` (stop
playback, move), ``edit`` (run a rule of ``tui.editor.editing``, record it), ``set_transport``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from core.errors import EditError
from core.model.timeline import Timeline
from core.timebase import nominal_fps
from tui.editor import editing
from tui.editor.actions.state import EditorState
from tui.editor.document import Document
from tui.editor.editing import Cursor, Outcome
from tui.editor.transport import Transport

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True)
class Context:
    """What an action reads: the document (edits are recorded in it), the state, the view's width."""

    document: Document
    state: EditorState
    width: int = 1
    """Columns of the timeline view (zooms fit clips and frames to it)."""

    @property
    def timeline(self) -> Timeline:
        return self.document.timeline

    @property
    def shown(self) -> Timeline:
        return self.state.shown(self.document.timeline)

    @property
    def second(self) -> int:
        """Frames in one (nominal) second: the step of shift+arrows and ``<`` ``>``."""
        return nominal_fps(self.document.timeline.fps)

    def but(self, state: EditorState) -> Context:
        return replace(self, state=state)


@dataclass(frozen=True)
class Seek:
    frame: int


@dataclass(frozen=True)
class Play:
    """Tell the player the transport: play at its speed, or pause."""

    transport: Transport


@dataclass(frozen=True)
class Redraw:
    pass


@dataclass(frozen=True)
class Still:
    pass


@dataclass(frozen=True)
class TimelineChanged:
    pass


@dataclass(frozen=True)
class Notify:
    text: str
    severity: Severity = "information"


@dataclass(frozen=True)
class Ask:
    """A one-line prompt; ``answer`` runs with the context at answer time and the text (None: esc)."""

    title: str
    initial: str
    hint: str
    answer: Callable[[Context, str | None], Step]


@dataclass(frozen=True)
class Scroll:
    first: int


@dataclass(frozen=True)
class RestartPreview:
    pass


Effect = Seek | Play | Redraw | Still | TimelineChanged | Notify | Ask | Scroll | RestartPreview
REDRAW = Redraw()


@dataclass(frozen=True)
class Step:
    """An action's outcome: the new state, then what the screen must do, in order."""

    state: EditorState
    effects: tuple[Effect, ...] = ()

    def then(self, ctx: Context, action: Callable[[Context], Step]) -> Step:
        """This step followed by ``action`` run on the state it left."""
        after = action(ctx.but(self.state))
        return Step(after.state, self.effects + after.effects)


Action = Callable[[Context], Step]
"""What a key runs."""


def say(ctx: Context, message: str) -> Step:
    """Only a new status message."""
    return Step(replace(ctx.state, message=message), (REDRAW,))


def refuse(ctx: Context, exc: EditError | str, severity: Severity = "warning") -> Step:
    """Nothing changes; a toast (a note on the status line at ``information``) says why."""
    return Step(ctx.state, (Notify(str(exc), severity),))


def move(ctx: Context, cursor: Cursor, *, seek: bool = True) -> Step:
    """Move the playhead / selection (no edit): the player follows, the frame is shown."""
    moved = cursor.playhead != ctx.state.cursor.playhead
    effects: list[Effect] = []
    if moved and seek:
        effects.append(Seek(cursor.playhead))
    effects.append(REDRAW)
    if moved:
        effects.append(Still())
    return Step(replace(ctx.state, cursor=cursor), tuple(effects))


def set_transport(ctx: Context, transport: Transport) -> Step:
    """Play, shuttle or stop; nothing to play past says so instead of showing ▶ with no motion."""
    tl, message = ctx.shown, ctx.state.message
    if transport.playing:
        if tl.duration == 0:
            transport, message = transport.stop(), "nothing to play: the timeline is empty"
        elif transport.speed > 0 and ctx.state.cursor.playhead >= editing.last_frame(tl):
            transport, message = transport.stop(), "at the end of the timeline"
        elif transport.speed < 0 and ctx.state.cursor.playhead <= 0:
            transport, message = transport.stop(), "at the start of the timeline"
    return Step(replace(ctx.state, transport=transport, message=message), (Play(transport), REDRAW))


def navigate(ctx: Context, rule: Callable[[Timeline, Cursor], Cursor]) -> Step:
    """A navigation key: playback stops, the message clears, the cursor moves on the view shown."""
    first = Step(ctx.state)
    if ctx.state.transport.playing:
        first = set_transport(ctx, ctx.state.transport.stop())
    cleared = Step(replace(first.state, message=""), first.effects)
    return cleared.then(ctx, lambda c: move(c, rule(c.shown, c.state.cursor)))


def jump(ctx: Context, rule: Callable[[Timeline, Cursor], Cursor]) -> Step:
    """Navigate by a rule that may refuse (no marker there, a time that does not parse)."""
    try:
        rule(ctx.timeline, ctx.state.cursor)
    except EditError as exc:
        return refuse(ctx, exc, "information")
    return navigate(ctx, rule)


def edit(ctx: Context, rule: Callable[[Timeline, Cursor], Outcome]) -> Step:
    """An edit key: the rule's outcome is recorded in the history (one undo) and shown."""
    try:
        outcome = rule(ctx.timeline, ctx.state.cursor)
    except EditError as exc:
        return refuse(ctx, exc)
    ctx.document.apply(outcome.label, lambda _tl: outcome.timeline)
    return Step(replace(ctx.state, cursor=outcome.cursor, message=outcome.label), (TimelineChanged(),))
