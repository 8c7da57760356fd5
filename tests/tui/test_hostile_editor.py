"""Hostile project files opened in the editor (ctrl+o): the error is shown, the open project stays,
and the editor keeps answering keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.conftest import make_app, three_clips

SIZE = (100, 30)


def _text(text: str | bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "hostile.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return make


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe.toml")
    return tmp / "pipe.toml"


HOSTILE: dict[str, Callable[[Path], Path]] = {
    "fps inf": _text("version = 1\n[project]\nname = 'x'\nfps = inf\n"),
    "deep nesting": _text("version = 1\nx = " + "[" * 50_000 + "]" * 50_000 + "\n"),
    "binary": _text(b"\x00\xff\xfe garbage"),
    "a FIFO": _fifo,
    "/dev/zero": lambda _tmp: Path("/dev/zero"),
    "huge size": _text("version = 1\n[project]\nname = 'x'\nfps = '30'\nwidth = 16384\nheight = 16384\n"),
    "offline for a billion frames": _text(
        "version = 1\n[project]\nname = 'x'\nfps = '30'\n[[media]]\nid = 'a'\npath = 'gone.mp4'\n"
        "[[clips]]\nmedia = 'a'\nin = 0\nout = 1000000000\n"
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_project_is_refused_and_the_editor_stays_usable(case: str, tmp_path: Path) -> None:
    target = HOSTILE[case](tmp_path)
    app = make_app(three_clips())
    async with app.run_test(size=SIZE) as pilot:
        before = app.document.timeline
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#path").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any(target.name in text for text in shown), shown
        assert app.document.timeline is before
        await pilot.press("right", "right")
        assert app.editor.cursor.playhead == 2  # still answering keys
