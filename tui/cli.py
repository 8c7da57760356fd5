"""The ``livecut`` command line.

``livecut [PROJECT.toml]`` opens the editor; the other commands are headless and drive the same
core engine without a terminal UI (they never import textual, so they start fast and work in
scripts). Every user mistake ends as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core import __version__
from core.errors import LivecutError

log = logging.getLogger("livecut")

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Command]] = {}


def command(name: str, help_text: str, setup: Callable[[argparse.ArgumentParser], None]) -> Callable[[Command], Command]:
    """Register a headless sub-command (``livecut NAME ...``)."""

    def register(func: Command) -> Command:
        _COMMANDS[name] = (help_text, setup, func)
        return func

    return register


def emit_json(data: object) -> None:
    """The one place headless commands print JSON (stdout belongs to the command, not the TUI)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


class UsageError(LivecutError):
    """A command-line mistake: printed as one line, exit 2."""


# -- sub-commands ----------------------------------------------------------------------------------
def _setup_probe(p: argparse.ArgumentParser) -> None:
    p.add_argument("media", nargs="+", help="media files to probe")
    p.add_argument("--json", action="store_true", help="print JSON")


@command("probe", "show what livecut finds in media files", _setup_probe)
def cmd_probe(args: argparse.Namespace) -> int:
    from core.media import probe

    results: list[dict[str, object]] = []
    failed = 0
    for item in args.media:
        try:
            info = probe(item)
        except LivecutError as exc:
            failed += 1
            results.append({"path": item, "error": str(exc)})
            if not args.json:
                sys.stderr.write(f"livecut: {exc}\n")
            continue
        results.append(info.to_dict())
        if not args.json:
            say(_describe_media(info))
    if args.json:
        emit_json(results if len(results) > 1 else results[0])
    return 1 if failed else 0


def _describe_media(info: object) -> str:
    from core.media import MediaInfo

    assert isinstance(info, MediaInfo)
    parts = [f"{info.path}: {info.container}, {float(info.duration):.3f} s"]
    if info.video:
        v = info.video
        w, h = v.display_size
        rot = f", rotated {v.rotation}°" if v.rotation else ""
        parts.append(f"video {v.codec} {w}x{h} @ {float(v.fps):.3f} fps ({v.fps}), {v.frame_count} frames, {v.pix_fmt}{rot}")
    else:
        parts.append("no video")
    if info.audio:
        a = info.audio
        parts.append(f"audio {a.codec} {a.sample_rate} Hz {a.channels} ch")
    else:
        parts.append("no audio")
    return "; ".join(parts)


def _setup_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file")
    p.add_argument("--json", action="store_true", help="print JSON")


@command("info", "load and validate a project and summarise it", _setup_info)
def cmd_info(args: argparse.Namespace) -> int:
    from core import project as proj
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
                    {"id": m.id, "path": str(m.resolved), "online": m.online, "error": m.error,
                     "frames": m.length(project.fps)}
                    for m in tl.media
                ],
                "offline": [{"id": m.id, "path": str(m.resolved), "error": m.error} for m in offline],
                "timeline": [
                    {"media": p.clip.media, "in": p.clip.in_, "out": p.clip.out, "start": p.start}
                    for p in tl.placed()
                ],
            }
        )
        return 0
    say(f"{project.name}: {len(tl.clips)} clips, {frames_to_timecode(tl.duration, project.fps)} "
        f"({format_seconds(tl.duration, project.fps)}) at {project.fps} fps, export {project.width}x{project.height}")
    for m in tl.media:
        state = f"{m.length(project.fps)} frames" if m.online else f"OFFLINE ({m.error}: expected at {m.resolved})"
        say(f"  media {m.id}: {m.path} — {state}")
    for p in tl.placed():
        say(f"  clip {p.index + 1}: {p.clip.media} [{p.clip.in_}, {p.clip.out}) at {frames_to_timecode(p.start, project.fps)}"
            f" ({format_seconds(p.clip.length, project.fps)})")
    return 0


def _setup_new(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file to create")
    p.add_argument("media", nargs="+", help="media files, one whole clip each")
    p.add_argument("--fps", help="project frame rate (default: the first video's)")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")


@command("new", "make a project with one whole clip per media file", _setup_new)
def cmd_new(args: argparse.Namespace) -> int:
    from core import project as proj

    target = Path(args.project)
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")
    if target.suffix != ".toml":
        raise UsageError(f"{target}: a project file should end in .toml")
    project = proj.new_from_media(target, args.media, args.fps)
    proj.save(project, target)
    say(f"wrote {target}: {len(project.timeline.clips)} clips")
    return 0


def _setup_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("directory", nargs="?", default=None, help="where to write the demo media (default: projects/demo-media)")
    p.add_argument("--force", action="store_true", help="regenerate even when the files exist")


@command("demo", "generate the demo media (PyAV, no downloads)", _setup_demo)
def cmd_demo(args: argparse.Namespace) -> int:
    import time

    from core.demo import generate_demo

    directory = Path(args.directory) if args.directory else default_demo_dir()
    directory.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    paths = generate_demo(directory, force=args.force)
    say(f"demo media ready in {directory} ({len(paths)} files, {time.perf_counter() - t0:.1f} s)")
    return 0


def default_demo_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "projects" / "demo-media"


# -- entry point -----------------------------------------------------------------------------------
def _editor_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livecut",
        description="Keyboard-driven terminal video editor. Commands: "
        + ", ".join(sorted(_COMMANDS)) + " (livecut COMMAND --help).",
    )
    parser.add_argument("project", nargs="?", help="project TOML file to open (none: a new project)")
    parser.add_argument("--version", action="version", version=f"livecut {__version__}")
    parser.add_argument("--theme", help="colour theme (dark, light, high-contrast, or a user theme file)")
    parser.add_argument("--preview", choices=["auto", "window", "terminal", "none"], default="auto",
                        help="where the preview plays (default: auto)")
    parser.add_argument("--workers", type=int, default=None, help="encoder threads (default: CPU count)")
    return parser


def _run_editor(args: argparse.Namespace) -> int:
    from tui.app import run_editor

    return run_editor(args)


def _load_commands() -> None:
    """Import the modules that register more commands (kept apart to keep this file small)."""
    import tui.export_cmd
    import tui.headless
    import tui.play_cmd  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _load_commands()
    from tui.logsetup import setup_logging

    setup_logging()
    try:
        if argv and argv[0] in _COMMANDS:
            help_text, setup, func = _COMMANDS[argv[0]]
            parser = argparse.ArgumentParser(prog=f"livecut {argv[0]}", description=help_text)
            setup(parser)
            return func(parser.parse_args(argv[1:]))
        args = _editor_parser().parse_args(argv)
        if args.project and not args.project.endswith(".toml") and not Path(args.project).exists():
            raise UsageError(f"unknown command or project {args.project!r} (try livecut --help)")
        return _run_editor(args)
    except UsageError as exc:
        sys.stderr.write(f"livecut: {exc}\n")
        return 2
    except LivecutError as exc:
        sys.stderr.write(f"livecut: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("livecut: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # Run through the importable module so commands registered by tui.headless & co. (which
    # import ``tui.cli``) land in the same registry as the one ``main`` reads.
    from tui.cli import main as _main

    raise SystemExit(_main())
