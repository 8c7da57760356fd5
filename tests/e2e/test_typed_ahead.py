"""Keys typed ahead of a question never answer it (#26), through the real editor in tmux.

"Save the changes … before importing a timeline?" used to take single letters at once: a path
typed right after the command, sent in one burst (a fast typist, a paste, ssh), hit ``d`` in
``edit1.otio`` and discarded the work, and the path box got ``it1.otio``. Now keys made before
the question is drawn are not answers, Discard has no letter, and the typed path waits for the
prompt that follows the question.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.model import project as proj
from tests.e2e.test_path_typing import Tmux, _field, editor

__all__ = ["editor"]  # the fixture, used by name

pytestmark = [pytest.mark.slow]


def _make_dirty(tmux: Tmux) -> None:
    tmux("send-keys", "-t", "e", "x")  # delete the clip under the playhead: unsaved changes
    tmux.wait_for("● demo.toml")


@pytest.mark.timeout(120)
def test_a_path_typed_after_import_timeline_does_not_discard(editor: tuple[Tmux, Path]) -> None:
    tmux, folder = editor
    _make_dirty(tmux)
    tmux("send-keys", "-t", "e", "C-p")
    tmux.wait_for("Search for commands")
    tmux("send-keys", "-t", "e", "-l", "Import timeline")
    tmux.wait_for("Import timeline…")
    time.sleep(1.0)  # the palette's search has settled: enter runs the one match
    tmux("send-keys", "-t", "e", "Enter", *"edit1.otio")  # the command, then the path: one burst
    shown = tmux.wait_for("before importing a timeline")
    time.sleep(1.5)  # every typed key has arrived by now
    shown = tmux.screen()
    assert "before importing a timeline" in shown, shown  # not answered by the typed letters
    assert "import timeline (" not in shown
    tmux("send-keys", "-t", "e", "s")  # now the user answers: save
    shown = tmux.wait_for("import timeline (")
    time.sleep(0.5)
    assert _field(tmux.screen()).endswith("edit1.otio"), tmux.screen()
    assert len(proj.load(folder / "demo.toml").timeline.clips) == 0  # saved, not discarded


@pytest.mark.timeout(120)
def test_keys_typed_before_the_question_cannot_answer_it(editor: tuple[Tmux, Path]) -> None:
    """ctrl+o and a path in one burst: the question stays; ctrl+d discards deliberately, and the
    path typed ahead lands in the open prompt."""
    tmux, folder = editor
    _make_dirty(tmux)
    tmux("send-keys", "-t", "e", "C-o", *"dsd.toml")  # one burst; d, s: Discard and Save, if they counted
    tmux.wait_for("before opening another project")
    time.sleep(1.5)
    assert "before opening another project" in tmux.screen()
    assert "Discard (ctrl+d)" in tmux.screen()
    tmux("send-keys", "-t", "e", "C-d")
    tmux.wait_for("open project")
    time.sleep(0.5)
    assert _field(tmux.screen()).endswith("dsd.toml"), tmux.screen()
    assert len(proj.load(folder / "demo.toml").timeline.clips) == 1  # discarded on purpose: file untouched
