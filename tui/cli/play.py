"""``livecut play``: play the timeline with libmpv while cells are still encoding.

With a display (and no SSH session) libmpv opens its own window; otherwise frames from
libmpv's software renderer are drawn into the terminal: with kitty graphics, sixel or iTerm2
images when the terminal says it can (``--graphics auto`` asks it; ``tui.terminal.termcaps``), else
with half blocks, of which only the cells that changed are sent. Pictures are encoded on a thread
(newest frame wins) while the main loop waits for keys and frames. The picture is drawn on the
alternate screen, so after q the shell's screen comes back as it was (no last frame left over).
Keys: q quits, space pauses, ←/→ step a second. Without a terminal on stdin it simply plays to
the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from core.errors import LivecutError
from core.modes import resolve_choice
from core.timebase import frames_to_timecode, parse_time
from tui.cli.command import Command
from tui.cli.output import UsageError
from tui.terminal import GRAPHICS_CHOICES, Graphics
from tui.terminal.blockwriter import Area
from tui.terminal.latest import LatestWorker
from tui.terminal.rawmode import cbreak, wait_key

if TYPE_CHECKING:
    from tui.terminal.termcaps import GraphicsChoice


def _setup(p: argparse.ArgumentParser) -> None:
    p.epilog = "keys while playing: q quits · space pauses and plays · ← / → one second back / forward"
    p.add_argument("project")
    p.add_argument("--from", dest="start", default="0", help='start at a frame, "5.5s" or HH:MM:SS:FF')
    p.add_argument("--preview", choices=["auto", "window", "terminal"], default="auto")
    p.add_argument("--no-audio", action="store_true", help="play without sound")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument(
        "--graphics",
        choices=GRAPHICS_CHOICES,
        default=None,
        help="how the terminal draws the picture (default: the config's, else auto: ask the terminal)",
    )
    p.add_argument("--max-bytes-per-second", type=int, default=None, help="cap on picture bytes sent (slow links)")


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
    painter = None if window else _painter(args, project.preview_height)
    frame_size = (cols, rows * 2) if painter is None else painter.pixel_size(cols, rows)
    latest: list[np.ndarray] = []
    state: dict[str, int | bool] = {"frame": start, "ended": False, "quit": False}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)

    def wake() -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(wake_w, b"x")

    def on_frame(rgb: np.ndarray) -> None:
        latest[:] = [rgb]
        wake()

    def on_event(event: PreviewEvent) -> None:
        if isinstance(event, Position):
            state["frame"] = event.frame
        elif isinstance(event, Ended):
            state["ended"] = True
        wake()

    out = sys.stdout
    write_lock = threading.Lock()

    def status() -> str:
        snap = engine.snapshot()
        note = f" · {said}" if painter and (said := painter.note()) else ""
        text = f" {frames_to_timecode(int(state['frame']), project.fps)} · {snap.summary()} · q quits{note}"
        if len(text) > cols - 1:  # a line as wide as the terminal would wrap and scroll the picture
            text = text[: max(0, cols - 2)] + "…"
        return f"\x1b[{rows + 1};1H\x1b[0m\x1b[K{text}"

    def draw(frame: np.ndarray, picture: str) -> None:
        """Encoder thread: write the picture and the status line (the lock keeps them whole)."""
        with write_lock:
            if state["ended"] or state["quit"]:
                return
            out.write(picture + status())
            out.flush()

    with (
        Engine(project, workers=args.workers) as engine,
        Preview(
            engine,
            "window" if window else "terminal",
            frame_size,
            on_frame if not window else None,
            on_event,
            audio=not args.no_audio,
        ) as preview,
        cbreak() as keys,
    ):
        preview.set_timeline(project.timeline, start)
        preview.play()
        worker = (
            LatestWorker(lambda frame: painter.paint(frame, cols, rows), draw, name="play-picture")
            if painter is not None
            else None
        )
        if painter is not None:
            out.write("\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[2J")  # no autowrap: nothing may scroll
            out.flush()
        try:
            while not state["ended"]:
                key = wait_key(wake_r, keys, 0.25)
                if key == "q":
                    break
                if key == " ":
                    preview.toggle()
                elif key in ("left", "right"):
                    preview.seek(int(state["frame"]) + (1 if key == "right" else -1) * round(project.fps))
                if worker is not None and latest:
                    worker.submit(latest.pop())
        finally:
            with write_lock:
                state["quit"] = True
            if worker is not None:
                worker.close(timeout=2.0)
            if painter is not None:
                with write_lock:
                    out.write(painter.clear() + "\x1b[0m\x1b[2J\x1b[?7h\x1b[?25h\x1b[?1049l")
                    out.flush()
            os.close(wake_r)
            os.close(wake_w)
    return 0


def _painter(args: argparse.Namespace, preview_height: int) -> Painter:
    """Ask the terminal (before cbreak mode and the player start) what to draw with."""
    from tui.settings.config import load_config
    from tui.terminal.termcaps import detect

    config, _ = load_config()
    requested: Graphics = args.graphics or config.graphics or "auto"
    rate = args.max_bytes_per_second or config.max_bytes_per_second
    try:
        choice = detect(requested, sys.stdin.fileno(), sys.stdout.fileno())
    except (OSError, ValueError):
        from tui.terminal.termcaps import Caps, choose

        choice = choose("halfblock", Caps())
    return Painter(choice, preview_height, rate)


class Painter:
    """Frames to bytes for ``play``: a graphics protocol, or half blocks of which only the changed
    cells are sent (``tui.terminal.blockwriter``). Called on the encoder thread only."""

    def __init__(self, choice: GraphicsChoice, preview_height: int, max_bytes_per_second: int | None) -> None:
        from tui.terminal.blockwriter import BlockWriter
        from tui.terminal.graphics import GraphicsOutput

        self.choice = choice
        self.preview_height = preview_height
        self.output = (
            GraphicsOutput(choice, max_bytes_per_second=max_bytes_per_second) if choice.mode != "halfblock" else None
        )
        self.blocks = BlockWriter(max_bytes_per_second=max_bytes_per_second) if choice.mode == "halfblock" else None
        self._since = time.monotonic()

    def note(self) -> str:
        """What draws the picture; for the first seconds, why (e.g. tmux without passthrough)."""
        return self.choice.reason if time.monotonic() - self._since < 5 else self.choice.label

    def pixel_size(self, cols: int, rows: int) -> tuple[int, int]:
        """Frame size to ask the player for: the terminal's pixels, at most the preview stream's."""
        if self.output is None:
            return cols, rows * 2
        cw, ch = self.choice.cell_px
        w, h = cols * cw, rows * ch
        scale = min(1.0, self.preview_height / max(h, 1))
        return max(16, int(w * scale)), max(16, int(h * scale))

    def paint(self, frame: np.ndarray, cols: int, rows: int) -> str:
        """The bytes that show ``frame`` in the top ``rows`` rows ("" when nothing changed)."""
        if self.output is not None:
            return self.output.frame(frame, 0, 0, cols, rows) or ""
        assert self.blocks is not None
        return self.blocks.frame(frame, Area(0, 0, cols, rows)) or ""

    def clear(self) -> str:
        return self.output.clear() if self.output is not None else ""


COMMAND = Command(
    "play", "play the timeline with libmpv (a window, or the terminal) while encoding runs", _setup, cmd_play
)
