"""The editor's actions driven as plain code: a ``Document``, an ``EditorState``, no app.

What the screen does with a step (seek the player, redraw, prompt) is the ``effects`` tuple, so a
test reads it as data; the Pilot tests cover the screen applying it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from core.model.timeline import Clip, Marker
from tests.tui.conftest import three_clips
from tui.editor.actions import table
from tui.editor.actions.state import EditorState
from tui.editor.actions.step import REDRAW, Ask, Context, Notify, Play, Seek, Still, TimelineChanged
from tui.editor.document import Document
from tui.editor.editing import Cursor, SourceMarks
from tui.editor.transport import Transport
from tui.screens.editor import EditorScreen
from tui.settings.keys import KEYS

A, B, C = three_clips().timeline.clips  # a[0,60) b[100,190) a[200,230); a and b are 300 frames long


def context(state: EditorState | None = None, width: int = 80) -> Context:
    return Context(Document(three_clips()), state or EditorState(), width)


def run(ctx: Context, *ids: str) -> Context:
    """Press the keys ``ids`` one after another, as the screen would (state carried over)."""
    for key in ids:
        ctx = ctx.but(table.ACTIONS[key](ctx).state)
    return ctx


def test_every_editor_key_runs_one_action_of_the_table_or_of_the_screen() -> None:
    editor_ids = {spec.id for spec in KEYS if spec.scope == "editor"}
    assert set(table.ACTIONS) | table.SCREEN_ACTIONS == editor_ids
    assert not set(table.ACTIONS) & table.SCREEN_ACTIONS
    assert all(callable(getattr(EditorScreen, f"action_{key}", None)) for key in editor_ids)


def test_an_edit_is_recorded_in_the_history_and_asks_for_a_replan() -> None:
    ctx = context(EditorState(Cursor(70)))
    step = table.ACTIONS["split"](ctx)
    assert ctx.document.timeline.clips == (A, Clip("b", 100, 110), Clip("b", 110, 190), C)
    assert step.state.message == "split" and step.effects == (TimelineChanged(),)
    undone = table.ACTIONS["undo"](ctx.but(step.state))
    assert ctx.document.timeline.clips == (A, B, C) and undone.state.message == "Undo split"


def test_a_refused_edit_changes_nothing_and_says_why() -> None:
    ctx = context(EditorState(Cursor(0)))
    step = table.ACTIONS["split"](ctx)  # at a clip's first frame there is nothing to split
    assert step.state == ctx.state and ctx.document.timeline.clips == (A, B, C) and not ctx.document.dirty
    assert len(step.effects) == 1 and isinstance(step.effects[0], Notify) and step.effects[0].severity == "warning"
    assert "first frame of clip 1/3" in step.effects[0].text  # why: it is a cut already (#26)


def test_navigating_while_playing_pauses_the_player_then_seeks() -> None:
    ctx = context(EditorState(Cursor(10), Transport(1.0), message="playing"))
    step = table.ACTIONS["next_edit"](ctx)
    assert step.state.cursor.playhead == 60 and not step.state.transport.playing and step.state.message == ""
    assert step.effects == (Play(Transport()), REDRAW, Seek(60), REDRAW, Still())


def test_go_to_asks_and_its_answer_jumps() -> None:
    ctx = context()
    (ask,) = table.ACTIONS["goto"](ctx).effects
    assert isinstance(ask, Ask) and ask.title == "go to (now 00:00:00:00)"
    assert ask.answer(ctx, "+2s").effects == (Seek(60), REDRAW, Still())
    assert ask.answer(ctx, None).effects == ()
    assert isinstance(ask.answer(ctx, "soon").effects[0], Notify)  # does not parse: says so


def test_marker_name_applies_only_where_it_was_asked() -> None:
    ctx = context(EditorState(Cursor(30)))
    (ask,) = table.ACTIONS["marker_name"](ctx).effects
    assert isinstance(ask, Ask)
    moved = ctx.but(replace(ctx.state, cursor=Cursor(31)))
    assert ask.answer(moved, "here").effects == () and ctx.document.timeline.markers == ()
    ask.answer(ctx, "here")
    assert ctx.document.timeline.markers == (Marker(30, "here"),)


def test_source_view_marks_and_inserts_without_a_screen() -> None:
    ctx = run(context(EditorState(Cursor(60))), "source_next")
    assert ctx.state.source.view is not None and ctx.shown.clips == (Clip("a", 0, 300),)
    assert ctx.state.source.saved_cursor == Cursor(60)
    assert table.allowed("mark_in", in_source=True) and not table.allowed("trim_in", in_source=True)
    assert table.allowed("trim_in", in_source=False) and not table.allowed("mark_in", in_source=False)
    ctx = run(ctx.but(replace(ctx.state, cursor=Cursor(10))), "mark_in")
    ctx = run(ctx.but(replace(ctx.state, cursor=Cursor(40))), "mark_out")
    assert ctx.state.source.marks["a"] == SourceMarks(10, 41)
    ctx = run(ctx, "insert_edit")
    assert ctx.state.source.view is None and ctx.state.source.playheads == {"a": 40}
    assert ctx.document.timeline.clips == (A, Clip("a", 10, 41), B, C)


def test_the_actions_load_no_textual() -> None:
    code = (
        "import sys\n"
        "from tui.editor.actions import table\n"
        "from tui.editor.actions.step import Context\n"
        "from tui.editor.document import Document\n"
        "from tui.editor.actions.state import EditorState\n"
        "table.ACTIONS['trim_mode'](Context(Document.new(), EditorState()))\n"
        "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules), 'textual loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
