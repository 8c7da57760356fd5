"""Every key binding of the editor, in one table.

Why one table: the same list builds the Textual ``BINDINGS`` (``tui.bindings``) (each with an ``id`` so the config
file's ``[keys]`` section can remap it through ``App.set_keymap``), the ``?`` help screen, the
command palette entries and the config validation. A key added here shows up everywhere; a key
that is only in ``BINDINGS`` would be invisible in help and impossible to remap.

Key names are Textual's (``space``, ``shift+left``, ``comma``, ``question_mark``...); single
characters such as ``?`` or ``[`` are accepted and normalised by Textual. Terminals send
``alt+arrow`` as escape followed by the arrow, so moves use ``ctrl+arrow`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["app", "editor"]


@dataclass(frozen=True)
class KeySpec:
    """One remappable command."""

    id: str
    """Binding id, action name and the name used in the config file's ``[keys]`` table."""
    keys: str
    """Default keys, comma separated (Textual key names)."""
    description: str
    """What the help screen and the command palette say."""
    group: str
    """Help screen section."""
    scope: Scope = "editor"
    """``app`` bindings work on every screen (save, quit, help); ``editor`` ones on the editor."""


KEYS: tuple[KeySpec, ...] = (
    # transport
    KeySpec("play_pause", "space", "Play / pause", "Transport"),
    KeySpec("shuttle_back", "j", "Play backwards (repeat: faster)", "Transport"),
    KeySpec("stop", "k", "Stop", "Transport"),
    KeySpec("shuttle_forward", "l", "Play forwards (repeat: faster)", "Transport"),
    # navigation
    KeySpec("frame_back", "left", "Back one frame", "Navigate"),
    KeySpec("frame_forward", "right", "Forward one frame", "Navigate"),
    KeySpec("second_back", "shift+left", "Back one second", "Navigate"),
    KeySpec("second_forward", "shift+right", "Forward one second", "Navigate"),
    KeySpec("prev_edit", "up", "Previous edit point", "Navigate"),
    KeySpec("next_edit", "down", "Next edit point", "Navigate"),
    KeySpec("go_start", "home", "Go to start", "Navigate"),
    KeySpec("go_end", "end", "Go to end", "Navigate"),
    KeySpec("goto", "g", "Go to time (1:00:00, +2s, -10f)…", "Navigate"),
    # markers
    KeySpec("marker_toggle", "m", "Add / remove marker at playhead", "Markers"),
    KeySpec("marker_name", "M", "Name marker at playhead…", "Markers"),
    KeySpec("marker_prev", "shift+up", "Previous marker", "Markers"),
    KeySpec("marker_next", "shift+down", "Next marker", "Markers"),
    # source view and three-point editing
    KeySpec("source_next", "b", "Source view (again: next item)", "Source"),
    KeySpec("source_close", "escape,B", "Back to the timeline", "Source"),
    KeySpec("mark_in", "i", "Mark source in (source view)", "Source"),
    KeySpec("mark_out", "o", "Mark source out (source view)", "Source"),
    KeySpec("insert_edit", "f9,n", "Insert source at playhead", "Source"),
    KeySpec("overwrite_edit", "f10,r", "Overwrite source at playhead", "Source"),
    # selection
    KeySpec("select_next", "tab", "Select next clip (stays until esc)", "Select"),
    KeySpec("select_prev", "shift+tab", "Select previous clip", "Select"),
    KeySpec("edge_in", "left_square_bracket", "Select start edge (again: none)", "Select"),
    KeySpec("edge_out", "right_square_bracket", "Select end edge (again: none)", "Select"),
    KeySpec("mark_none", "escape", "Clear the selection and marks", "Select"),
    KeySpec("mark_clip", "v", "Mark / unmark clip (several clips)", "Clipboard"),
    KeySpec("mark_all", "ctrl+a", "Mark all clips", "Clipboard"),
    # editing
    KeySpec("trim_in", "i", "Trim clip start to playhead", "Trim"),
    KeySpec("trim_out", "o", "Trim clip end to playhead", "Trim"),
    KeySpec("trim_mode", "t", "Trim mode: trim/roll/slip/slide", "Trim"),
    KeySpec("nudge_back", "comma", "Trim (by mode) −1 frame", "Trim"),
    KeySpec("nudge_forward", "full_stop", "Trim (by mode) +1 frame", "Trim"),
    KeySpec("nudge_back_second", "less_than_sign", "Trim (by mode) −1 second", "Trim"),
    KeySpec("nudge_forward_second", "greater_than_sign", "Trim (by mode) +1 second", "Trim"),
    KeySpec("split", "s,ctrl+b", "Split at playhead", "Edit"),  # ctrl+b is tmux's prefix: s works everywhere
    KeySpec("delete_clip", "x,delete", "Delete clip(s), close up (extract)", "Clipboard"),
    KeySpec("lift", "z", "Lift clip(s): leave a gap", "Clipboard"),
    KeySpec("cut", "ctrl+x", "Cut clip(s) (extract)", "Clipboard"),
    KeySpec("copy", "ctrl+c", "Copy clip(s)", "Clipboard"),
    KeySpec("paste", "ctrl+v", "Paste at playhead (insert)", "Clipboard"),
    KeySpec("paste_over", "V", "Paste at playhead (overwrite)", "Clipboard"),
    # { and } first: macOS terminals take ctrl+←/→ for spaces, so those are the alternatives
    KeySpec("move_left", "left_curly_bracket,ctrl+left", "Move clip left", "Edit"),
    KeySpec("move_right", "right_curly_bracket,ctrl+right", "Move clip right", "Edit"),
    KeySpec("undo", "ctrl+z", "Undo", "Edit"),
    KeySpec("redo", "ctrl+y", "Redo", "Edit"),
    KeySpec("add_media", "a", "Add media file", "Edit"),
    # sound
    KeySpec("gain_up", "ctrl+up", "Clip gain +1 dB", "Sound"),
    KeySpec("gain_down", "ctrl+down", "Clip gain −1 dB", "Sound"),
    KeySpec("mute", "u", "Mute / unmute clip(s)", "Sound"),
    # view
    KeySpec("zoom_in", "plus,equals_sign", "Zoom in", "View"),
    KeySpec("zoom_out", "minus", "Zoom out", "View"),
    KeySpec("zoom_fit", "0", "Zoom to fit the whole timeline", "View"),
    KeySpec("zoom_clip", "9", "Zoom to the selected clip", "View"),
    KeySpec("zoom_frames", "1", "Zoom to frames", "View"),
    KeySpec("snapping", "S", "Snap to edits and markers on/off", "View"),
    KeySpec("quality", "Q", "Cycle preview quality", "View"),
    KeySpec("loop", "L", "Loop in/out range (again: off)", "Transport"),
    KeySpec("range_in", "I", "Mark timeline in (loop range)", "Transport"),
    KeySpec("range_out", "O", "Mark timeline out (loop range)", "Transport"),
    # file (export is editor scope: its ctrl+e must not steal the bin input's end-of-line)
    KeySpec("export", "ctrl+e", "Export film…", "File"),
    KeySpec("cancel_export", "E", "Cancel the running export", "File"),
    KeySpec("project_settings", "P", "Project settings (name, rate, size)…", "File"),
    KeySpec("save", "ctrl+s", "Save", "File", "app"),
    KeySpec("save_as", "ctrl+w", "Save as…", "File", "app"),
    KeySpec("open", "ctrl+o", "Open project…", "File", "app"),
    KeySpec("help", "question_mark,f1", "Help (this screen)", "File", "app"),
    KeySpec("quit", "ctrl+q", "Quit (asks when unsaved)", "File", "app"),
)

