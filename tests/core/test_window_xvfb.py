"""The window preview on a display without a GPU: Xvfb, with Mesa's software OpenGL.

The display check (``core.player.probe``) must find an output there, and the player's window must
show the exact frame it was sought to: the window's pixels are read back from the X server and
the frame index painted by ``core.synthetic.testpattern`` is decoded from them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.player import probe
from core.player.player import Player
from core.stream.bytestream import GrowingStream
from core.synthetic.testpattern import draw_frame, read_index

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(90),
    pytest.mark.skipif(
        shutil.which("Xvfb") is None or shutil.which("xwininfo") is None, reason="make test installs Xvfb"
    ),
]

FPS = Fraction(25)
FRAMES = 50
WIDTH, HEIGHT = 320, 180


def make_fmp4() -> bytes:
    """All-intra H.264, fragmented MP4, frame ``i`` is ``draw_frame(i)``."""
    buf = io.BytesIO()
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(buf, "w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"g": "1", "preset": "ultrafast", "crf": "12"}
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(draw_frame(i, WIDTH, HEIGHT), format="rgb24")
            frame.pts = i
            frame.time_base = 1 / FPS
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    number = next(n for n in range(200, 300) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY")}
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        for key in saved:
            os.environ.pop(key, None)
        os.environ["DISPLAY"] = f":{number}"
        probe.forget()
        yield f":{number}"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        probe.forget()
        server.terminate()
        server.wait(10)


class _XImage(ctypes.Structure):
    _fields_ = [  # the C layout of XImage up to the fields read here
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def grab(display: str, x: int, y: int, width: int, height: int) -> np.ndarray:
    """RGB pixels of a rectangle of the root window (24-bit TrueColor, little-endian BGRX)."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XGetImage.restype = ctypes.POINTER(_XImage)
    x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_int] * 2 + [ctypes.c_uint] * 2
    x11.XGetImage.argtypes += [ctypes.c_ulong, ctypes.c_int]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = x11.XOpenDisplay(display.encode())
    assert handle, f"cannot open {display}"
    try:
        image = x11.XGetImage(handle, x11.XDefaultRootWindow(handle), x, y, width, height, 0xFFFFFFFF, 2)
        assert image, "XGetImage failed"
        img = image.contents
        assert img.bits_per_pixel == 32
        raw = np.ctypeslib.as_array(img.data, shape=(img.height * img.bytes_per_line,)).copy()
        x11.XFree(image)  # the pixel data leaks with the test process; fine for a few grabs
    finally:
        x11.XCloseDisplay(handle)
    pixels = raw.reshape(height, -1)[:, : width * 4].reshape(height, width, 4)
    return pixels[:, :, 2::-1].copy()  # BGRX → RGB


def window_geometry(display: str, title: str) -> tuple[int, int, int, int] | None:
    out = subprocess.run(
        ["xwininfo", "-name", title], capture_output=True, text=True, timeout=10, env={**os.environ, "DISPLAY": display}
    ).stdout
    numbers = {k: int(v) for k, v in re.findall(r"(Absolute upper-left [XY]|Width|Height):\s+(-?\d+)", out)}
    if len(numbers) < 4:
        return None
    return numbers["Absolute upper-left X"], numbers["Absolute upper-left Y"], numbers["Width"], numbers["Height"]


def shown_index(display: str) -> int | None:
    geometry = window_geometry(display, "livecut preview")
    if geometry is None:
        return None
    return read_index(grab(display, *geometry))


def test_the_display_check_finds_a_window_output_on_xvfb(display: str) -> None:
    answer = probe.probe_window(timeout=10)  # generous: this asks whether it works, not how fast
    assert answer.usable, answer.reason
    assert answer.output is not None and answer.output.vo in ("gpu", "x11")


def test_window_preview_plays_and_seeks_frame_exact_on_xvfb(display: str) -> None:
    assert probe.window_output(timeout=10).usable
    stream = GrowingStream()
    stream.append(make_fmp4())
    stream.finish()
    player = Player(vo="window", audio=False)
    try:
        player.pause()
        player.load(stream)
        for target in (0, 17, 42, 5):
            player.seek_frame(target, FPS)
            deadline = time.monotonic() + 15
            seen = None
            while time.monotonic() < deadline:
                seen = shown_index(display)
                if seen == target and not player.seeking:
                    break
                time.sleep(0.1)
            assert seen == target, f"the window shows frame {seen}, not {target}"
        player.set_speed(1.0)  # and it plays: the frame on screen advances
        deadline = time.monotonic() + 15
        seen = 5
        while time.monotonic() < deadline and (seen is None or seen <= 10):
            time.sleep(0.1)
            seen = shown_index(display)
        assert seen is not None and seen > 10
    finally:
        player.close()
