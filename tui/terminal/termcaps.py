"""What the terminal can draw, found by asking it, and which output ``--graphics`` then uses.

Why ask instead of reading ``$TERM``: ``xterm-256color`` is claimed by terminals with and without
sixel, kitty's protocol is spoken by kitty, WezTerm, Ghostty and Konsole whatever they call
themselves, and over SSH or in tmux the name says even less. So ``probe`` writes four queries and
reads the replies with a short timeout:

* kitty graphics: ``ESC _G i=31,s=1,v=1,a=q,t=d,f=24;AAAA ESC \\`` → ``ESC _G i=31;OK ESC \\``;
* XTVERSION ``CSI > 0 q`` → ``DCS > | name(version) ST`` (iTerm2 and WezTerm do inline images);
* the cell size in pixels ``CSI 16 t`` → ``CSI 6 ; h ; w t`` (else ``CSI 14 t``, the text
  area, divided by the cell count);
* DA1 ``CSI c`` last → ``CSI ? 62 ; 4 ; … c`` (attribute 4: sixel). Every terminal answers DA1,
  so its reply ends the wait: a terminal that ignores the others costs no timeout.

Inside tmux the queries (and later every image) are wrapped for passthrough, which tmux only
forwards with ``allow-passthrough on``; without it the editor says so once and uses half blocks.
Must run before Textual starts reading the terminal (its parser would eat the replies).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import select
import subprocess
import termios
import time
import tty
from dataclasses import dataclass

from tui.terminal import Graphics

log = logging.getLogger(__name__)

KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
XTVERSION_QUERY = "\x1b[>0q"
CELL_SIZE_QUERY = "\x1b[16t"
TEXT_AREA_QUERY = "\x1b[14t"
DA1_QUERY = "\x1b[c"
DEFAULT_TIMEOUT = 0.3
"""Seconds to wait for the DA1 reply: a local terminal answers in well under 10 ms, an SSH link
in one round trip."""
DEFAULT_CELL = (10, 20)
"""Cell size in pixels assumed when the terminal does not say."""

_DA1 = re.compile(rb"\x1b\[\?([\d;]*)c")
_KITTY_OK = re.compile(rb"\x1b_Gi=31;OK\x1b\\")
_XTVERSION = re.compile(rb"\x1bP>\|([^\x1b]*)\x1b\\")
_CELL = re.compile(rb"\x1b\[6;(\d+);(\d+)t")
_AREA = re.compile(rb"\x1b\[4;(\d+);(\d+)t")


@dataclass(frozen=True)
class Caps:
    """What the terminal answered."""

    kitty: bool = False
    sixel: bool = False
    iterm: bool = False
    name: str = ""
    """XTVERSION's answer (``kitty(0.35.2)``, ``WezTerm 20240203``), or empty."""
    cell_px: tuple[int, int] | None = None
    """(width, height) of one cell in pixels, if the terminal said."""
    answered: bool = False
    """Whether DA1 came back at all (False: no reply before the timeout)."""
    tmux: bool = False
    passthrough: bool = False


@dataclass(frozen=True)
class GraphicsChoice:
    """The output chosen and why, for the status line."""

    mode: Graphics
    """Never ``auto``."""
    reason: str
    caps: Caps
    cell_px: tuple[int, int]
    tmux: bool = False
    """Wrap every image in tmux passthrough."""

    @property
    def label(self) -> str:
        return {"kitty": "kitty graphics", "sixel": "sixel", "iterm": "iTerm2 images", "halfblock": "half blocks"}.get(
            self.mode, self.mode
        )


def in_tmux() -> bool:
    return bool(os.environ.get("TMUX"))


