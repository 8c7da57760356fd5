"""The status line: a long message never runs into the file name; a message from another project
does not outlive opening a new one."""

from __future__ import annotations

from pathlib import Path

from tests.tui.conftest import make_app, three_clips
from tui.widgets.status_line import StatusLine


async def test_long_messages_stop_before_the_title() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right", "s")  # an edit: the dirty mark shows
        app.editor.message = "added pixel7_h264_1080p_vfr_rot180_videoonly.mp4 " * 3
        app.editor._refresh_views()
        await pilot.pause()
        text = app.editor.query_one(StatusLine).render().plain
        before, mark, _ = text.partition("● three")
        assert mark and before.endswith("  ") and "…" in before, text


async def test_opening_a_project_replaces_the_old_message(tmp_path: Path, tiny_media: dict[str, Path]) -> None:
    from core.model import project as proj

    other = proj.save(proj.new_from_media(tmp_path / "other.toml", [str(tiny_media["a"])]))
    app = make_app(three_clips())
    async with app.run_test(size=(100, 30)) as pilot:
        app.editor.message = "saved broken.toml"
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#path").value = str(other.path)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert app.editor.message == "opened other.toml"


async def test_the_source_label_stays_beside_the_mark_message_at_80_columns() -> None:
    """#26: with the playhead on the OUT mark the message about the marks pushed ``SOURCE name``
    out of the status line."""
    app = make_app(three_clips())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("b", "right", "i", *["right"] * 10, "o")
        await pilot.pause()
        text = app.editor.query_one(StatusLine).render().plain
        assert "SOURCE a.mp4" in text and "source 00" in text, text
        await pilot.press("left")  # no message: the note and the help hint never run together
        await pilot.pause()
        text = app.editor.query_one(StatusLine).render().plain
        assert "SOURCE a.mp4" in text and "…?" not in text, text
