"""The edit model: an immutable timeline, its undo history, and the project file it is saved in.

Pure values and pure functions over them (plus the TOML file I/O in ``project``, and ``playout``'s
reads of a timeline's media through ``core.media``); no threads. The model imports ``core.media``,
never the reverse.
"""

from __future__ import annotations

from core.model.history import History
from core.model.project import Project
from core.model.timeline import Clip, Marker, MediaRef, Placed, Timeline

__all__ = ["Clip", "History", "Marker", "MediaRef", "Placed", "Project", "Timeline"]
