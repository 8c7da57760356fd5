"""``livecut info``: load and validate a project, and summarise it."""

from __future__ import annotations

import argparse

from tui.cli.command import Command
from tui.cli.output import emit_json, say


def _setup_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file")
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_info(args: argparse.Namespace) -> int:
    from core.model import project as proj
    from core.timebase import format_seconds, frames_to_timecode

    project = proj.load(args.project)
    tl = project.timeline
    offline = project.offline_media()
    if args.json:
        emit_json(
            {
                "name": project.name,
                "fps": str(project.fps),
                "width": project.width,
                "height": project.height,
                "preview_height": project.preview_height,
                "clips": len(tl.clips),
                "duration_frames": tl.duration,
                "duration_s": float(tl.duration / project.fps),
                "media": [
                    {
                        "id": m.id,
                        "path": str(m.resolved),
                        "online": m.online,
                        "error": m.error,
                        "frames": m.length(project.fps),
                    }
                    for m in tl.media
                ],
                "offline": [{"id": m.id, "path": str(m.resolved), "error": m.error} for m in offline],
                "timeline": [
                    {
                        "media": p.clip.media,
                        "in": p.clip.in_,
                        "out": p.clip.out,
                        "start": p.start,
                        "gain_db": p.clip.gain_db,
                        "mute": p.clip.mute,
                    }
                    for p in tl.placed()
                ],
                "markers": [{"frame": m.frame, "name": m.name} for m in tl.markers],
            }
        )
        return 0
    say(
        f"{project.name}: {len(tl.clips)} clips, {frames_to_timecode(tl.duration, project.fps)} "
        f"({format_seconds(tl.duration, project.fps)}) at {project.fps} fps, export {project.width}x{project.height}"
    )
    for m in tl.media:
        state = f"{m.length(project.fps)} frames" if m.online else f"OFFLINE ({m.error}: expected at {m.resolved})"
        say(f"  media {m.id}: {m.path} — {state}")
    for p in tl.placed():
        sound = ", muted" if p.clip.mute else ""
        sound += f", gain {p.clip.gain_db:+.1f} dB" if p.clip.gain_db else ""
        say(
            f"  clip {p.index + 1}: {p.clip.media} [{p.clip.in_}, {p.clip.out}) at {frames_to_timecode(p.start, project.fps)}"
            f" ({format_seconds(p.clip.length, project.fps)}{sound})"
        )
    for marker in tl.markers:
        say(f"  marker {frames_to_timecode(marker.frame, project.fps)}" + (f": {marker.name}" if marker.name else ""))
    return 0


COMMAND = Command("info", "load and validate a project and summarise it", _setup_info, cmd_info)
