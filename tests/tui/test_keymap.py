"""Key remaps that collide are reported and refused (the earlier binding wins); help names actions."""

from __future__ import annotations

import html

from tests.tui.conftest import make_app, three_clips
from tui.settings.config import from_dict
from tui.settings.keys import key_names


def test_character_keys_are_compared_by_their_names() -> None:
    assert (
        key_names("-") == ("minus",)
        and key_names("ctrl+b, s") == ("ctrl+b", "s")
        and key_names(",") == ("comma",)
        and key_names("ctrl+s,x") == ("ctrl+s", "x")
    )


def test_a_remap_onto_another_actions_key_is_refused() -> None:
    config, problems = from_dict({"keys": {"trim_in": "o", "nudge_back": "-", "split": "ctrl+k"}})
    assert config.keys == {"split": "ctrl+k"}
    assert any("keys.trim_in" in p and "trim_out" in p and "refused" in p for p in problems), problems
    assert any("keys.nudge_back" in p and "zoom_out" in p for p in problems), problems


def test_swapping_two_keys_is_refused_not_half_applied() -> None:
    config, problems = from_dict({"keys": {"trim_in": "o", "trim_out": "i"}})
    assert config.keys == {} and len(problems) == 2


def test_an_unknown_action_points_at_help() -> None:
    _config, problems = from_dict({"keys": {"delete": "x"}})
    assert problems == ["keys.delete: unknown action (see the ? help screen for names)"]


async def test_help_shows_action_names() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(150, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        from tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        text = app.export_screenshot()
        assert "delete_clip" in text and "trim_in" in text


async def test_help_has_the_segment_bar_legend() -> None:
    app = make_app(three_clips())
    async with app.run_test(size=(220, 80)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "Segment bar" in text and "pending: needed" in text and "offline: the media file is missing" in text
