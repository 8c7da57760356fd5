"""Export segments as separate files (``livecut export --split DIR``): one film per clip.

Why a project per clip and nothing more: a clip exported alone is exactly the one-clip timeline
of the same project (same size, rate and settings), so the ordinary or smart export
(``core.export.render.export``) writes it with everything it already guarantees: frame-exact
output, the export cache, cancel, the staging (hidden temp file, fsync, rename) and the umask.
Markers are dropped (their frames belong to the whole timeline), gaps are skipped (black and
silence are nobody's segment) and only the clip's own media stays in the one-clip timeline, so
an unrelated offline file does not stop the export of a clip that does not use it.

Files are named by clip order and source name (``01-a.mp4``, ``02-b.mp4``): the number counts the
exported clips, zero-padded to at least two digits so that a listing sorts in timeline order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.model.project import Project
from core.model.timeline import GAP, Timeline


@dataclass(frozen=True)
class Segment:
    """One clip of the timeline as a project of its own, and the file name it is written to."""

    index: int
    """The clip's position in the whole timeline (0-based, gaps counted)."""
    name: str
    """The file name: ``01-a.mp4``."""
    project: Project


def _stem(path: str) -> str:
    """A source's name as part of a file name: its stem, separators and leading dots removed."""
    stem = Path(path.replace("\\", "/")).stem.strip().strip(".")
    return stem or "clip"


def segments(project: Project, suffix: str = ".mp4") -> list[Segment]:
    """The one-clip projects of ``project``'s clips in timeline order, gaps left out."""
    timeline = project.timeline
    real = [(i, c) for i, c in enumerate(timeline.clips) if c.media != GAP]
    width = max(2, len(str(len(real))))
    out = []
    for n, (i, clip) in enumerate(real, start=1):
        ref = timeline.media_by_id(clip.media)
        alone = Timeline(timeline.fps, (ref,), (clip,))
        name = f"{n:0{width}d}-{_stem(ref.path)}{suffix}"
        out.append(Segment(i, name, replace(project, timeline=alone)))
    return out
