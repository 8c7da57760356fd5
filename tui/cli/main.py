"""The ``livecut`` command line: the editor, or one of the headless commands.

``livecut [PROJECT.toml]`` opens the editor; the other commands (one module each in this
package, listed in ``COMMANDS``) drive the same core engine without a terminal UI. They never
import Textual, so they start fast and work in scripts. Every user mistake ends as one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import LivecutError
from core.modes import PREVIEW_CHOICES
from core.text import printable
from tui.cli.command import Command
from tui.cli.output import UsageError, check_workers, os_error_line
from tui.terminal import GRAPHICS_CHOICES

if TYPE_CHECKING:
    from tui.settings.config import Config

_NOT_COMMANDS = {"__main__", "main", "command", "output", "engine_run"}


def _discover() -> dict[str, Command]:
    """Every ``tui/cli/<name>.py`` that defines ``COMMAND``: adding a command is adding a module."""
    found: dict[str, Command] = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name in _NOT_COMMANDS:
            continue
        command = getattr(importlib.import_module(f"tui.cli.{info.name}"), "COMMAND", None)
        if isinstance(command, Command):
            found[command.name] = command
    return dict(sorted(found.items()))


COMMANDS: dict[str, Command] = _discover()


# -- entry point -----------------------------------------------------------------------------------
class _Version(argparse.Action):
    """``--version``: the installed package's version, read only when asked (``core.__version__``
    reads package metadata, which costs tens of milliseconds an editor start need not pay)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        import core

        sys.stdout.write(f"livecut {core.__version__}\n")
        parser.exit()


def _editor_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="livecut",
        description="Keyboard-driven terminal video editor. Commands: "
        + ", ".join(sorted(COMMANDS))
        + " (livecut COMMAND --help).",
    )
    parser.add_argument("project", nargs="?", help="project TOML file to open (none: a new project)")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--theme", help="colour theme (dark, light, high-contrast, or a user theme file)")
    parser.add_argument(
        "--preview", choices=PREVIEW_CHOICES, default="auto", help="where the preview plays (default: auto)"
    )
    parser.add_argument("--workers", type=int, default=None, help="encoder threads (default: CPU count)")
    parser.add_argument(
        "--graphics",
        choices=GRAPHICS_CHOICES,
        default=None,
        help="how the terminal preview draws: a graphics protocol or half blocks (default: the config, else auto)",
    )
    parser.add_argument("--web", action="store_true", help="also serve the preview to a browser (see livecut serve)")
    parser.add_argument("--web-port", type=int, default=None, help="port of the browser preview (default: 8765)")
    return parser


def _run_editor(args: argparse.Namespace, config: Config, problems: list[str]) -> int:
    from tui.app import run_editor

    return run_editor(args, (config, problems))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from tui.terminal.logsetup import setup_logging

    setup_logging()
    from core.cells.limits import configure
    from tui.settings.config import load_config

    config, problems = load_config()  # read once per run: the editor is handed it (run_editor)
    configure(config.cache_limit)  # [cache] limit in the config; LIVECUT_CACHE_LIMIT wins
    try:
        if argv and argv[0] in COMMANDS:
            for problem in problems:  # the editor shows these itself, as notifications
                sys.stderr.write(f"livecut: warning: {printable(problem)}\n")
            command = COMMANDS[argv[0]]
            parser = argparse.ArgumentParser(prog=f"livecut {command.name}", description=command.help)
            command.setup(parser)
            rest = command.prepare(argv[1:]) if command.prepare is not None else argv[1:]
            return command.run(parser.parse_args(rest))
        args = _editor_parser().parse_args(argv)
        check_workers(args.workers)
        if args.project and not args.project.endswith(".toml") and not os.path.lexists(args.project):
            raise UsageError(f"unknown command or project {args.project!r} (try livecut --help)")
        return _run_editor(args, config, problems)
    except UsageError as exc:
        sys.stderr.write(f"livecut: {printable(exc)}\n")
        return 2
    except LivecutError as exc:
        sys.stderr.write(f"livecut: {printable(exc)}\n")
        return 1
    except OSError as exc:  # a path the OS refuses (name too long, no permission, ...): one line
        if isinstance(exc, BrokenPipeError):
            return 0
        sys.stderr.write(f"livecut: {printable(os_error_line(exc))}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("livecut: interrupted\n")
        return 130
