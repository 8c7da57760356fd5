"""``livecut new``: a project with one whole clip per media file."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cli.command import Command
from tui.cli.output import UsageError, parsed_fps, say


def _setup_new(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file to create")
    p.add_argument("media", nargs="+", help="media files, one whole clip each")
    p.add_argument("--fps", help="project frame rate (default: the first video's)")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")


def cmd_new(args: argparse.Namespace) -> int:
    from core.model import project as proj

    target = Path(args.project)
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    if target.suffix != ".toml":
        raise UsageError(f"{target}: a project file should end in .toml")
    project = proj.new_from_media(target, args.media, parsed_fps(args.fps))
    proj.save(project, target)
    say(f"wrote {target}: {len(project.timeline.clips)} clips")
    return 0


COMMAND = Command("new", "make a project with one whole clip per media file", _setup_new, cmd_new)
