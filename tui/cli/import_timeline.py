"""``livecut import``: a project from an OTIO file or bundle, a CMX 3600 EDL or FCP 7 XML.

(The module is not called ``import.py``: that name is a Python keyword.) What livecut cannot
represent is listed on stderr, one line per item with its place; ``--strict`` refuses instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cli.command import Command
from tui.cli.output import UsageError, emit_json, parsed_fps, say, warn


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="timeline file: .otio, .otioz, .edl or .xml (FCP 7)")
    p.add_argument("-o", "--output", required=True, help="project TOML file to write")
    p.add_argument("--format", choices=["otio", "otioz", "edl", "xml"], help="format (default: from the suffix)")
    p.add_argument("--media-dir", help="relink media by file name to the files in this folder")
    p.add_argument("--fps", help="frame rate of an EDL (default 24); for other formats, convert to this rate")
    p.add_argument("--strict", action="store_true", help="fail if anything cannot be represented")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def cmd_import(args: argparse.Namespace) -> int:
    from core.interchange import import_timeline

    target = Path(args.output)
    if target.suffix != ".toml":
        raise UsageError(f"{target}: a project file should end in .toml")
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    result = import_timeline(
        args.input, target, fmt=args.format, media_dir=args.media_dir, fps=parsed_fps(args.fps), strict=args.strict
    )
    from core.model.timeline import GAP

    project = result.project
    offline = project.offline_media()
    gaps = sum(1 for c in project.timeline.clips if c.media == GAP)
    clips = len(project.timeline.clips) - gaps
    if args.json:
        emit_json(
            {
                "project": str(project.path),
                "fps": str(project.fps),
                "clips": clips,
                "gaps": gaps,
                "markers": len(project.timeline.markers),
                "frames": project.timeline.duration,
                "offline": [{"id": m.id, "path": str(m.resolved)} for m in offline],
                "notes": [{"place": n.place, "what": n.what} for n in result.notes],
            }
        )
    else:
        for note in result.notes:
            warn(f"{result.source}: {note}")
    if not args.json:
        say(
            f"wrote {project.path}: {clips} clips, {gaps} gaps, {len(project.timeline.markers)} markers, "
            f"{project.timeline.duration} frames at {project.fps} fps, {len(offline)} offline media, "
            f"{len(result.notes)} item(s) not representable"
        )
    return 0


COMMAND = Command("import", "make a project from an OTIO file, an EDL or FCP 7 XML", _setup, cmd_import)
