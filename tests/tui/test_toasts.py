"""Notes and toasts at 80×24 (#26): a note is said on the status line; a warning or error toast
stays in the media bin's column, never over the timeline or the segment bar."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget

from tests.tui.conftest import make_app, three_clips
from tui.widgets.media_bin import MediaBin
from tui.widgets.preview_pane import PreviewPane
from tui.widgets.segment_bar import SegmentBar
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView


def _is_toast(widget: Widget) -> bool:
    return type(widget).__name__ == "Toast"  # Textual's toast widget is not exported


LONG = "the loop cannot start here: " + "a rather long explanation of why, " * 6


async def test_toasts_cover_neither_timeline_nor_segment_bar_at_80x24() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify(LONG, title="cannot loop", severity="warning")
        app.notify("the preview stopped answering", severity="error")
        app.notify(LONG, severity="error")
        await pilot.pause()
        await pilot.pause()
        ed = app.editor
        top: dict[type[Widget], Region] = {
            kind: ed.query_one(kind).region for kind in (TimelineView, SegmentBar, StatusLine, PreviewPane, MediaBin)
        }
        covered = [(x, y) for y in range(24) for x in range(80) if _is_toast(app.screen.get_widget_at(x, y)[0])]
        assert covered, "no toast is shown"
        for x, y in covered:
            assert top[MediaBin].contains(x, y), (x, y, top[MediaBin])
            for kind in (TimelineView, SegmentBar, StatusLine, PreviewPane):
                assert not top[kind].contains(x, y), (kind.__name__, x, y)
        # what the toasts leave shown: the whole timeline and segment bar
        for kind in (TimelineView, SegmentBar):
            region = top[kind]
            assert all(
                app.screen.get_widget_at(x, y)[0] is ed.query_one(kind)
                for y in range(region.y, region.bottom)
                for x in range(region.x, region.right)
            ), kind.__name__


async def test_a_note_is_said_on_the_status_line_not_in_a_toast() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("ctrl+z")  # nothing to undo: a note
        await pilot.pause()
        assert not app._notifications
        assert app.editor.message == "nothing to undo"
        assert "nothing to un" in app.editor.query_one(StatusLine).render().plain
