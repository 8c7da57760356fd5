"""Names with control characters (a file called ``a\\x1b[2Jb.mp4``, a project named with an OSC
title sequence) are shown escaped by the editor's widgets and notifications, never written to
the terminal raw, where they would clear the screen and wipe the layout (#31)."""

from __future__ import annotations

import pytest

from core.model.project import Project
from core.model.timeline import Clip, Timeline
from tests.tui.conftest import FPS, make_app, ref
from tui.editor import project_form
from tui.widgets.media_bin import media_lines
from tui.widgets.status_line import StatusLine
from tui.widgets.timeline_view import TimelineView

EVIL = "a\x1b]0;pwned\x07\x1b[2Jb.mp4"


def _evil_project() -> Project:
    return Project(
        "n\x1b[2J", Timeline(FPS, (ref("a", EVIL, 10), ref("b", "gone\x1b[2J", online=False)), (Clip("a", 0, 200),))
    )


def test_the_media_bin_shows_control_characters_escaped() -> None:
    for media in _evil_project().timeline.media:
        lines = "".join(media_lines(media, FPS))
        assert "\x1b" not in lines and "\x07" not in lines
        assert "\\x1b[2J" in lines


async def test_status_line_timeline_and_notifications_escape_names() -> None:
    app = make_app(_evil_project())
    async with app.run_test(size=(120, 30)) as pilot:
        app.editor.message = f"added {EVIL}"
        app.editor._refresh_views()
        app.notify(f"cannot open {EVIL}\nsecond line", title=EVIL, severity="error")
        await pilot.pause()
        status = app.editor.query_one(StatusLine).render().plain
        assert "\x1b" not in status and "added a\\x1b]0;pwned\\x07" in status, status
        view = app.editor.query_one(TimelineView)
        drawn = "".join(seg.text for y in range(view.size.height) for seg in view.render_line(y))
        assert "\x1b" not in drawn and "\\x1b" in drawn
        shown = [(n.message, n.title) for n in app._notifications]
        assert (
            "cannot open a\\x1b]0;pwned\\x07\\x1b[2Jb.mp4\nsecond line",
            "a\\x1b]0;pwned\\x07\\x1b[2Jb.mp4",
        ) in shown


@pytest.mark.parametrize("text", ["1e999999999", "1E+999999999 fps"])
def test_a_huge_rate_in_the_settings_form_is_refused_at_once(text: str) -> None:
    # the text is checked before any Fraction is made: this used to take minutes and hundreds of MB
    with pytest.raises(ValueError, match="is not a frame rate"):
        project_form.parse_rate(text)
