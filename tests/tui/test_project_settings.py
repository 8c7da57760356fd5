"""The project settings dialog (P, or the command palette): fields checked with the model's limits,
one undoable edit, the preview engine started again, a frame rate change that keeps source times,
and the saved TOML."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from core.model.project import Project
from core.model.timeline import Clip, Marker, Timeline, gap
from tests.tui.conftest import make_app, ref, three_clips
from tui.app import LivecutApp
from tui.bridge.bridge import Bridge
from tui.editor import project_form
from tui.editor.document import Document, ProjectSettings
from tui.screens.project_settings import ProjectSettingsScreen

SIZE = (100, 30)


class CountingBridge(Bridge):
    """A bridge without an engine that remembers every project it was opened with."""

    def __init__(self) -> None:
        super().__init__(preview="none", engine=False)
        self.opened: list[Project] = []

    def open(self, project: Project, frame_size: tuple[int, int]) -> None:
        self.opened.append(project)
        super().open(project, frame_size)


# -- the form ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("25", Fraction(25)),
        ("29.97", Fraction(30000, 1001)),
        ("30000/1001", Fraction(30000, 1001)),
        ("24000/1001", Fraction(24000, 1001)),
        ("23.976 fps", Fraction(24000, 1001)),
        ("59.94", Fraction(60000, 1001)),
        (" 50 ", Fraction(50)),
    ],
)
def test_rates_are_read_as_the_model_reads_them(text: str, rate: Fraction) -> None:
    assert project_form.parse_rate(text) == rate


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"name": "  "}, "name", "give the project a name"),
        ({"fps": "fast"}, "fps", "is not a frame rate"),
        ({"fps": "0"}, "fps", "between 0 and 1000"),
        ({"size": "1920"}, "size", "width×height"),
        ({"size": "1921x1080"}, "size", "the width must be even"),
        ({"size": "1920x1081"}, "size", "the height must be even"),
        ({"size": "10000x100"}, "size", "between 2 and 8192"),
        ({"size": "8192x8192"}, "size", "more than H.264 can encode"),
        ({"preview_height": "4000"}, "preview_height", "between 16 and 2160"),
        ({"preview_height": "big"}, "preview_height", "in pixels"),
    ],
)
def test_each_wrong_field_says_why(fields: dict[str, str], field: str, says: str) -> None:
    texts = {"name": "demo", "fps": "30", "size": "1920×1080", "preview_height": "360", **fields}
    checked = project_form.check(texts)
    assert checked.settings is None and list(checked.errors) == [field]
    assert says in checked.errors[field]


def test_a_right_form_gives_the_settings() -> None:
    checked = project_form.check({"name": " my  film ", "fps": "25", "size": "1280x720", "preview_height": "540p"})
    assert checked.settings == ProjectSettings("my film", Fraction(25), 1280, 720, 540)
    assert project_form.field_texts(checked.settings)["size"] == "1280×720"


# -- a new rate keeps source times ---------------------------------------------------------------------
def test_a_new_rate_keeps_source_times_and_cut_points() -> None:
    tl = replace(three_clips().timeline, markers=(Marker(60, "b"), Marker(61, "next")))
    at25 = tl.at_rate(Fraction(25))
    # clips at 30 fps: [0,60) a 0-60, [60,150) b 100-190, [150,180) a 200-230
    assert at25.clips == (Clip("a", 0, 50), Clip("b", 83, 158), Clip("a", 167, 192))
    assert at25.starts() == (0, 50, 125) and at25.duration == 150  # 2 s, 5 s, 6 s: the same times
    assert at25.markers == (Marker(50, "b"), Marker(51, "next"))
    assert at25.at_rate(Fraction(30)).clips[0] == tl.clips[0]
    double = tl.at_rate(Fraction(60))
    assert double.at_rate(Fraction(30)) == tl  # an exact multiple goes back unchanged


def test_a_new_rate_stays_inside_the_media_and_keeps_gaps() -> None:
    media = (ref("a", "a.mp4", 2),)  # 60 frames at 30 fps
    tl = Timeline(Fraction(30), media, (Clip("a", 1, 60), gap(15), Clip("a", 59, 60)))
    ntsc = tl.at_rate(Fraction(30000, 1001))
    length = media[0].length(Fraction(30000, 1001))
    assert length is not None
    assert all(c.out <= length for c in ntsc.clips if c.media)
    assert ntsc.clips[1] == gap(15) and ntsc.clips[2].length == 1


# -- the dialog ----------------------------------------------------------------------------------------
async def fill(app: LivecutApp, **texts: str) -> ProjectSettingsScreen:
    screen = app.screen
    assert isinstance(screen, ProjectSettingsScreen)
    for name, text in texts.items():
        screen.query_one(f"#{name}").value = text  # type: ignore[attr-defined]
    return screen


def error_of(screen: ProjectSettingsScreen, name: str) -> str:
    return str(screen.query_one(f"#{name}-error").render())


async def test_the_dialog_edits_the_settings_as_one_undoable_edit(tmp_path: Path) -> None:
    project = replace(three_clips(), path=tmp_path / "three.toml")
    bridge = CountingBridge()
    app = make_app(Document(project), bridge=bridge)
    async with app.run_test(size=SIZE) as pilot:
        ed = app.editor
        await pilot.press(*["right"] * 90)  # frame 90 = 3 s
        await pilot.press("P")
        assert isinstance(app.screen, ProjectSettingsScreen)
        assert app.screen.texts() == {"name": "three", "fps": "30", "size": "1920×1080", "preview_height": "360"}
        screen = await fill(app, fps="thirty", size="1921x1080", preview_height="9999")
        await pilot.pause()
        assert "is not a frame rate" in error_of(screen, "fps")
        assert "the width must be even" in error_of(screen, "size")
        assert "between 16 and 2160" in error_of(screen, "preview_height")
        assert error_of(screen, "name") == ""
        await pilot.press("enter")  # refused: the dialog stays, nothing changes
        assert app.screen is screen and not app.document.dirty
        await fill(app, name="holiday", fps="25", size="1280x720", preview_height="540")
        await pilot.pause()
        note = str(screen.query_one("#note").render())
        assert "30 fps → 25 fps" in note and "keep their source times" in note
        opened = len(bridge.opened)
        await pilot.press("enter")
        assert not isinstance(app.screen, ProjectSettingsScreen)
        doc = app.document
        assert doc.settings == ProjectSettings("holiday", Fraction(25), 1280, 720, 540)
        assert doc.dirty and doc.history.undo_label == "project name, frame rate, size, preview height"
        assert doc.timeline.clips[1] == Clip("b", 83, 158)  # the same source times at 25 fps
        assert ed.cursor.playhead == 75  # still 3 s in
        assert len(bridge.opened) == opened + 1  # the preview engine started again on the new project
        assert bridge.opened[-1].fps == 25 and bridge.opened[-1].preview_height == 540
        assert ed.message == "project name, frame rate, size, preview height: holiday · 25 fps · 1280×720"

        await pilot.press("ctrl+z")  # one undo restores every setting and the timeline
        assert doc.settings == ProjectSettings("three", Fraction(30), 1920, 1080, 360)
        assert doc.timeline == three_clips().timeline and not doc.dirty
        assert ed.cursor.playhead == 90 and bridge.opened[-1].fps == 30
        await pilot.press("ctrl+y", "ctrl+s")
        await pilot.pause()
        saved = tomllib.loads((tmp_path / "three.toml").read_text())
        assert saved["project"] == {"name": "holiday", "fps": "25", "width": 1280, "height": 720}
        assert saved["preview"]["height"] == 540
        assert [(c["in"], c["out"]) for c in saved["clips"]] == [(0, 50), (83, 158), (167, 192)]
        assert not doc.dirty


async def test_a_name_only_change_keeps_the_preview_and_esc_cancels() -> None:
    bridge = CountingBridge()
    app = make_app(three_clips(), bridge=bridge)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await fill(app, name="renamed", fps="24000/1001")
        await pilot.press("escape")  # cancelled: nothing happened
        assert not isinstance(app.screen, ProjectSettingsScreen)
        assert app.document.settings.name == "three" and not app.document.dirty
        opened = len(bridge.opened)
        await pilot.press("P")
        await fill(app, name="renamed")
        await pilot.press("enter")
        assert app.document.settings.name == "renamed" and app.document.history.undo_label == "project name"
        assert len(bridge.opened) == opened  # the name is not something the preview is made of
        await pilot.press("P", "enter")  # nothing changed: no edit
        assert app.document.history.undo_label == "project name"
        assert app.editor.message == "project settings unchanged"


async def test_the_command_palette_offers_project_settings() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Project settings (name, rate, size)…" in titles


async def test_not_in_the_source_view() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "P")  # the source view shows a bin item: settings wait for the timeline
        assert not isinstance(app.screen, ProjectSettingsScreen)
        await pilot.press("escape", "P")
        assert isinstance(app.screen, ProjectSettingsScreen)


def _sevens() -> Project:
    """Three 7-frame clips at 30 fps: cut points that are no whole frame of 25 fps."""
    return Project("sevens", Timeline(Fraction(30), (ref("a", "a.mp4", 10),), tuple(Clip("a", 0, 7) for _ in range(3))))


def test_the_moved_cut_points_of_a_rate_change_are_named_with_their_times() -> None:
    tl = _sevens().timeline
    at25 = tl.at_rate(Fraction(25))
    back = at25.at_rate(Fraction(30))
    assert (tl.duration, at25.duration, back.duration) == (21, 18, 22)  # the round trip adds a frame
    there = project_form.moved_cuts(tl, Fraction(25))
    assert [m.what for m in there] == [
        "clip 1's source out",
        "clip 2's start",
        "clip 2's source out",
        "clip 3's start",
        "clip 3's source out",
        "the end",
    ]
    assert there[-1] == project_form.MovedCut("the end", Fraction(21, 30), Fraction(18, 25))
    home = project_form.moved_cuts(at25, Fraction(30))
    assert home[-1] == project_form.MovedCut("the end", Fraction(18, 25), Fraction(22, 30))
    assert project_form.moved_cuts(tl, Fraction(60)) == ()  # an exact multiple moves nothing
    assert "every cut point stays exactly" in project_form.rate_change_note(tl, Fraction(60))


async def test_a_rate_round_trip_says_before_applying_which_cut_points_move() -> None:
    """#26: 30 → 25 → 30 lengthened the timeline by a frame without a word."""
    app = make_app(_sevens())
    async with app.run_test(size=SIZE) as pilot:
        for rate, end in (
            ("25", "20 ms (under a frame): the end 0.700 s → 0.720 s"),
            ("30", "27 ms (under a frame): the end 0.720 s → 0.733 s"),
        ):
            await pilot.press("P")
            screen = await fill(app, fps=rate)
            await pilot.pause()
            note = str(screen.query_one("#note").render())
            assert "6 cut points move by up to " + end in note, note
            assert "and 3 more" in note, note
            await pilot.press("enter")
            await pilot.pause()
        assert app.document.timeline.duration == 22


def test_the_dialog_with_a_wrong_field(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def wrong(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("P")
        await fill(pilot.app, fps="29.97", size="1279x720")
        await pilot.pause()

    assert snap_compare(make_app(three_clips()), terminal_size=(100, 30), run_before=wrong)


def test_save_as_names_a_new_project_without_an_edit_to_undo(tmp_path: Path) -> None:
    doc = Document(replace(three_clips(), name="untitled"))
    doc.apply("split", lambda tl: tl.split(30))
    doc.save(tmp_path / "trip.toml")
    assert doc.settings.name == "trip" and not doc.dirty
    doc.undo()  # the split is undone; the name stays: saving is not an edit
    assert doc.settings.name == "trip" and len(doc.timeline.clips) == 3
    label = doc.change_settings(replace(doc.settings, name="holiday"))
    assert label == "project name" and doc.settings.name == "holiday"
    doc.save(tmp_path / "other.toml")  # a name the user chose is kept by a later "save as"
    assert doc.settings.name == "holiday"
    assert tomllib.loads((tmp_path / "other.toml").read_text())["project"]["name"] == "holiday"
