"""A test terminal for graphics: decodes kitty / sixel / iTerm2 sequences back into pixels.

No terminal emulator with graphics runs here, so tests read what livecut writes the way such a
terminal would: every image sequence in a captured byte stream becomes an ``Event`` holding the
decoded H×W×3 picture and the cursor cell it was drawn at (the last absolute ``CSI row;col H``
before it), and kitty deletions become events too. Written independently of
``tui.draw.encode``: it follows the protocols' documents, not the encoder's code.
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
