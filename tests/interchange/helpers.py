"""Shared builders for the interchange tests: tiny real media, projects, and the CLI."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from core.model import project as proj
from core.model.project import Project
from core.model.timeline import GAP, Clip, Marker, Timeline, gap

ROOT = Path(__file__).resolve().parents[2]


def livecut(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess: exit codes and stderr are what a user sees."""
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def project_with(
    folder: Path,
    fps: Fraction,
    media: dict[str, Path],
    clips: list[tuple[str, int, int]] | list[tuple[str, int, int, float, bool]],
    markers: list[tuple[int, str]] | None = None,
) -> Project:
    """A saved-and-loaded project (the "loaded timeline" the round trips compare against); a clip
    of media ``""`` is a gap."""
    refs = tuple(proj.media_ref(mid, str(path), folder) for mid, path in media.items())
    marks = tuple(sorted({f: Marker(f, n) for f, n in markers or []}.values()))
    items = tuple(gap(c[2] - c[1]) if c[0] == GAP else Clip(*c) for c in clips)  # type: ignore[arg-type]
    timeline = Timeline(fps, refs, items, marks)
    target = folder / "original.toml"
    proj.save(Project("round trip", timeline, 64, 48, 180, None, target), target)
    return proj.load(target)


def media_key(project: Project) -> list[tuple[str, Path, bool]]:
    return [(m.id, m.resolved, m.online) for m in project.timeline.media]


def cuts(project: Project) -> list[tuple[Path, int, int]]:
    """The cut as (file, in, out) per clip, gaps as ("gap", 0, length), neighbouring gaps as one
    and none at the end (a cut list ends with its last event): what an EDL or XML keeps exactly."""
    out: list[tuple[Path, int, int]] = []
    tl = project.timeline
    for c in tl.clips:
        if c.media == GAP and out and out[-1][0] == Path("gap"):
            out[-1] = (Path("gap"), 0, out[-1][2] + c.length)
        else:
            out.append(
                (Path("gap"), 0, c.length) if c.media == GAP else (tl.media_by_id(c.media).resolved, c.in_, c.out)
            )
    while out and out[-1][0] == Path("gap"):
        out.pop()
    return out
