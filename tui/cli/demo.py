"""``livecut demo``: generate the demo project's media with PyAV (no downloads)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cli.command import Command
from tui.cli.output import Progress, UsageError, say


def _setup_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "directory", nargs="?", default=None, help="where to write the demo media (default: projects/demo-media)"
    )
    p.add_argument("--force", action="store_true", help="regenerate even when the files exist")


def cmd_demo(args: argparse.Namespace) -> int:
    import time

    from core.synthetic.demo import generate_demo

    directory = Path(args.directory) if args.directory else default_demo_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{directory}: cannot create the folder ({getattr(exc, 'strerror', None) or exc})") from None
    t0 = time.perf_counter()
    progress = Progress(quiet=False)
    progress.show(f"writing the demo media into {directory} …", force=True)
    paths = generate_demo(
        directory,
        force=args.force,
        on_progress=lambda done, total, name: progress.show(f"demo media: {done}/{total} written ({name})", force=True),
    )
    progress.done()
    say(f"demo media ready in {directory} ({len(paths)} files, {time.perf_counter() - t0:.1f} s)")
    return 0


def default_demo_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "projects" / "demo-media"


COMMAND = Command("demo", "generate the demo media (PyAV, no downloads)", _setup_demo, cmd_demo)
