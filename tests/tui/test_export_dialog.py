"""Exporting from the editor through the real app (Pilot) and the real export engine on tiny media.

The dialog only asks; Enter queues the export (``core.export.queue``) and closes it, and the
editor's keys work while the film is written. Each test writes its media and project into its
own folder; the export cache is the per-test one that ``tests/conftest.py`` points
``LIVECUT_CACHE_DIR`` at. Exports that must still be running when keys land are upscaled to
720 lines: a few seconds on this machine's two cores.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import pytest
from textual import events
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Static

from core.errors import Cancelled, LivecutError
from core.export import queue as export_queue
from core.export.queue import JobProgressed
from core.export.render import ExportProgress, export_size
from core.media.info import probe
from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.core.test_smart_export import TRIMS, _expected, _indices, _project, _source
from tests.tui.conftest import demo_like, make_app, three_clips
from tui.app import LivecutApp
from tui.editor.document import Document
from tui.screens.choice import ChoiceScreen
from tui.screens.editor import ExportChanged
from tui.screens.export import ExportScreen
from tui.settings.config import Config
from tui.widgets.status_line import StatusLine

SIZE = (100, 30)


def notes(app: LivecutApp) -> list[str]:
    """Toasts (warnings, errors) and the status line's message (notes)."""
    return [n.message for n in app._notifications] + [app.editor.message]


def project_file(folder: Path, frames: int = 30) -> Path:
    """Two clips of ``frames`` frames, 160×120 at 30 fps, with sound, saved as ``p.toml``."""
    a = make_source(folder / "a.mp4", frames=frames, width=160, height=120, fps=30, label="A")
    b = make_source(folder / "b.mp4", frames=frames, width=160, height=120, fps=30, label="B", tone_hz=660)
    saved = proj.save(proj.new_from_media(folder / "p.toml", [str(a), str(b)]))
    assert saved.path is not None
    return saved.path


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out; the screen is {pilot.app.screen!r}: {_said(pilot.app)}"
        await pilot.pause(0.02)


def _said(app: object) -> str:
    if not isinstance(app, LivecutApp):
        return ""
    return status(app) if isinstance(app.screen, ExportScreen) else repr(app.editor.message)


def dialog(app: LivecutApp) -> ExportScreen:
    assert isinstance(app.screen, ExportScreen)
    return app.screen


def status(app: LivecutApp) -> str:
    """The dialog's line."""
    return str(dialog(app).query_one("#export-status", Static).render())


def job(app: LivecutApp) -> str:
    """The status line's export part."""
    return app.editor.query_one(StatusLine).status.job


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def send(app: LivecutApp, *keys: str) -> None:
    """Type ``keys`` as a terminal does. Not ``Pilot.press``: after each key it waits for the
    process to go idle (up to 1 s, twice), and a running export keeps it busy; the tests wait
    for what the keys do instead."""
    for key in keys:
        app.post_message(events.Key(key, "\r" if key == "enter" else key if len(key) == 1 else None))


async def start_export(pilot: Pilot, app: LivecutApp, height: str = "", output: str = "") -> None:
    """ctrl+e, the fields, Enter: the dialog is gone at once."""
    send(app, "ctrl+e")
    await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.focused is not None)
    if height:
        dialog(app).query_one("#height", Input).value = height
    if output:
        dialog(app).query_one("#output", Input).value = output
    send(app, "enter")
    await until(pilot, lambda: app.screen is app.editor, timeout=1.0)  # the next key goes to the editor


