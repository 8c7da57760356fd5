"""The export dialog through the real app (Pilot) and the real export engine on tiny media.

Each test writes its media and project into its own folder; the export cache is the per-test
one that ``tests/conftest.py`` points ``LIVECUT_CACHE_DIR`` at.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, Static

from core.errors import Cancelled
from core.export.render import ExportProgress, export_size
from core.media.info import probe
from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.tui.conftest import demo_like, make_app, three_clips
from tui.app import LivecutApp
from tui.editor.document import Document
from tui.screens import export as export_screen
from tui.screens.choice import ChoiceScreen
from tui.screens.export import ExportScreen
from tui.settings.config import Config

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
        assert time.monotonic() < deadline, f"timed out; the screen is {pilot.app.screen!r}: {_status_of(pilot.app)}"
        await pilot.pause(0.02)


def _status_of(app: object) -> str:
    screen = getattr(app, "screen", None)
    return status(app) if isinstance(screen, ExportScreen) else ""  # type: ignore[arg-type]


def dialog(app: LivecutApp) -> ExportScreen:
    assert isinstance(app.screen, ExportScreen)
    return app.screen


def status(app: LivecutApp) -> str:
    return str(dialog(app).query_one("#export-status", Static).render())


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


async def test_exports_the_unsaved_timeline_with_progress(tmp_path: Path) -> None:
    path = project_file(tmp_path)
    seen: list[ExportProgress] = []

    def hook(message: Message) -> None:
        if isinstance(message, ExportScreen.Progressed):
            seen.append(message.progress)

    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.press(*["right"] * 10, "i")  # trim clip 1 to start at frame 10: 20 + 30 frames
        assert app.document.dirty
        await pilot.press("ctrl+e")
        assert dialog(app).query_one("#output", Input).value == str(tmp_path / "p.mp4")
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ExportScreen))
        assert app.document.dirty  # exporting does not save
    info = probe(tmp_path / "p.mp4")
    assert info.video is not None and info.audio is not None
    assert info.video.frame_count == 50 and (info.video.width, info.video.height) == (160, 120)
    assert abs(float(info.duration) - 50 / 30) < 0.05
    assert {p.stage for p in seen} == {"encode", "join"}
    # said on the status line, not in a toast over the timeline (#14)
    assert app.editor.message.startswith("exported p.mp4: 1.7 s, 160×120, in ")
    assert not any("p.mp4" in n.message for n in app._notifications)


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
        dialog(app).query_one("#output", Input).value = "renders"  # a folder, relative to the project's
        dialog(app).query_one("#height", Input).value = "60"
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ExportScreen))
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
        await until(pilot, lambda: not isinstance(app.screen, ExportScreen))
        assert "loudness -" in app.editor.message and "not limited" in app.editor.message
    with av.open(str(tmp_path / "p.mp4")) as c:
        sound = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    assert abs(pyloudnorm.Meter(48000).integrated_loudness(sound.T.astype(np.float64)) + 23) <= 1.0


@pytest.mark.timeout(30)
async def test_cancel_stops_within_a_second_and_leaves_nothing(tmp_path: Path) -> None:
    project_file(tmp_path, frames=300)
    out = tmp_path / "p.mp4"
    app = make_app(Document.open(tmp_path / "p.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        dialog(app).query_one("#height", Input).value = "720"  # upscaled: long enough to cancel
        await pilot.press("enter")
        await until(pilot, lambda: status(app).startswith("encoding"))
        await pilot.press("escape")
        t0 = time.monotonic()
        await until(pilot, lambda: not dialog(app).running)
        assert time.monotonic() - t0 < 1.5
        assert status(app) == f"cancelled: {out} was not written"
        assert not out.exists() and leftovers(tmp_path) == []
        await pilot.press("escape")  # now escape closes the dialog
        assert not isinstance(app.screen, ExportScreen)
        assert app.is_running


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
        await until(pilot, lambda: not isinstance(app.screen, ExportScreen))
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
        await until(pilot, lambda: not screen.running)
        assert status(app) == f"{tmp_path / 'missing'}: the output folder does not exist"
        assert screen.query_one("#export-status").has_class("error")
        assert app.is_running and app.screen is screen


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
        await pilot.press("escape")  # nothing running: closes
        assert not isinstance(app.screen, ExportScreen)


def test_dialog_mid_export(snap_compare, monkeypatch: pytest.MonkeyPatch) -> None:
    """The running dialog with a fixed progress report (a stand-in engine waits to be cancelled)."""

    def stand_in(
        *_args: object, cancel: threading.Event, on_progress: Callable[[ExportProgress], None], **_kwargs: object
    ) -> NoReturn:
        on_progress(ExportProgress("encode", 420, 900, 4, 1))
        cancel.wait(10)
        raise Cancelled

    monkeypatch.setattr(export_screen, "export", stand_in)

    async def start(pilot: Pilot) -> None:
        await pilot.press("ctrl+e", "enter")
        await until(pilot, lambda: status(pilot.app).startswith("encoding"))  # type: ignore[arg-type]

    assert snap_compare(make_app(demo_like()), terminal_size=(100, 30), run_before=start)


async def test_the_bar_starts_at_zero_not_full_looking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the first progress report the bar says 0 %, not an indeterminate bar that looks full."""
    from textual.widgets import ProgressBar

    started = threading.Event()

    def stand_in(*_args: object, cancel: threading.Event, **_kwargs: object) -> NoReturn:
        started.set()
        cancel.wait(10)
        raise Cancelled

    monkeypatch.setattr(export_screen, "export", stand_in)
    app = make_app(demo_like())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e", "enter")
        await until(pilot, started.is_set)
        bar = dialog(app).query_one("#export-bar", ProgressBar)
        assert bar.percentage == 0.0
        await pilot.press("escape")
        await pilot.pause()
