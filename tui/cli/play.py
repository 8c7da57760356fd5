"""``livecut play``: play the timeline with libmpv while cells are still encoding.

With a display (and no SSH session) libmpv opens its own window; otherwise frames from
libmpv's software renderer are drawn into the terminal with half blocks. Keys: q quits,
space pauses, ←/→ step a second. Without a terminal on stdin it simply plays to the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import sys
import termios
import threading
import time
import tty
from collections.abc import Iterator

import numpy as np

from core.errors import LivecutError
from core.modes import resolve_choice
from core.timebase import frames_to_timecode, parse_time
from tui.cli.command import Command
from tui.cli.output import UsageError


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--from", dest="start", default="0", help='start at a frame, "5.5s" or HH:MM:SS:FF')
    p.add_argument("--preview", choices=["auto", "window", "terminal"], default="auto")
    p.add_argument("--no-audio", action="store_true", help="play without sound")
    p.add_argument("--workers", type=int, default=None)


@contextlib.contextmanager
def _cbreak() -> Iterator[bool]:
    """Single-key input when stdin is a terminal; yields whether keys can be read."""
    if not sys.stdin.isatty():
        yield False
        return
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


def _key(timeout: float) -> str:
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return ""
    data = os.read(sys.stdin.fileno(), 8).decode(errors="ignore")
    return {"\x1b[C": "right", "\x1b[D": "left"}.get(data, data[:1])


def cmd_play(args: argparse.Namespace) -> int:
    from core.engine.engine import Engine
    from core.model import project as proj
    from core.player.player import detect_display
    from core.preview.preview import Preview
    from core.preview.seam import Ended, Position, PreviewEvent

    project = proj.load(args.project)
    if not project.timeline.clips:
        raise LivecutError(f"{args.project}: the timeline is empty, nothing to play")
    try:
        start = parse_time(args.start, project.fps)
    except ValueError as exc:
        raise UsageError(f"--from: {exc}") from None
    if not 0 <= start < project.timeline.duration:
        raise UsageError(f"--from: {args.start} is outside the timeline (0..{project.timeline.duration - 1})")
    window = resolve_choice(args.preview, detect_display) == "window"
    if args.preview == "window" and not detect_display():
        raise UsageError("--preview window needs a graphical display (none here, or over SSH)")
    cols, rows = shutil.get_terminal_size((80, 24))
    rows = max(2, rows - 1)  # the last line shows the timecode
    latest: list[np.ndarray] = []
    state: dict[str, int | bool] = {"frame": start, "ended": False}
    wake = threading.Event()

    def on_frame(rgb: np.ndarray) -> None:
        latest[:] = [rgb]
        wake.set()

    def on_event(event: PreviewEvent) -> None:
        if isinstance(event, Position):
            state["frame"] = event.frame
        elif isinstance(event, Ended):
            state["ended"] = True
        wake.set()

    out = sys.stdout
    with (
        Engine(project, workers=args.workers) as engine,
        Preview(
            engine,
            "window" if window else "terminal",
            (cols, rows * 2),
            on_frame if not window else None,
            on_event,
            audio=not args.no_audio,
        ) as preview,
        _cbreak() as keys,
    ):
        preview.set_timeline(project.timeline, start)
        preview.play()
        if not window:
            out.write("\x1b[?25l\x1b[2J")
        try:
            while not state["ended"]:
                if keys:
                    key = _key(0.03)
                else:
                    time.sleep(0.03)
                    key = ""
                if key == "q":
                    break
                if key == " ":
                    preview.toggle()
                elif key in ("left", "right"):
                    preview.seek(state["frame"] + (1 if key == "right" else -1) * round(project.fps))
                if not window and latest:
                    frame = latest.pop()
                    snap = engine.snapshot()
                    out.write(_ansi(frame, cols, rows))
                    out.write(
                        f"\x1b[{rows + 1};1H\x1b[0m\x1b[K {frames_to_timecode(state['frame'], project.fps)} · "
                        f"{snap.summary()} · q quits"
                    )
                    out.flush()
        finally:
            if not window:
                out.write("\x1b[0m\x1b[?25h\r\n")
                out.flush()
    return 0


def _ansi(frame: np.ndarray, cols: int, rows: int) -> str:
    from tui.draw.ansi import frame_to_ansi

    return frame_to_ansi(frame, cols, rows)


COMMAND = Command(
    "play", "play the timeline with libmpv (a window, or the terminal) while encoding runs", _setup, cmd_play
)
