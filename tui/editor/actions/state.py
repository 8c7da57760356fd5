"""What the editor knows besides the document: one frozen value, replaced by every action.

Why one value: the editor's state used to be attributes spread over the screen and a mixin, set
from anywhere. As a frozen value an action is a function from (document, state) to a new state
and a list of effects (``tui.editor.actions.step``), so it can be read and tested without a
screen, and the screen holds exactly one thing to redraw from. Each area of actions owns its
fields: the trim mode (``trim_modes``), the clipboard (``clipboard``), the source view and its
marks (``source``), snapping and zoom (``view``), the loop and its range (``loop``).

The clipboard holds clips (source ranges, gaps included) that stay valid across edits because
they name media, not timeline positions; it lives as long as the editor and is not saved. Source
marks and where the source view was are kept per bin item for the session (not saved either).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

from core.model.timeline import Clip, Timeline
from tui.editor.editing import Cursor, LoopRange, SourceMarks, TrimMode
from tui.editor.transport import Transport


@dataclass(frozen=True)
class SourceState:
    """The source view (``b``): one bin item shown instead of the timeline, and its marks."""

    view: Timeline | None = None
    """The one-clip timeline of the bin item shown; None: the timeline is shown."""
    media: str | None = None
    """The bin item last shown in the source view: what F9 / F10 cut in."""
    marks: Mapping[str, SourceMarks] = field(default_factory=lambda: MappingProxyType({}))
    """In / out marked on each bin item (``i`` / ``o`` in the source view)."""
    playheads: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Where the source view of each bin item was left."""
    saved_cursor: Cursor | None = None
    """The timeline's cursor while the source view is shown."""


@dataclass(frozen=True)
class EditorState:
    """Everything the editor screen draws from, except the document and the view's scroll."""

    cursor: Cursor = field(default_factory=Cursor)
    transport: Transport = field(default_factory=Transport)
    message: str = ""
    """The status line's message: what the last key did."""
    trim_mode: TrimMode = "trim"
    """How the nudge keys trim (``t`` cycles it); shown in the status line."""
    clipboard: tuple[Clip, ...] = ()
    zoom: Fraction | None = None
    """Frames per column; None: the whole timeline fits."""
    snapping: bool = True
    loop: LoopRange | None = None
    """The range loop playback repeats; None: loop off."""
    range_marks: SourceMarks = field(default_factory=SourceMarks)
    """The timeline's in/out (``I`` / ``O``): the loop range."""
    source: SourceState = field(default_factory=SourceState)

    def shown(self, timeline: Timeline) -> Timeline:
        """What the timeline widget, preview and navigation keys work on: the source view's
        one-clip timeline when it is open, else the document's ``timeline``."""
        return self.source.view if self.source.view is not None else timeline
