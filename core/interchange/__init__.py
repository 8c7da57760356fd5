"""Interchange with other editors: OpenTimelineIO, CMX 3600 EDL and FCP 7 XML, in and out.

A rough cut made here goes on to a finishing tool and edits come back from one, so the project
converts to and from OpenTimelineIO (the model every format goes through) with exact frame
times. OTIO and its adapters are an optional extra (``livecut[interchange]``): nothing else in
livecut imports them, and a missing one is one clear line naming the extra. What livecut's one
track cannot hold (more video tracks, transitions, effects, speed changes, generators, nested
stacks) is never dropped silently: every such item comes back as an ``ImportNote`` with its place.
Gaps, markers and clip gain/mute travel as OTIO gaps, markers and ``livecut`` metadata.

``export_timeline`` and ``import_timeline`` are the whole public surface (the CLI's ``convert``
and ``import`` and the editor's palette call them); no Textual here.
"""

from __future__ import annotations

from core.interchange.errors import InterchangeError
from core.interchange.exporter import ConvertResult, export_timeline, to_otio
from core.interchange.formats import FORMATS, Format, format_for
from core.interchange.importer import (
    ImportNote,
    ImportResult,
    default_project_path,
    from_otio,
    import_timeline,
    read_timeline,
)

__all__ = [
    "FORMATS",
    "ConvertResult",
    "Format",
    "ImportNote",
    "ImportResult",
    "InterchangeError",
    "default_project_path",
    "export_timeline",
    "format_for",
    "from_otio",
    "import_timeline",
    "read_timeline",
    "to_otio",
]
