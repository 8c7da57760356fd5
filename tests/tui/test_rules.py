"""The editor's rules without a terminal: selection, edits, shuttle, scale, keys, config, themes."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import EditError
from core.model.timeline import Clip
from tests.tui.conftest import three_clips
from tui.editor import editing, viewport
from tui.editor.editing import Cursor
from tui.editor.suggest import MEDIA_EXTENSIONS, suggest_path
from tui.editor.transport import Transport
from tui.settings import keys
from tui.settings.config import Config, from_dict, load_config, save_config
from tui.settings.themes import load_themes, parse_theme, variable_defaults
from tui.theming import to_textual

TL = three_clips().timeline  # clips [0,60) a 0-60, [60,150) b 100-190, [150,180) a 200-230


# -- selection and navigation ----------------------------------------------------------------------
def test_selection_stays_when_the_playhead_moves_until_cleared() -> None:
    assert editing.selected(TL, Cursor(70)) == 1 and not editing.is_picked(TL, Cursor(70))
    first = editing.pick(TL, Cursor(70), 1)  # the first tab selects the clip under the playhead (#26)
    assert first.picked == 1 and first.playhead == 70 and editing.is_picked(TL, first)
    assert editing.pick(TL, Cursor(70), -1).picked == 1  # shift+tab too
    picked = editing.pick(TL, first, 1)
    assert picked.picked == 2 and picked.playhead == 70 and editing.selected(TL, picked) == 2
    moved = editing.seek(TL, picked, 10)
    assert editing.selected(TL, moved) == 2  # moving the playhead keeps the selection
    cleared = editing.clear_selection(replace(moved, edge="in", marked=frozenset({0})))
    assert cleared == Cursor(10)  # esc: the keys act on the clip under the playhead again
    assert editing.selected(TL, cleared) == 0
    assert editing.pick(TL, Cursor(0, picked=0), -1).picked == 2  # wraps
    assert editing.pick(TL, Cursor(180), 1).picked == 0  # past the end: the first clip


def test_edit_points_and_clamping() -> None:
    assert editing.next_edit(TL, Cursor(0)).playhead == 60
    assert editing.next_edit(TL, Cursor(150)).playhead == 179  # the end clamps to the last frame
    assert editing.prev_edit(TL, Cursor(100)).playhead == 60
    assert editing.prev_edit(TL, Cursor(0)).playhead == 0
    assert editing.seek(TL, Cursor(), -5).playhead == 0
    assert editing.seek(TL, Cursor(), 10_000).playhead == 179


# -- edits --------------------------------------------------------------------------------------------
def test_trim_in_and_out_show_the_new_edge() -> None:
    out = editing.trim_in(TL, Cursor(70))  # clip 1 shows source 110 at frame 70
    assert out.timeline.clips[1] == Clip("b", 110, 190)
    assert out.cursor == Cursor(60, None, "in")  # no selection before: none after
    out = editing.trim_out(TL, Cursor(70, picked=1))
    assert out.timeline.clips[1] == Clip("b", 100, 111)
    assert out.cursor == Cursor(70, 1, "out")  # a selection stays on its clip
    assert out.timeline.duration == 60 + 11 + 30


def test_keys_that_cut_at_the_playhead_need_it_in_the_selected_clip() -> None:
    for rule in (editing.trim_in, editing.trim_out, editing.split):
        with pytest.raises(EditError, match="not over the selected clip 1/3"):
            rule(TL, Cursor(70, picked=0))
    # clips 0 and 2 are the same media: the playhead in clip 2 never trims clip 0 with clip 2's frame
    with pytest.raises(EditError, match="not over the selected clip 1/3"):
        editing.trim_in(TL, Cursor(160, picked=0))


def test_nudge_needs_an_edge_and_stops_at_limits() -> None:
    with pytest.raises(EditError, match="select an edge"):
        editing.nudge(TL, Cursor(10), 1)
    out = editing.nudge(TL, Cursor(10, None, "in"), 1)
    assert out.timeline.clips[0] == Clip("a", 1, 60) and out.cursor.playhead == 0
    with pytest.raises(EditError, match="cannot move further"):
        editing.nudge(TL, Cursor(10, None, "in"), -1)  # already at source frame 0
    out = editing.nudge(TL, Cursor(10, None, "out"), -30)
    assert out.timeline.clips[0] == Clip("a", 0, 30) and out.cursor.playhead == 29


def test_split_delete_move_keep_the_picture_under_the_playhead() -> None:
    out = editing.split(TL, Cursor(100))
    assert [c.length for c in out.timeline.clips] == [60, 40, 50, 30]
    assert editing.selected(out.timeline, out.cursor) == 2
    with pytest.raises(EditError, match="first frame of clip"):
        editing.split(TL, Cursor(60))
    out = editing.delete(TL, Cursor(160, picked=0))  # delete clip 0 while watching clip 2
    assert out.cursor.playhead == 100 and out.timeline.source_frame(100) == TL.source_frame(160)
    out = editing.move(TL, Cursor(70), 1)  # clip 1 moves after clip 2, playhead stays on it
    assert out.timeline.clips[2] == TL.clips[1]
    assert out.timeline.source_frame(out.cursor.playhead) == TL.source_frame(70)
    with pytest.raises(EditError, match="first"):
        editing.move(TL, Cursor(0), -1)


@given(
    st.lists(st.sampled_from(["split", "delete", "move+", "move-", "in", "out", "right", "tab"]), max_size=25),
    st.integers(0, 179),
)
def test_any_key_sequence_keeps_the_cursor_valid(ops: list[str], start: int) -> None:
    tl, cur = TL, Cursor(start)
    for op in ops:
        try:
            if op == "right":
                cur = editing.seek(tl, cur, cur.playhead + 7)
            elif op == "tab":
                cur = editing.pick(tl, cur, 1)
            else:
                rule = {
                    "split": editing.split,
                    "delete": editing.delete,
                    "in": editing.trim_in,
                    "out": editing.trim_out,
                    "move+": lambda t, c: editing.move(t, c, 1),
                    "move-": lambda t, c: editing.move(t, c, -1),
                }[op]
                out = rule(tl, cur)
                tl, cur = out.timeline, out.cursor
        except EditError:
            continue
        assert 0 <= cur.playhead <= editing.last_frame(tl)
        assert cur.picked is None or 0 <= cur.picked < len(tl.clips)


# -- transport and scale --------------------------------------------------------------------------------
def test_shuttle_ladder() -> None:
    t = Transport()
    assert t.toggle().speed == 1 and t.toggle().toggle().speed == 0
    assert [
        t.forward().speed,
        t.forward().forward().speed,
        t.forward().forward().forward().forward().forward().speed,
    ] == [1, 2, 4]
    assert t.forward().forward().backward().speed == -1
    assert t.backward().backward().speed == -2
    assert t.forward().stop().playing is False
    assert t.backward().backward().label() == "◀◀ 2×"


def test_scale_fit_zoom_follow() -> None:
    fit = viewport.fit_fpc(180, 100)
    assert fit == Fraction(181, 100)
    assert viewport.zoom(None, 180, 100, 1) == fit / 2
    assert viewport.zoom(fit / 2, 180, 100, -1) is None  # back to fit
    scale = viewport.Scale(0, Fraction(1))
    assert scale.span(0, 60) == (0, 60) and scale.span(60, 61) == (60, 61)
    assert viewport.Scale(0, Fraction(10)).span(3, 5) == (0, 1)  # never less than one column
    followed = viewport.follow(scale, 150, 100, 180)
    assert 0 <= followed.col(150) < 100
    assert viewport.follow(scale, 50, 100, 180) == scale  # visible: no scroll


# -- keys, config, themes, completion -------------------------------------------------------------------------
def test_key_table_has_the_required_defaults() -> None:
    must = {
        "play_pause": "space",
        "shuttle_back": "j",
        "stop": "k",
        "shuttle_forward": "l",
        "frame_back": "left",
        "frame_forward": "right",
        "second_back": "shift+left",
        "second_forward": "shift+right",
        "trim_in": "i",
        "trim_out": "o",
        "save": "ctrl+s",
        "undo": "ctrl+z",
        "redo": "ctrl+y",
        "help": "question_mark",
        "quit": "ctrl+q",
    }
    for action, key in must.items():
        assert key in keys.BY_ID[action].keys.split(","), action
    assert len({s.id for s in keys.KEYS}) == len(keys.KEYS)
    assert keys.display("shift+left,ctrl+b") == "shift+← / ctrl+b"


def test_config_is_strict_and_round_trips(tmp_path: Path) -> None:
    config, problems = from_dict({"version": 1, "theme": "light", "keys": {"split": "ctrl+k", "fly": "f"}, "x": 1})
    assert config.theme == "light" and config.keys == {"split": "ctrl+k"}
    assert any("fly" in p for p in problems) and any("'x'" in p for p in problems)
    target = tmp_path / "c" / "config.toml"
    save_config(Config("dark", {"undo": "f5"}, target))  # a free key (u mutes)
    loaded, problems = load_config(target)
    assert (loaded.theme, loaded.keys, problems) == ("dark", {"undo": "f5"}, [])
    target.write_text("theme = [")
    assert load_config(target)[1][0].startswith(str(target))


def test_bundled_themes_load_with_every_variable() -> None:
    themes, problems = load_themes()
    names = {t.name for t in themes}
    assert {"dark", "light", "high-contrast"} <= names and not problems
    needed = set(variable_defaults(to_textual(themes[0]).to_color_system().generate()))
    for theme in themes:
        assert needed <= set(theme.variables), theme.name
    with pytest.raises(ValueError, match="primary"):
        parse_theme({"colors": {}}, "x")


def test_path_completion(tmp_path: Path) -> None:
    (tmp_path / "clips").mkdir()
    (tmp_path / "clip.mp4").write_bytes(b"")
    (tmp_path / "clip.txt").write_bytes(b"")
    assert suggest_path("cl", tmp_path, MEDIA_EXTENSIONS) == "clips/"  # folders first
    assert suggest_path("clip.", tmp_path, MEDIA_EXTENSIONS) == "clip.mp4"  # media before other files
    assert suggest_path(f"{tmp_path}/clip.t", tmp_path, MEDIA_EXTENSIONS) == f"{tmp_path}/clip.txt"
    assert suggest_path("nothing", tmp_path, MEDIA_EXTENSIONS) is None
