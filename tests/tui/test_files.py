"""Files through the real app: save and reopen, save as, open, quit with unsaved changes,
autosave and recovery, offline media, adding good and bad files through the media bin, themes."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

from core.cells.plan import SegmentState
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from tests.tui.conftest import make_app, three_clips
from tui.app import LivecutApp, run_editor
from tui.editor.document import Document
from tui.screens.choice import ChoiceScreen
from tui.screens.path_prompt import PathPrompt
from tui.settings.config import Config, load_config
from tui.widgets.media_bin import MediaBin
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView

SIZE = (100, 30)


def notes(app: LivecutApp) -> list[str]:
    """Toasts (warnings, errors) and the status line's message (notes)."""
    return [n.message for n in app._notifications] + [app.editor.message]


def project_on_disk(folder: Path, media: dict[str, Path], *, missing: bool = False) -> Path:
    """A saved project using two tiny media files (one of them moved away when ``missing``)."""
    doc = Document.new(folder / "p.toml")
    a = proj.media_ref("a", str(media["a"]), folder)
    b = proj.media_ref("b", str(media["b"]), folder)
    doc.apply("build", lambda tl: tl.add_media(a).add_media(b).append(Clip("a", 0, 60)).append(Clip("b", 0, 30)))
    path = doc.save()
    if missing:
        text = path.read_text().replace(str(media["b"].resolve()), "gone/b.mp4")  # outside the folder: absolute
        path.write_text(text)
    return path