async def test_keys_act_while_the_export_runs_and_it_writes_the_timeline_as_it_was(tmp_path: Path) -> None:
    """#26 item 6: the editor was locked for the whole export."""
    path = project_file(tmp_path, frames=60)
    seen: list[ExportProgress] = []

    def hook(message: Message) -> None:
        if isinstance(message, ExportChanged) and isinstance(message.event, JobProgressed):
            seen.append(message.event.progress)

    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        editor = app.editor
        await start_export(pilot, app, height="480")
        await until(pilot, lambda: editor.exports.running is not None and job(app).startswith("export "))
        exporting: list[bool] = []

        def acted(done: Callable[[], bool]) -> Callable[[], bool]:
            """``done``, noting whether the export still ran when it became true."""

            def check() -> bool:
                if done():
                    exporting.append(editor.exports.running is not None)
                    return True
                return False

            return check

        send(app, *["right"] * 10)
        await until(pilot, acted(lambda: editor.cursor.playhead == 10))
        send(app, "down", "x")  # the second clip is deleted while the film is written
        await until(pilot, acted(lambda: len(app.document.timeline.clips) == 1))
        assert exporting == [True, True] and app.document.dirty
        assert job(app).startswith("export ") and job(app).endswith("% → p.mp4")
        await until(pilot, lambda: editor.message.startswith("exported"), timeout=60)
        assert job(app) == ""
    info = probe(tmp_path / "p.mp4")
    assert info.video is not None and info.audio is not None
    assert info.video.frame_count == 120 and (info.video.width, info.video.height) == export_size(
        proj.load(path), 480
    )  # both clips: the timeline when Enter was pressed
    assert abs(float(info.duration) - 120 / 30) < 0.05
    assert {p.stage for p in seen} == {"encode", "join"}
    # said on the status line, not in a toast over the timeline (#14)
    assert editor.message.startswith("exported p.mp4: 4.0 s, 640×480, in ")
    assert not any("p.mp4" in n.message for n in app._notifications)  # no toast: the status line says it


async def test_a_second_export_waits_for_the_first_and_writes_its_own_timeline(tmp_path: Path) -> None:
    project_file(tmp_path, frames=60)
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        await start_export(pilot, app, height="480")
        send(app, "down", "x")
        await until(pilot, lambda: app.document.timeline.duration == 60)
        await start_export(pilot, app, height="120", output="short.mp4")
        assert len(editor.exports.waiting) == 1
        assert editor.message == "export of short.mp4 queued behind 1"
        assert job(app).endswith("→ p.mp4 · 1 queued")
        await until(pilot, lambda: editor.message.startswith("exported short.mp4"), timeout=60)
        assert not editor.exports.busy
    long, short = probe(tmp_path / "p.mp4"), probe(tmp_path / "short.mp4")
    assert long.video is not None and long.video.frame_count == 120
    assert short.video is not None and short.video.frame_count == 60 and short.video.height == 120


