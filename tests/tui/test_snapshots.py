"""Snapshots of the editor (pytest-textual-snapshot): deterministic, with no engine and no clock.

Projects are made of values (media facts without files), segment states come from a
``SyntheticBridge``, and the preview frame is drawn by ``core.synthetic.testpattern``; nothing blinks
because nothing has focus.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.pilot import Pilot

from core.cells.plan import SegmentState
from core.model.timeline import Clip
from core.synthetic.testpattern import draw_frame
from tests.tui.conftest import SyntheticBridge, demo_like, make_app, ref, synthetic_snapshot
from tui.bridge.messages import PreviewFrame
from tui.editor.document import Document

S = SegmentState


def demo_with_offline() -> Document:
    project = demo_like()
    tl = project.timeline.add_media(ref("d", "interview.mov", online=False)).append(Clip("d", 0, 45))
    return Document(replace(project, timeline=tl))


MIXED = {2: S.ENCODING, 3: S.ENCODING, 4: S.QUEUED, 5: S.QUEUED, 8: S.PENDING, 9: S.PENDING, 10: S.PENDING}


def mixed_bridge() -> SyntheticBridge:
    return SyntheticBridge(lambda tl: synthetic_snapshot(tl, states=MIXED, progress={2: 0.6, 3: 0.25}))


async def show_frame(pilot: Pilot) -> None:
    app = pilot.app
    await pilot.press("down", "shift+right", "tab", "tab", "right_square_bracket")
    app.screen.post_message(PreviewFrame(draw_frame(142, 320, 180, label="B")))  # type: ignore[attr-defined]
    await pilot.pause()


def test_empty_project(snap_compare) -> None:
    assert snap_compare(make_app(Document.new()), terminal_size=(80, 24))


def test_demo_mixed_segment_states(snap_compare) -> None:
    app = make_app(demo_with_offline(), bridge=mixed_bridge())
    assert snap_compare(app, terminal_size=(120, 36), run_before=show_frame)


def test_demo_small_terminal(snap_compare) -> None:
    app = make_app(demo_with_offline(), bridge=mixed_bridge())
    assert snap_compare(app, terminal_size=(80, 24), run_before=show_frame)


def test_help_screen(snap_compare) -> None:
    assert snap_compare(make_app(demo_with_offline()), terminal_size=(120, 36), press=["question_mark"])


def test_failed_segment(snap_compare) -> None:
    bridge = SyntheticBridge(
        lambda tl: synthetic_snapshot(
            tl,
            states={5: S.FAILED, 6: S.ENCODING},
            progress={6: 0.5},
            errors={5: "c.mp4: cannot decode frame 120 (invalid data)"},
        )
    )
    app = make_app(demo_like(), bridge=bridge)
    assert snap_compare(app, terminal_size=(100, 30), press=["down", "down", "shift+right", "plus"])


def test_high_contrast_theme(snap_compare, tmp_path: Path) -> None:
    app = make_app(demo_with_offline(), bridge=mixed_bridge(), theme="high-contrast")
    assert snap_compare(app, terminal_size=(100, 30), press=["tab", "tab", "left_square_bracket"])


def test_selection_marker_without_colour(snap_compare, monkeypatch) -> None:
    """A clip selected with tab is bracketed and a clip marked with v has a ✓, so the selection
    reads in monochrome (NO_COLOR) too; the playhead is elsewhere and the status line says
    which clip the keys act on."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(demo_like())
    assert snap_compare(app, terminal_size=(120, 30), press=["down", "down", "v", "tab", "tab", "tab", "right"])
