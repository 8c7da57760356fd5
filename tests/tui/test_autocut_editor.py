"""The editor's automatic cuts (#29): palette command → settings dialog → analysis on a thread (the
keys work meanwhile, the status line shows it) → what would go → enter applies one undoable edit.

The analysis is the real one on the generated talk (``tests.core.talk``); a gate holds its start so
the test can press keys while it is known to be running."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from core.model import project as proj
from tests.core.talk import make_talk
from tests.tui.conftest import make_app
from tui.app import LivecutApp
from tui.editor import autocut
from tui.editor.document import Document
from tui.screens.autocut import AutocutConfirm, AutocutScreen
from tui.widgets.status_line import StatusLine


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The analysis starts only when the gate opens (then it runs for real)."""
    opened = threading.Event()
    real = autocut.analyse

    def held(*args: Any, **kwargs: Any) -> autocut.Proposal:
        assert opened.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(autocut, "analyse", held)
    return opened


def _talk_app(tmp_path: Path) -> LivecutApp:
    media = make_talk(tmp_path / "talk.mp4")
    return make_app(Document(proj.new_from_media(tmp_path / "talk.toml", [str(media)])))


async def _start(app: LivecutApp, pilot: Any, title: str, fields: dict[str, str]) -> None:
    command = next(c for c in app.get_system_commands(app.screen) if c.title == title)
    command.callback()
    await pilot.pause()
    assert isinstance(app.screen, AutocutScreen)
    for name, value in fields.items():
        app.screen.query_one(f"#{name}", Input).value = value
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def test_remove_silences_from_the_palette_is_one_undo_and_keys_work_meanwhile(
    tmp_path: Path, gate: threading.Event
) -> None:
    app = _talk_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        editor = app.editor
        original = editor.document.timeline
        assert original.duration == 360
        await _start(app, pilot, "Remove silences…", {"margin": "0.1"})
        assert app.screen is editor and editor._analysis is not None
        await pilot.press("right", "right")
        await pilot.pause()
        assert editor.cursor.playhead == 2  # the editor's keys work while the analysis runs
        assert "silence 0%" in editor.query_one(StatusLine).status.job
        gate.set()
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, AutocutConfirm):
                break
        assert isinstance(app.screen, AutocutConfirm)
        assert "2 stretches, 2.60 s removed (12.00 s → 9.40 s)" in app.screen.proposal.summary()
        assert editor.document.timeline == original  # nothing applied before enter
        await pilot.press("enter")
        await pilot.pause()
        cut = editor.document.timeline
        assert cut.duration == 282  # what `livecut autocut --silence -40:0.5 --margin 0.1` gives
        assert [(p.start, p.end) for p in cut.placed()] == [(0, 93), (93, 219), (219, 282)]
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.document.timeline == original  # one undo restores it


async def test_the_cancel_key_stops_the_analysis_and_nothing_changes(tmp_path: Path, gate: threading.Event) -> None:
    app = _talk_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        editor = app.editor
        original = editor.document.timeline
        await _start(app, pilot, "Split at scene changes…", {})
        assert editor._analysis is not None
        await pilot.press(app.key_name("cancel_export"))
        gate.set()
        for _ in range(200):
            await pilot.pause(0.05)
            if editor._analysis is None:
                break
        assert editor.message == "analysis cancelled"
        assert app.screen is editor and editor.document.timeline == original


async def test_split_at_scene_changes_on_the_selected_clip(tmp_path: Path, gate: threading.Event) -> None:
    app = _talk_app(tmp_path)
    gate.set()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        editor = app.editor
        await pilot.press("tab")  # select the one clip
        await pilot.pause()
        await _start(app, pilot, "Split at scene changes…", {})
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, AutocutConfirm):
                break
        assert isinstance(app.screen, AutocutConfirm)
        assert app.screen.proposal.summary() == "2 splits in 1 selected clip"
        await pilot.press("enter")
        await pilot.pause()
        ends = [p.end for p in editor.document.timeline.placed()]
        assert len(ends) == 3 and abs(ends[0] - 120) <= 1 and abs(ends[1] - 240) <= 1 and ends[2] == 360