BY_ID: dict[str, KeySpec] = {spec.id: spec for spec in KEYS}
GROUPS: tuple[str, ...] = (
    "Transport",
    "Navigate",
    "Markers",
    "Source",
    "Select",
    "Trim",
    "Edit",
    "Clipboard",
    "Sound",
    "View",
    "File",
)


_CHARACTER_KEYS = {
    "-": "minus", "+": "plus", "=": "equals_sign", ",": "comma", ".": "full_stop", "<": "less_than_sign",
    ">": "greater_than_sign", "[": "left_square_bracket", "]": "right_square_bracket", "?": "question_mark",
    " ": "space", "/": "slash", ";": "semicolon", ":": "colon", "'": "apostrophe", '"': "quotation_mark",
    "\\": "backslash", "`": "grave_accent", "!": "exclamation_mark", "@": "commercial_at", "#": "number_sign",
    "$": "dollar_sign", "%": "percent_sign", "^": "circumflex_accent", "&": "ampersand", "*": "asterisk",
    "(": "left_parenthesis", ")": "right_parenthesis", "_": "underscore", "{": "left_curly_bracket",
    "}": "right_curly_bracket", "|": "vertical_line", "~": "tilde",
}  # fmt: skip
"""Characters as Textual names them, so ``"-"`` in the config is seen to be zoom-out's ``minus``."""