async def test_a_file_being_exported_is_not_asked_for_twice(tmp_path: Path) -> None:
    project_file(tmp_path, frames=60)
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await start_export(pilot, app, height="720")
        send(app, "ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.focused is not None)
        send(app, "enter")
        said = f"{tmp_path / 'p.mp4'} is being exported already; wait for it, or cancel it first."
        await until(pilot, lambda: status(app) == said)
        send(app, "escape")
        await until(pilot, lambda: app.screen is app.editor)
        assert app.editor.exports.running is not None and len(app.editor.exports.waiting) == 0


@pytest.mark.timeout(30)
async def test_the_cancel_key_stops_within_a_second_and_leaves_nothing(tmp_path: Path) -> None:
    project_file(tmp_path, frames=60)
    out = tmp_path / "p.mp4"
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        await start_export(pilot, app, height="720")
        assert editor.message == "exporting p.mp4 (E cancels)"
        await until(pilot, lambda: (p := editor.export_progress()) is not None and p.done > 0)
        t0 = time.monotonic()
        send(app, "E")
        await until(pilot, lambda: not editor.exports.busy)
        assert time.monotonic() - t0 < 1.5
        await until(pilot, lambda: editor.message == "export cancelled: p.mp4 was not written")
        assert not out.exists() and leftovers(tmp_path) == []
        await pilot.press("E")
        assert editor.message == "no export is running"
        assert app.is_running


async def test_quitting_during_an_export_asks_and_cancelling_it_leaves_nothing(tmp_path: Path) -> None:
    project_file(tmp_path, frames=60)
    out = tmp_path / "p.mp4"
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await start_export(pilot, app, height="720")
        await start_export(pilot, app, output="second.mp4")
        send(app, "ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert (
            isinstance(app.screen, ChoiceScreen)
            and app.screen.question.startswith("p.mp4 is ")
            and app.screen.question.endswith("% exported and 1 more export is queued. Quitting cancels it.")
        )
        await until(pilot, lambda: app.screen.shown_at is not None)  # type: ignore[attr-defined]
        send(app, "escape")  # keep working
        await until(pilot, lambda: app.screen is app.editor)
        assert app.is_running and app.editor.exports.running is not None
        send(app, "ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen) and app.screen.shown_at is not None)
        send(app, "ctrl+x")  # cancel the export and quit (a ctrl chord, never a letter: #26)
        await until(pilot, lambda: not app.is_running)
    assert app.return_code == 0
    assert not out.exists() and not (tmp_path / "second.mp4").exists() and leftovers(tmp_path) == []


async def test_a_failed_export_says_why_and_the_next_one_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = export_queue.export

    def failing_first(project: proj.Project, output: object, *args: object, **kwargs: object) -> object:
        if Path(str(output)).name == "p.mp4":
            raise LivecutError("/media/a.mp4: the file is offline")
        return real(project, output, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(export_queue, "export", failing_first)
    project_file(tmp_path)
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await start_export(pilot, app)
        await until(pilot, lambda: app.editor.message.startswith("export of p.mp4 failed"))
        said = "export of p.mp4 failed: /media/a.mp4: the file is offline"
        assert app.editor.message == said
        await until(pilot, lambda: said in notes(app))  # a toast too: the next key replaces the message
        await start_export(pilot, app, output="q.mp4")
        await until(pilot, lambda: app.editor.message.startswith("exported q.mp4"), timeout=30)


async def test_new_project_exports_beside_the_working_folder_with_height(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    clip = proj.load(project_file(tmp_path))
    doc = Document.new()
    doc.apply("build", lambda _tl: clip.timeline)
    (tmp_path / "renders").mkdir()
    app = make_app(doc)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        assert dialog(app).query_one("#output", Input).value == str(tmp_path / "untitled.mp4")
        await pilot.press("escape")
        await start_export(pilot, app, height="60", output="renders")  # a folder, relative to the project's
        await until(pilot, lambda: app.editor.message.startswith("exported renders/untitled.mp4"), timeout=30)
    info = probe(tmp_path / "renders" / "untitled.mp4")
    assert info.video is not None and (info.video.width, info.video.height) == export_size(doc.project, 60)
    assert info.video.frame_count == 60


async def test_the_loudness_field_normalises_and_the_summary_says_it(tmp_path: Path) -> None:
    """#26: an export dialog option for a loudness target; the status line says what was done."""
    import av
    import numpy as np
    import pyloudnorm

    path = project_file(tmp_path)
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        dialog(app).query_one("#loudness", Input).value = "-99"
        await pilot.press("enter")
        assert "loudness must be between" in status(app) and isinstance(app.screen, ExportScreen)
        dialog(app).query_one("#loudness", Input).value = "-23"
        await pilot.press("enter")
        assert app.screen is app.editor  # queued: the dialog closes at once
        await until(pilot, lambda: app.editor.message.startswith("exported p.mp4"), timeout=30)
        assert "loudness -" in app.editor.message and "not limited" in app.editor.message
    with av.open(str(tmp_path / "p.mp4")) as c:
        sound = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    assert abs(pyloudnorm.Meter(48000).integrated_loudness(sound.T.astype(np.float64)) + 23) <= 1.0


async def test_the_smart_choice_copies_gops_and_the_status_line_says_how_many(tmp_path: Path) -> None:
    """#28: the dialog's smart checkbox (tab reaches it, space ticks it, Enter on it queues); the
    film is frame-exact and the status line counts copied and encoded frames, or says why not."""
    project = proj.save(_project(tmp_path, [_source(tmp_path, "a.mp4")], TRIMS))
    assert project.path is not None
    app = make_app(Document.open(project.path))
    async with app.run_test(size=SIZE) as pilot:
        send(app, "ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.focused is not None)
        smart = dialog(app).query_one("#smart", Checkbox)
        send(app, "tab", "tab", "tab", "tab")  # output, height, CRF, loudness, smart
        await until(pilot, lambda: app.focused is smart)
        send(app, "space")
        await until(pilot, lambda: smart.value)
        send(app, "enter")  # queues (it does not untick)
        await until(pilot, lambda: app.screen is app.editor, timeout=1.0)
        await until(pilot, lambda: app.editor.message.startswith("exported p.mp4"), timeout=60)
        assert "; 72 frames copied, 22 encoded; " in app.editor.message
        await start_export(pilot, app, output="plain.mp4")  # the choice is not remembered: ordinary
        await until(pilot, lambda: app.editor.message.startswith("exported plain.mp4"), timeout=60)
        assert "copied" not in app.editor.message
        send(app, "ctrl+e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.focused is not None)
        dialog(app).query_one("#height", Input).value = "48"
        dialog(app).query_one("#output", Input).value = "small.mp4"
        dialog(app).query_one("#smart", Checkbox).value = True
        send(app, "enter")
        await until(pilot, lambda: app.editor.message.startswith("exported small.mp4"), timeout=60)
        assert "; smart copied nothing: --height 48 asks for another size" in app.editor.message
    assert _indices(tmp_path / "p.mp4") == _expected(TRIMS)
    assert _indices(tmp_path / "plain.mp4") == _expected(TRIMS)


async def test_existing_file_is_replaced_only_when_confirmed(tmp_path: Path) -> None:
    project_file(tmp_path)
    out = tmp_path / "p.mp4"
    out.write_text("keep me")
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e", "enter")
        assert isinstance(app.screen, ChoiceScreen) and str(out) in app.screen.question
        await pilot.press("escape")
        assert status(app) == "not exported: the file exists"
        assert out.read_text() == "keep me"
        await pilot.press("enter")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("ctrl+r")  # replace (never a bare letter: #26)
        assert app.screen is app.editor
        await until(pilot, lambda: app.editor.message.startswith("exported p.mp4"), timeout=30)
    info = probe(out)
    assert info.video is not None and info.video.frame_count == 60


async def test_errors_are_shown_in_the_dialog(tmp_path: Path) -> None:
    project_file(tmp_path)
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        screen = dialog(app)
        screen.query_one("#crf", Input).value = "99"
        await pilot.press("enter")
        assert status(app) == "the CRF must be between 0 and 51."
        screen.query_one("#crf", Input).value = "28"
        screen.query_one("#output", Input).value = str(tmp_path / "missing" / "film.mp4")
        await pilot.press("enter")
        assert status(app) == f"{tmp_path / 'missing'}: the output folder does not exist."
        assert screen.query_one("#export-status").has_class("error")
        assert app.is_running and app.screen is screen and not app.editor.exports.busy


async def test_empty_timeline_is_refused_without_a_dialog() -> None:
    app = make_app(Document.new())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        assert not isinstance(app.screen, ExportScreen)
        assert "the timeline is empty, nothing to export" in notes(app)


async def test_export_key_is_remappable(tmp_path: Path) -> None:
    app = make_app(three_clips(), config=Config(keys={"export": "f5"}, path=tmp_path / "config.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        assert not isinstance(app.screen, ExportScreen)
        await pilot.press("f5")
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("tab")  # no completion to take: on to the height
        assert app.focused is app.screen.query_one("#height")
        await pilot.press("escape")  # closes
        assert not isinstance(app.screen, ExportScreen)


def test_status_line_mid_export(snap_compare, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The editor while an export runs and one waits: a fixed progress report in the status line
    (a stand-in engine waits to be cancelled)."""

    def stand_in(
        *_args: object, cancel: threading.Event, on_progress: Callable[[ExportProgress], None], **_kwargs: object
    ) -> NoReturn:
        on_progress(ExportProgress("encode", 420, 900, 4, 1))
        cancel.wait(10)
        raise Cancelled

    monkeypatch.setattr(export_queue, "export", stand_in)

    async def start(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, LivecutApp)
        await start_export(pilot, app)
        await start_export(pilot, app, output="second.mp4")
        await until(pilot, lambda: job(app) == "export 42% → demo.mp4 · 1 queued")

    project = replace(demo_like(), path=tmp_path / "demo.toml")  # the film goes to a folder that exists
    assert snap_compare(make_app(project), terminal_size=(100, 30), run_before=start)
