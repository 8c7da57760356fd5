"""A test terminal for graphics: decodes kitty / sixel / iTerm2 sequences back into pixels.

No terminal emulator with graphics runs here, so tests read what livecut writes the way such a
terminal would: every image sequence in a captured byte stream becomes an ``Event`` holding the
decoded H×W×3 picture and the cursor cell it was drawn at (the last absolute ``CSI row;col H``
before it), and kitty deletions become events too. Written independently of
``tui.terminal.encode``: it follows the protocols' documents, not the encoder's code.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

_SEQ = re.compile(
    rb"\x1b_G(?P<kitty>[^\x1b]*)\x1b\\"
    rb"|\x1bP(?P<dcs>[^\x1b]*)\x1b\\"
    rb"|\x1b\]1337;File=(?P<iterm>[^\x07\x1b]*)(?:\x07|\x1b\\)"
    rb"|\x1b\[(?P<row>\d+);(?P<col>\d+)H"
    rb"|\x1bPtmux;(?P<tmux>(?:[^\x1b]|\x1b\x1b)*)\x1b\\"
)


@dataclass
class Event:
    kind: str
    """``kitty`` (a placement of a transmitted image), ``kitty-delete``, ``sixel`` or ``iterm``."""
    at: tuple[int, int] = (0, 0)
    """(row, col), 1-based, where the cursor was."""
    picture: np.ndarray | None = None
    cells: tuple[int, int] | None = None
    """(cols, rows) the picture was stretched over (kitty c/r, iTerm2 width/height)."""
    keys: dict[str, str] = field(default_factory=dict)


def unwrap_tmux(data: bytes) -> bytes:
    """Undo tmux passthrough: ``ESC P tmux; <payload with ESC doubled> ESC \\``."""
    return re.sub(rb"\x1bPtmux;((?:[^\x1b]|\x1b\x1b)*)\x1b\\", lambda m: m.group(1).replace(b"\x1b\x1b", b"\x1b"), data)


def decode(data: bytes) -> list[Event]:
    """Every image event in ``data``, in order."""
    events: list[Event] = []
    at = (1, 1)
    images: dict[str, np.ndarray] = {}
    pending: dict[str, str] | None = None
    payload = b""
    for m in _SEQ.finditer(data):
        if m.group("row") is not None:
            at = (int(m.group("row")), int(m.group("col")))
        elif m.group("kitty") is not None:
            head, _, body = m.group("kitty").partition(b";")
            keys = dict(kv.split("=", 1) for kv in head.decode().split(",") if "=" in kv)
            if pending is None and keys.get("a") == "t":
                pending, payload = keys, b""
            if pending is not None and keys.get("a", "t") == "t":
                payload += body
                if keys.get("m", "0") == "0":
                    images[pending["i"]] = _kitty_pixels(pending, payload)
                    pending = None
            elif keys.get("a") == "p":
                events.append(Event("kitty", at, images.get(keys["i"]), (int(keys["c"]), int(keys["r"])), keys))
            elif keys.get("a") == "d":
                events.append(Event("kitty-delete", at, keys=keys))
        elif m.group("dcs") is not None:
            dcs = m.group("dcs")
            if b"q" in dcs[:8]:
                events.append(Event("sixel", at, decode_sixel(dcs.decode("ascii"))))
        elif m.group("iterm") is not None:
            args, _, b64 = m.group("iterm").partition(b":")
            keys = dict(kv.split("=", 1) for kv in args.decode().split(";") if "=" in kv)
            picture = decode_png(base64.standard_b64decode(b64))
            events.append(Event("iterm", at, picture, (int(keys["width"]), int(keys["height"])), keys))
    return events


def _kitty_pixels(keys: dict[str, str], payload: bytes) -> np.ndarray:
    raw = base64.standard_b64decode(payload)
    if keys.get("f") == "100":
        return decode_png(raw)
    if keys.get("o") == "z":
        raw = zlib.decompress(raw)
    w, h = int(keys["s"]), int(keys["v"])
    channels = {"24": 3, "32": 4}[keys.get("f", "32")]
    return np.frombuffer(raw, dtype=np.uint8).reshape(h, w, channels)[..., :3].copy()


def decode_sixel(text: str) -> np.ndarray:
    """A sixel body (after ``ESC P``, without ``ESC \\``) as an RGB picture (black background)."""
    body = text[text.index("q") + 1 :]
    size = re.match(r'"(\d+);(\d+);(\d+);(\d+)', body)
    assert size is not None, "no raster attributes"
    w, h = int(size.group(3)), int(size.group(4))
    body = body[size.end() :]
    picture = np.zeros((h + 6, w + 1, 3), dtype=np.uint8)
    colours: dict[int, tuple[int, int, int]] = {}
    colour = (0, 0, 0)
    x = y = 0
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "#":
            m = re.match(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?", body[i:])
            assert m is not None
            n = int(m.group(1))
            if m.group(2) is not None:
                colours[n] = tuple(round(int(m.group(k)) * 255 / 100) for k in (2, 3, 4))  # type: ignore[assignment]
            colour = colours[n]
            i += m.end()
            continue
        if ch == "$":
            x = 0
        elif ch == "-":
            x, y = 0, y + 6
        elif ch == "!":
            m = re.match(r"!(\d+)(.)", body[i:])
            assert m is not None
            count, code = int(m.group(1)), ord(m.group(2)) - 63
            for bit in range(6):
                if code >> bit & 1:
                    picture[y + bit, x : x + count] = colour
            x += count
            i += m.end()
            continue
        elif "?" <= ch <= "~":
            code = ord(ch) - 63
            for bit in range(6):
                if code >> bit & 1:
                    picture[y + bit, x] = colour
            x += 1
        i += 1
    return picture[:h, :w]


def decode_png(data: bytes) -> np.ndarray:
    """An 8-bit RGB/RGBA PNG (any of the five row filters) as RGB."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    h = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour_type = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, w * channels + 1)
    out = np.zeros((h, w * channels), dtype=np.int32)
    for y in range(h):
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y else np.zeros(w * channels, dtype=np.int32)
        if f == 0:
            out[y] = line
        elif f == 2:
            out[y] = (line + prev) & 0xFF
        else:  # 1, 3, 4 need the left neighbour: byte by byte
            row = np.zeros(w * channels, dtype=np.int32)
            for x in range(w * channels):
                a = row[x - channels] if x >= channels else 0
                b, c = prev[x], prev[x - channels] if x >= channels else 0
                pred = {1: a, 3: (a + b) // 2}.get(int(f))
                if pred is None:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                row[x] = (line[x] + pred) & 0xFF
            out[y] = row
    return out.astype(np.uint8).reshape(h, w, channels)[..., :3]


# -- half blocks -------------------------------------------------------------------------------
_CELL_SEQ = re.compile(
    r"\x1b\[(?P<params>[0-9;?<>=]*)[ -/]*(?P<final>[@-~])"
    r"|\x1b(?P<save>[78])"
    r"|\x1b[P_\]^X].*?(?:\x1b\\|\x07)"
    r"|\x1b."
    r"|(?P<text>[^\x1b]+)",
    re.S,
)
_BASIC = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
]
Colour = tuple[int, int, int]


