"""``livecut encoders``: the H.264 encoders tried, and the one chosen."""

from __future__ import annotations

import argparse

from tui.cli.command import Command
from tui.cli.output import emit_json, say


def _setup_encoders(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def cmd_encoders(args: argparse.Namespace) -> int:
    from core.cells.encoders import detect_encoders

    choice = detect_encoders()
    if args.json:
        emit_json(choice.to_dict())
        return 0
    for cand in choice.candidates:
        mark = "*" if cand.name == choice.name else (" " if not cand.available else "+")
        say(f"{mark} {cand.name:<18} {'available' if cand.available else 'unavailable'}: {cand.reason}")
    say(f"chosen: {choice.name} ({'forced' if choice.forced else 'auto-detected'} in {choice.seconds * 1000:.0f} ms)")
    return 0


COMMAND = Command("encoders", "show the H.264 encoders considered and the one chosen", _setup_encoders, cmd_encoders)