def key_names(keys: str) -> tuple[str, ...]:
    """``"s, ctrl+b"`` → ``("s", "ctrl+b")``, single characters by their Textual names."""
    if keys.strip() == ",":
        return ("comma",)
    out = []
    for key in keys.split(","):
        key = key.strip() or key  # a lone " " is the space key
        head, plus, last = key.rpartition("+")
        if not last:  # "ctrl++" or "+"
            head, last = key[:-2] if key.endswith("++") else "", "+"
        last = _CHARACTER_KEYS.get(last, last)
        out.append(f"{head}+{last}" if plus and head else last)
    return tuple(out)


def resolve_keymap(remaps: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The remaps that can apply, and one sentence per refused one.

    A key does one thing in a scope: a remap onto a key another action already has (by default or
    by an earlier remap) is refused, and the action keeps its default keys; the earlier binding
    wins. App-scope keys (save, quit, help...) work on every screen, so they clash with every
    scope. Keys the defaults share on purpose (``i`` trims on the timeline and marks in the source
    view) are not clashes.
    """
    accepted: dict[str, str] = {}
    problems: list[str] = []
    owners: dict[tuple[str, str], set[str]] = {}  # (scope, key) → actions

    def clash(spec: KeySpec, keys: tuple[str, ...]) -> str | None:
        scopes = ("app", "editor") if spec.scope == "app" else ("app", spec.scope)
        own = set(key_names(spec.keys))
        for key in keys:
            others = [
                other
                for scope in scopes
                for other in sorted(owners.get((scope, key), set()) - {spec.id})
                # both have it by default: a pair that acts by view
                if not (key in own and key in key_names(BY_ID[other].keys) and other not in accepted)
            ]
            if others:
                return f"{display(key)} is already the key of {' and '.join(others)}"
        return None

    def take(spec: KeySpec, keys: tuple[str, ...]) -> None:
        for key in keys:
            owners.setdefault((spec.scope, key), set()).add(spec.id)

    for spec in KEYS:
        if spec.id not in remaps:
            take(spec, key_names(spec.keys))
    refused: list[KeySpec] = []
    for action, keys in remaps.items():
        spec = BY_ID[action]
        why = clash(spec, key_names(keys))
        if why is None:
            accepted[action] = keys
            take(spec, key_names(keys))
        else:
            problems.append(f"keys.{action}: {why}; the remap is refused ({action} keeps {display(spec.keys)})")
            refused.append(spec)
    for spec in refused:  # its default back; an accepted remap may have taken it meanwhile
        why = clash(spec, key_names(spec.keys))
        if why is not None:
            problems.append(f"keys.{spec.id}: its default {why} too: the later binding does nothing")
        take(spec, key_names(spec.keys))
    return accepted, problems


def effective_keys(keymap: dict[str, str]) -> dict[str, str]:
    """Keys per binding id after the user's keymap is applied."""
    return {spec.id: keymap.get(spec.id, spec.keys) for spec in KEYS}


_NAMES = {
    "left": "←",
    "right": "→",
    "up": "↑",
    "down": "↓",
    "space": "space",
    "comma": ",",
    "full_stop": ".",
    "less_than_sign": "<",
    "greater_than_sign": ">",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "left_curly_bracket": "{",
    "right_curly_bracket": "}",
    "question_mark": "?",
    "plus": "+",
    "minus": "-",
    "equals_sign": "=",
    "delete": "del",
    "tab": "tab",
    "escape": "esc",
}


def display(keys: str) -> str:
    """``shift+left,ctrl+b`` → ``shift+← / ctrl+b`` for humans."""
    out = []
    for key in keys.split(","):
        parts = key.strip().split("+")
        parts[-1] = _NAMES.get(parts[-1], parts[-1])
        out.append("+".join(parts))
    return " / ".join(out)