async def test_save_and_reopen(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    app = make_app(Document.open(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "right", "i", "ctrl+s")
        await pilot.pause()
        assert not app.document.dirty
        line = app.editor.query_one(StatusLine).render().plain
        assert "saved p.toml" in line and len(line) == 80  # messages win over the rest when narrow
    reopened = proj.load(path)
    assert reopened.timeline.clips == (Clip("a", 2, 60), Clip("b", 0, 30))
    assert reopened.timeline.media[0].online


async def test_new_project_save_asks_for_a_path(tmp_path: Path) -> None:
    app = make_app(Document(three_clips()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathPrompt)
        prompt = app.screen.query_one("#path")
        prompt.value = str(tmp_path / "cut")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert app.document.path == (tmp_path / "cut.toml").resolve()
        assert (tmp_path / "cut.toml").exists() and not app.document.dirty


async def test_save_as_asks_before_replacing(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    other = tmp_path / "other.toml"
    other.write_text("keep me")
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+w")
        await pilot.pause()
        app.screen.query_one("#path").value = str(other)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert other.read_text() == "keep me" and app.document.path == path.resolve()


async def test_quit_asks_when_unsaved() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")  # clean: would quit at once, so make it dirty in a second app
    assert app.return_code == 0
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        assert "before quitting" in app.screen.question
        await pilot.press("escape")  # cancel: still editing
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen) and app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("ctrl+d")  # discard (never a bare letter: #26)
        await pilot.pause()
    assert app.return_code == 0


async def test_quit_and_save(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "ctrl+q")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
    assert app.return_code == 0
    assert len(proj.load(path).timeline.clips) == 1


async def test_autosave_and_recovery(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    auto = proj.autosave_path(path)
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        app.autosave()
        assert not auto.exists()  # clean: nothing to autosave
        await pilot.press("x")
        app.autosave()
        assert auto.exists()
        assert len(proj.load(auto).timeline.clips) == 1
    os.utime(path, (1, 1))  # the project file is older than its autosave
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("r")
        await pilot.pause()
        assert len(app.document.timeline.clips) == 1 and app.document.dirty
        await pilot.press("ctrl+z")  # recovery is an edit like any other
        assert len(app.document.timeline.clips) == 2
        await pilot.press("ctrl+y", "ctrl+s")
        await pilot.pause()
        assert not auto.exists()  # a clean save removes the autosave


async def test_open_another_project(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    broken = tmp_path / "broken.toml"
    broken.write_text("version = 1\n[project]\nfps = 'abc'\n")
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        for target in (broken, path):
            await pilot.press("ctrl+o")
            await pilot.pause()
            app.screen.query_one("#path").value = str(target)  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
        assert any("broken.toml" in n for n in notes(app))
        assert app.document.path == path.resolve()
        assert app.editor.cursor.playhead == 0


async def test_offline_media_is_marked_and_still_editable(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media, missing=True)
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tl = app.document.timeline
        assert not tl.media_by_id("b").online
        assert SegmentState.OFFLINE in app.editor.snapshot.states
        view = app.editor.query_one(TimelineView)
        assert any("OFFLINE" in "".join(s.text for s in view.render_line(y)) for y in range(1, 4))
        await pilot.press("down", "right", "right", "i")
        assert app.document.timeline.clips[1] == Clip("b", 2, 30)


async def test_media_bin_adds_a_file_and_reports_a_bad_one(tiny_media: dict[str, Path]) -> None:
    app = make_app(Document.new())
    async with app.run_test(size=SIZE) as pilot:
        bin_ = app.editor.query_one(MediaBin)
        await pilot.press("a")
        assert bin_.input_open
        await pilot.press("s", "x", "i", "space")  # typed into the input, not editing keys
        assert bin_.query_one("#media-path").value == "sxi "  # type: ignore[attr-defined]
        bin_.query_one("#media-path").value = str(tiny_media["bad"])  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and not app.document.timeline.clips
        assert any("notes.mp4" in n for n in notes(app))
        await pilot.press("a")
        bin_.query_one("#media-path").value = str(tiny_media["c"])  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        tl = app.document.timeline
        assert [m.name for m in tl.media] == ["c.mp4"]
        # a new project takes the first clip's rate and size (c.mp4: 24000/1001, 48×36)
        assert tl.fps == Fraction(24000, 1001) and (app.document.project.width, app.document.project.height) == (48, 36)
        assert tl.clips == (Clip("a", 0, tl.media[0].length(tl.fps) or 0),)
        assert not bin_.input_open
        await pilot.press("ctrl+z")
        assert app.document.timeline == Timeline(tl.fps)


async def test_theme_from_flag_and_remembered(tmp_path: Path) -> None:
    config = Config(path=tmp_path / "config.toml")
    app = make_app(three_clips(), config=config, theme="light")
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "light"
        app.theme = "high-contrast"  # as the command palette does
        await pilot.pause()
    assert load_config(tmp_path / "config.toml")[0].theme == "high-contrast"
    app = make_app(three_clips(), config=Config(path=tmp_path / "c2.toml"), theme="nope")
    async with app.run_test(size=SIZE):
        assert app.theme == "dark"
        assert any("unknown theme" in n for n in notes(app))


def test_run_editor_reports_a_bad_project(tmp_path: Path) -> None:
    import argparse

    import pytest

    from core.errors import ProjectError

    bad = tmp_path / "bad.toml"
    bad.write_text("not toml [")
    with pytest.raises(ProjectError, match=r"bad\.toml"):
        run_editor(argparse.Namespace(project=str(bad), theme=None, preview="none", workers=None))


async def test_autosave_timer_writes_while_dirty(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    app = make_app(Document.open(path), autosave_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause(0.3)
        assert proj.autosave_path(path).exists()
        assert app.editor.message == f"autosaved {proj.autosave_path(path).name}"


async def test_default_theme_is_not_written_to_config(tmp_path: Path) -> None:
    app = make_app(three_clips(), config=Config(path=tmp_path / "config.toml"))
    async with app.run_test(size=SIZE):
        assert app.theme == "dark"
    assert not (tmp_path / "config.toml").exists()


async def test_an_autosave_of_undone_work_is_never_offered(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    """Split, autosave, undo, quit: the autosave held only undone work and must not come back."""
    path = project_on_disk(tmp_path, tiny_media)
    auto = proj.autosave_path(path)
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "s")
        app.autosave()
        assert auto.exists()
        await pilot.press("ctrl+z")
        app.autosave()  # the next autosave tick after the undo
        assert not auto.exists()
        await pilot.press("s")
        app.autosave()
        await pilot.press("ctrl+z")
        await pilot.press("ctrl+q")  # clean: quits without asking, and removes the stale autosave
        await pilot.pause()
    assert not auto.exists()


async def test_an_autosave_equal_to_the_file_is_removed_not_offered(
    tmp_path: Path, tiny_media: dict[str, Path]
) -> None:
    path = project_on_disk(tmp_path, tiny_media)
    auto = proj.autosave_path(path)
    auto.write_bytes(path.read_bytes())  # same content, newer time
    os.utime(path, (1, 1))
    app = make_app(Document.open(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceScreen)
        assert not auto.exists()


async def test_adding_a_damaged_file_warns_where(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    """A file with a broken packet is added (its frames are concealed), with a warning naming the time."""
    from core.synthetic.testpattern import make_source

    source = make_source(tmp_path / "d.mp4", frames=30, width=64, height=48, fps=30, audio=False, gop=5)
    with av.open(str(source)) as container:  # where frame 15's packet lies in the file
        packet = [p for p in container.demux(video=0) if p.size][15]
        assert packet.pos is not None
        offset = packet.pos
    data = bytearray(source.read_bytes())
    data[offset : offset + 8] = b"\xff" * 8  # its NAL length and header: the parser rejects it
    source.write_bytes(bytes(data))
    app = make_app(Document.new())
    async with app.run_test(size=SIZE) as pilot:
        bin_ = app.editor.query_one(MediaBin)
        await pilot.press("a")
        bin_.query_one("#media-path").value = str(source)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.document.timeline.clips) == 1
        assert any("d.mp4 is damaged" in n and " s" in n for n in notes(app)), notes(app)


def test_save_as_names_an_untitled_project_after_its_file(tmp_path: Path) -> None:
    doc = Document.new()
    assert doc.project.name == "untitled"
    doc.save(tmp_path / "new.toml")
    assert doc.project.name == "new" and proj.load(tmp_path / "new.toml").name == "new"
    doc.save(tmp_path / "copy.toml")  # a named project keeps its name through a save as (#26)
    assert doc.project.name == "new" and proj.load(tmp_path / "copy.toml").name == "new"
