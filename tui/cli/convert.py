"""``livecut convert``: a project's timeline as OpenTimelineIO, an OTIO bundle, an EDL or FCP 7 XML."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cli.command import Command
from tui.cli.output import UsageError, emit_json, say, warn


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file")
    p.add_argument("output", help="file to write: .otio, .otioz (with the media), .edl or .xml (FCP 7)")
    p.add_argument("--format", choices=["otio", "otioz", "edl", "xml"], help="format (default: from the suffix)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--json", action="store_true", help="print what was written as JSON")


def cmd_convert(args: argparse.Namespace) -> int:
    from core.interchange import export_timeline, format_for
    from core.model import project as proj

    target = Path(args.output)
    fmt = format_for(target, args.format)
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    project = proj.load(args.project)
    if target.exists() and fmt.name == "otioz":
        target.unlink()
    result = export_timeline(project, target, fmt)
    if args.json:
        emit_json(
            {
                "path": str(result.path),
                "format": fmt.name,
                "clips": result.clips,
                "frames": result.frames,
                "markers_left_out": result.markers_left_out,
            }
        )
    else:
        if result.markers_left_out:
            warn(
                f"{result.markers_left_out} marker(s) over gaps or past the end left out (an EDL has only clip markers)"
            )
        say(
            f"wrote {result.path}: {result.clips} clips, {result.frames} frames at {project.fps} fps ({fmt.description})"
        )
    return 0


COMMAND = Command("convert", "write a project's timeline as OTIO, an EDL or FCP 7 XML", _setup, cmd_convert)