def tmux_passthrough_on() -> bool:
    """Whether tmux forwards ``DCS tmux;`` sequences (``allow-passthrough on`` or ``all``)."""
    try:
        out = subprocess.run(
            ["tmux", "show", "-Apv", "allow-passthrough"], capture_output=True, text=True, timeout=2
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return out.strip().splitlines()[-1:] in (["on"], ["all"]) if out.strip() else False


def wrap_tmux(sequence: str) -> str:
    """``sequence`` wrapped for tmux passthrough: ``ESC P tmux; …(ESC doubled)… ESC \\``."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def parse_replies(data: bytes, *, tmux: bool = False, passthrough: bool = False) -> Caps:
    """The capabilities in the terminal's reply bytes (the order of replies does not matter)."""
    da1 = _DA1.search(data)
    attrs = da1.group(1).split(b";") if da1 else []
    version = _XTVERSION.search(data)
    name = version.group(1).decode(errors="replace") if version else ""
    cell: tuple[int, int] | None = None
    if m := _CELL.search(data):
        height, width = int(m.group(1)), int(m.group(2))
        if width > 0 and height > 0:
            cell = (width, height)
    lowered = name.lower()
    return Caps(
        kitty=bool(_KITTY_OK.search(data)),
        sixel=b"4" in attrs,
        iterm="iterm2" in lowered or "wezterm" in lowered,
        name=name,
        cell_px=cell,
        answered=da1 is not None,
        tmux=tmux,
        passthrough=passthrough,
    )


def text_area_cell(data: bytes, cols: int, rows: int) -> tuple[int, int] | None:
    """Cell size from a ``CSI 14 t`` reply (text area in pixels) and the size in cells."""
    m = _AREA.search(data)
    if not m or cols <= 0 or rows <= 0:
        return None
    height, width = int(m.group(1)), int(m.group(2))
    if width <= 0 or height <= 0:
        return None
    return max(1, width // cols), max(1, height // rows)


def queries(tmux: bool = False) -> str:
    """What ``probe`` writes: the graphics queries (wrapped in tmux) and DA1 last, unwrapped.

    DA1 goes to tmux itself (which answers it), the others through to the outer terminal; the
    outer terminal's replies come back through tmux before tmux's own DA1 answer.
    """
    graphics = KITTY_QUERY + XTVERSION_QUERY + CELL_SIZE_QUERY + TEXT_AREA_QUERY
    if tmux:
        return wrap_tmux(graphics) + wrap_tmux(DA1_QUERY) + DA1_QUERY
    return graphics + DA1_QUERY


def probe(fd_in: int, fd_out: int, timeout: float = DEFAULT_TIMEOUT, *, tmux: bool | None = None) -> Caps:
    """Ask the terminal on ``fd_in``/``fd_out`` (raw mode for the duration) what it can draw.

    Reads until the last DA1 reply or ``timeout``; anything else read is discarded (it can only
    be replies: no one types in the first few milliseconds after start-up).
    """
    tmux = in_tmux() if tmux is None else tmux
    passthrough = tmux and tmux_passthrough_on()
    old = None
    with contextlib.suppress(termios.error):
        old = termios.tcgetattr(fd_in)
        tty.setraw(fd_in, termios.TCSANOW)
    data = b""
    try:
        os.write(fd_out, queries(tmux and passthrough).encode())
        wanted = 2 if tmux and passthrough else 1
        deadline = time.monotonic() + timeout
        while len(_DA1.findall(data)) < wanted:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            chunk = os.read(fd_in, 4096)
            if not chunk:
                break
            data += chunk
    finally:
        if old is not None:
            termios.tcsetattr(fd_in, termios.TCSANOW, old)
    caps = parse_replies(data, tmux=tmux, passthrough=passthrough)
    if caps.cell_px is None:
        with contextlib.suppress(OSError):
            size = os.get_terminal_size(fd_out)
            cell = text_area_cell(data, size.columns, size.lines)
            if cell is not None:
                caps = Caps(**{**caps.__dict__, "cell_px": cell})
    log.info("terminal replies %r → %s", data[:200], caps)
    return caps


def choose(requested: Graphics, caps: Caps) -> GraphicsChoice:
    """The output for ``requested`` given ``caps``: ``auto`` prefers kitty, then iTerm2, then sixel."""
    cell = caps.cell_px or DEFAULT_CELL
    if caps.tmux and not caps.passthrough and requested != "halfblock":
        return GraphicsChoice(
            "halfblock", "tmux without allow-passthrough: half blocks (tmux set -g allow-passthrough on)", caps, cell
        )
    wrap = caps.tmux and caps.passthrough
    if requested != "auto":
        return GraphicsChoice(requested, f"{requested} (--graphics)", caps, cell, wrap)
    for mode, ok in (("kitty", caps.kitty), ("iterm", caps.iterm), ("sixel", caps.sixel)):
        if ok:
            return GraphicsChoice(mode, f"{mode}: the terminal said so", caps, cell, wrap)  # type: ignore[arg-type]
    why = "no reply from the terminal" if not caps.answered else "no graphics protocol in the terminal's replies"
    return GraphicsChoice("halfblock", f"half blocks: {why}", caps, cell, wrap)


def detect(requested: Graphics, fd_in: int, fd_out: int, timeout: float = DEFAULT_TIMEOUT) -> GraphicsChoice:
    """``choose`` after probing when that can tell anything (``halfblock`` asks nothing)."""
    if not (os.isatty(fd_in) and os.isatty(fd_out)):
        return GraphicsChoice("halfblock", "", Caps(), DEFAULT_CELL)  # no terminal: nothing to say either
    if requested == "halfblock":
        return choose(requested, Caps())
    return choose(requested, probe(fd_in, fd_out, timeout))