def xterm_colour(n: int) -> Colour:
    """The RGB of an xterm-256 palette index."""
    if n < 8:
        return _BASIC[n]
    if n < 16:
        return tuple(min(255, c + 50) for c in _BASIC[n - 8])  # type: ignore[return-value]
    if n < 232:
        levels = (0, 95, 135, 175, 215, 255)
        n -= 16
        return levels[n // 36], levels[n // 6 % 6], levels[n % 6]
    grey = 8 + 10 * (n - 232)
    return grey, grey, grey


class CellScreen:
    """Enough of a character terminal to read half-block pictures back: cursor moves (CUP, CUF,
    CUB, CHA, save/restore), SGR colours (truecolour, 256, the basic eight), erase in line and
    display, and printable text. Every other sequence (graphics, queries, modes) is skipped.
    Written from the VT/xterm documents, not from ``tui.terminal.blockwriter``."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.glyph = np.full((rows, cols), " ", dtype="<U1")
        self.fg = np.zeros((rows, cols, 3), dtype=np.uint8)
        self.bg = np.zeros((rows, cols, 3), dtype=np.uint8)
        self.x = self.y = 0
        self._saved = (0, 0)
        self._fg: Colour = (229, 229, 229)
        self._bg: Colour = (0, 0, 0)

    def feed(self, data: bytes) -> None:
        for m in _CELL_SEQ.finditer(data.decode("utf-8", errors="replace")):
            if m.group("text") is not None:
                self._text(m.group("text"))
            elif m.group("final") is not None:
                self._csi(m.group("params"), m.group("final"))
            elif m.group("save") == "7":
                self._saved = (self.x, self.y)
            elif m.group("save") == "8":
                self.x, self.y = self._saved

    def _text(self, text: str) -> None:
        for ch in text:
            if ch == "\r":
                self.x = 0
            elif ch == "\n":
                self.y = min(self.rows - 1, self.y + 1)
            elif ch >= " ":
                if self.x < self.cols and self.y < self.rows:
                    self.glyph[self.y, self.x] = ch
                    self.fg[self.y, self.x] = self._fg
                    self.bg[self.y, self.x] = self._bg
                self.x += 1

    def _csi(self, params: str, final: str) -> None:
        if params.startswith(("?", ">", "<", "=")):
            return
        args = [int(p) if p else 0 for p in params.split(";")] if params else []
        n = args[0] if args and args[0] else 1
        if final in "Hf":
            row = args[0] if args and args[0] else 1
            col = args[1] if len(args) > 1 and args[1] else 1
            self.y, self.x = min(self.rows, row) - 1, min(self.cols, col) - 1
        elif final == "C":
            self.x = min(self.cols - 1, self.x + n)
        elif final == "D":
            self.x = max(0, self.x - n)
        elif final == "G":
            self.x = min(self.cols, n) - 1
        elif final == "K":
            self.glyph[self.y, self.x :] = " "
            self.bg[self.y, self.x :] = self._bg
        elif final == "J" and args[:1] == [2]:
            self.glyph[:] = " "
            self.bg[:] = self._bg
        elif final == "m":
            self._sgr(args or [0])

    def _sgr(self, args: list[int]) -> None:
        i = 0
        while i < len(args):
            a = args[i]
            if a == 0:
                self._fg, self._bg = (229, 229, 229), (0, 0, 0)
            elif a in (38, 48) and i + 1 < len(args):
                if args[i + 1] == 2 and i + 4 < len(args):
                    colour: Colour = (args[i + 2], args[i + 3], args[i + 4])
                    i += 4
                else:
                    colour = xterm_colour(args[i + 2] if i + 2 < len(args) else 0)
                    i += 2
                if a == 38:
                    self._fg = colour
                else:
                    self._bg = colour
            elif 30 <= a <= 37 or 90 <= a <= 97:
                self._fg = xterm_colour(a - 30 if a < 90 else a - 82)
            elif 40 <= a <= 47 or 100 <= a <= 107:
                self._bg = xterm_colour(a - 40 if a < 100 else a - 92)
            elif a == 39:
                self._fg = (229, 229, 229)
            elif a == 49:
                self._bg = (0, 0, 0)
            i += 1

    def pixels(self) -> np.ndarray:
        """The screen as a picture of two pixels per cell (``▀``, ``▄``, ``█``; other cells show
        their background)."""
        top = self.bg.copy()
        bottom = self.bg.copy()
        upper, lower, full = self.glyph == "▀", self.glyph == "▄", self.glyph == "█"
        top[upper | full] = self.fg[upper | full]
        bottom[lower | full] = self.fg[lower | full]
        out = np.empty((self.rows * 2, self.cols, 3), dtype=np.uint8)
        out[0::2], out[1::2] = top, bottom
        return out

    def inside_box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(row, col, rows, cols), 0-based, of the inside of the box whose top-left corner is at
        (``row``, ``col``): its right edge is the first top-right corner along that row, its
        bottom the first bottom-left corner down that column (a border title may sit between)."""
        line = "".join(self.glyph[row, col + 1 :].tolist())
        down = "".join(self.glyph[row + 1 :, col].tolist())
        right = next(i for i, ch in enumerate(line) if ch in "╮┐┓╗")
        bottom = next(i for i, ch in enumerate(down) if ch in "╯╰└┗╚")
        return row + 1, col + 1, bottom, right

    def picture(self, row: int, col: int, rows: int, cols: int) -> np.ndarray:
        """The pixels of a cell rectangle, its letterbox (rows and columns entirely of the
        rectangle's corner colour) cut off."""
        px = self.pixels()[row * 2 : (row + rows) * 2, col : col + cols]
        pad = px[0, 0]
        plain = (px == pad).all(axis=2)
        keep_rows = np.flatnonzero(~plain.all(axis=1))
        keep_cols = np.flatnonzero(~plain.all(axis=0))
        if not len(keep_rows) or not len(keep_cols):
            return px[:0, :0]
        return px[keep_rows[0] : keep_rows[-1] + 1, keep_cols[0] : keep_cols[-1] + 1]
