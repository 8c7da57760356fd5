"""Path completion for the inputs that ask for files (add media, open, save as): the pure rule.

Why apart from the widget: completing a path is a question about a folder, not about Textual, so
the rule lives here (tested without an app) and ``tui.widgets.path_input.PathSuggester`` adapts it
to Textual's ``Suggester``. ``SuggestFromList`` needs every candidate up front, but a path is
completed one folder at a time. This rule lists the folder being typed into (relative paths
start at a base folder, ``~`` is expanded for the lookup and kept in the text) and suggests the
first entry that extends what was typed, folders with a trailing ``/``. Entries with a wanted
extension (media files, or ``.toml`` for projects) come before other files.
"""

from __future__ import annotations

import os
from pathlib import Path

MEDIA_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".mov",
        ".mkv",
        ".webm",
        ".avi",
        ".m4v",
        ".mts",
        ".ts",
        ".mxf",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".m4a",
        ".mp3",
        ".wav",
        ".flac",
        ".ogg",
        ".opus",
        ".aac",
    }
)
PROJECT_EXTENSIONS = frozenset({".toml"})


def suggest_path(value: str, base: Path, extensions: frozenset[str], *, only: bool = False) -> str | None:
    """``value`` extended by the best matching directory entry, or None.

    ``only``: suggest folders and files with a wanted extension, nothing else (opening a project
    offers ``.toml`` files, never a video)."""
    if not value:
        return None
    head, _, prefix = value.rpartition("/")
    folder_text = head + "/" if value.count("/") else ""
    folder = Path(os.path.expanduser(folder_text or "."))
    if not folder.is_absolute():
        folder = base / folder
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    show_hidden = prefix.startswith(".")
    candidates: list[tuple[int, str]] = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        if entry.name.startswith(".") and not show_hidden:
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        name = entry.name + ("/" if is_dir else "")
        if name == prefix:
            continue
        rank = 0 if is_dir else 1 if Path(entry.name).suffix.lower() in extensions else 2
        if only and rank == 2:
            continue
        candidates.append((rank, name))
    if not candidates:
        return None
    candidates.sort()
    return folder_text + candidates[0][1]
