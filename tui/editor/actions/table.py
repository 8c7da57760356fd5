"""Which action each editor key runs, and which keys work in the source view.

Why a table: the keys themselves are ``tui.settings.keys.KEYS`` (bindings, help, palette, config);
each editor binding's id names its action here, so reading what a key does is two look-ups: its id
in ``KEYS``, the function in ``ACTIONS``. The editor screen dispatches every id of this table the
same way (``tui.screens.editor``); the few ids in ``SCREEN_ACTIONS`` open a dialog or ask the preview
and are methods of the screen. ``tests/tui/test_actions_plain.py`` checks that every editor key is
in exactly one of the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tui.editor.actions import clipboard, edit, loop, marks, navigate, playback, sound, source, trim_modes, view
from tui.editor.actions.step import Action

ACTIONS: Mapping[str, Action] = MappingProxyType(
    {
        # transport
        "play_pause": playback.play_pause,
        "shuttle_back": playback.shuttle_back,
        "stop": playback.stop,
        "shuttle_forward": playback.shuttle_forward,
        "loop": loop.loop,
        "range_in": loop.range_in,
        "range_out": loop.range_out,
        # navigation
        "frame_back": navigate.frame_back,
        "frame_forward": navigate.frame_forward,
        "second_back": navigate.second_back,
        "second_forward": navigate.second_forward,
        "prev_edit": navigate.prev_edit,
        "next_edit": navigate.next_edit,
        "go_start": navigate.go_start,
        "go_end": navigate.go_end,
        "goto": marks.goto,
        # markers
        "marker_toggle": marks.marker_toggle,
        "marker_name": marks.marker_name,
        "marker_prev": marks.marker_prev,
        "marker_next": marks.marker_next,
        # source view and three-point editing
        "source_next": source.source_next,
        "source_close": source.source_close,
        "mark_in": source.mark_in,
        "mark_out": source.mark_out,
        "insert_edit": source.insert_edit,
        "overwrite_edit": source.overwrite_edit,
        # selection
        "select_next": navigate.select_next,
        "select_prev": navigate.select_prev,
        "edge_in": navigate.edge_in,
        "edge_out": navigate.edge_out,
        "mark_none": clipboard.mark_none,
        "mark_clip": clipboard.mark_clip,
        "mark_all": clipboard.mark_all,
        # edits and trims
        "trim_in": edit.trim_in,
        "trim_out": edit.trim_out,
        "trim_mode": trim_modes.trim_mode,
        "nudge_back": trim_modes.nudge_back,
        "nudge_forward": trim_modes.nudge_forward,
        "nudge_back_second": trim_modes.nudge_back_second,
        "nudge_forward_second": trim_modes.nudge_forward_second,
        "split": edit.split,
        "delete_clip": edit.delete_clip,
        "move_left": edit.move_left,
        "move_right": edit.move_right,
        "undo": edit.undo,
        "redo": edit.redo,
        # clipboard
        "lift": clipboard.lift,
        "cut": clipboard.cut,
        "copy": clipboard.copy,
        "paste": clipboard.paste,
        "paste_over": clipboard.paste_over,
        # sound
        "gain_up": sound.gain_up,
        "gain_down": sound.gain_down,
        "mute": sound.mute,
        # view
        "zoom_in": view.zoom_in,
        "zoom_out": view.zoom_out,
        "zoom_fit": view.zoom_fit,
        "zoom_clip": view.zoom_clip,
        "zoom_frames": view.zoom_frames,
        "snapping": view.snapping,
    }
)
"""Editor key id → the action it runs."""

SCREEN_ACTIONS = frozenset({"add_media", "export", "cancel_export", "project_settings", "quality"})
"""Editor keys the screen runs itself: they open a widget or a dialog, or ask the preview or the
export queue."""

SOURCE_ONLY = frozenset({"mark_in", "mark_out", "source_close"})
"""Actions that only mean something in the source view."""

SOURCE_VIEW_ACTIONS = SOURCE_ONLY | {
    "play_pause",
    "shuttle_back",
    "stop",
    "shuttle_forward",
    "frame_back",
    "frame_forward",
    "second_back",
    "second_forward",
    "prev_edit",
    "next_edit",
    "marker_prev",
    "marker_next",
    "go_start",
    "go_end",
    "goto",
    "source_next",
    "insert_edit",
    "overwrite_edit",
    "zoom_in",
    "zoom_out",
    "zoom_fit",
    "zoom_clip",
    "zoom_frames",
    "snapping",
}
"""What works in the source view: watching and marking; edits need the timeline shown."""


def allowed(action: str, *, in_source: bool) -> bool:
    """In the source view only viewing keys and the source keys work (edits need the timeline);
    keys bound twice (``i``/``o``, ``esc``) go to the binding of the view shown."""
    if action in SOURCE_ONLY:
        return in_source
    if in_source:
        return action in SOURCE_VIEW_ACTIONS
    return True
