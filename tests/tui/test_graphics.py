"""Terminal graphics: encoders decoded back to pixels, detection from real reply bytes over a pty,
placement, de-duplication, the byte cap, tmux wrapping, and the config keys."""

from __future__ import annotations

import gc
import os
import threading
import time

import numpy as np
import pytest

from core.synthetic.testpattern import draw_frame, read_index
from tests.e2e.pty_term import DA1_Q, TERMINALS
from tests.graphics_term import decode, unwrap_tmux
from tui.cli.play import Painter
from tui.settings.config import from_dict
from tui.terminal import encode
from tui.terminal.graphics import GraphicsOutput, place
from tui.terminal.termcaps import Caps, GraphicsChoice, choose, parse_replies, probe, queries, wrap_tmux
from tui.widgets import halfblock

FRAME = draw_frame(4321, 320, 180)


def only_picture(data: str) -> np.ndarray:
    pictures = [e.picture for e in decode(data.encode()) if e.picture is not None]
    assert len(pictures) == 1
    return pictures[0]


def test_kitty_and_iterm_are_lossless() -> None:
    kitty = only_picture(encode.kitty_transmit(FRAME, 9) + encode.kitty_place(9, 32, 9))
    iterm = only_picture(encode.iterm(FRAME, 32, 9))
    assert np.array_equal(kitty, FRAME) and np.array_equal(iterm, FRAME)


@pytest.mark.parametrize("levels", [6, 4])
def test_sixel_keeps_the_picture(levels: int) -> None:
    picture = only_picture(encode.sixel(FRAME, levels=levels))
    assert picture.shape == FRAME.shape
    assert read_index(picture) == 4321
    step = 255 / (levels - 1)
    assert np.abs(picture.astype(int) - FRAME.astype(int)).max() <= step / 2 + 3  # nearest palette level


def test_sixel_of_odd_sizes_and_flat_frames() -> None:
    for h, w in ((1, 1), (7, 5), (13, 64)):
        rgb = np.random.default_rng(h).integers(0, 256, (h, w, 3), dtype=np.uint8)
        picture = only_picture(encode.sixel(rgb, levels=2))
        assert np.array_equal(picture, np.where(rgb > 127, 255, 0).astype(np.uint8))
    flat = np.full((12, 100, 3), 255, dtype=np.uint8)
    text = encode.sixel(flat, levels=2)
    assert "!100~" in text and len(text) < 80  # runs become repeats


def test_place_fits_centres_and_never_upscales() -> None:
    # 640×360 pane of 64×18 cells of 10×20 px, frame 320×180: shown over the whole pane, sent at 320×180
    p = place(320, 180, 1, 1, 64, 18, (10, 20))
    assert (p.cols, p.rows, p.width, p.height) == (64, 18, 320, 180) and (p.col, p.row) == (1, 1)
    # a tall pane: letterboxed vertically and centred, sent at the pane's pixels (smaller than the frame)
    p = place(1280, 720, 0, 0, 40, 30, (10, 20))
    assert p.cols == 40 and p.rows == 11 and p.row == 9 and (p.width, p.height) == (400, 225)


def test_output_skips_unchanged_frames_and_kitty_swaps_without_a_gap() -> None:
    out = GraphicsOutput(choose("kitty", Caps(cell_px=(10, 20))))
    first = out.frame(FRAME, 2, 3, 32, 9)
    assert first is not None and out.frame(FRAME.copy(), 2, 3, 32, 9) is None
    second = out.frame(draw_frame(4322, 320, 180), 2, 3, 32, 9)
    assert second is not None
    events = decode(second.encode())
    assert [e.kind for e in events] == ["kitty", "kitty-delete"]  # new one placed before the old goes
    assert events[0].at == (4, 3) and events[0].picture is not None and read_index(events[0].picture) == 4322
    assert events[1].keys["i"] != events[0].keys["i"]
    assert out.frame(draw_frame(4322, 320, 180), 2, 3, 20, 9) is not None  # moved/resized: sent again
    cleared = decode(out.clear().encode())
    assert {e.keys["i"] for e in cleared} == {"19523", "19524"}


def test_byte_cap_skips_frames_instead_of_queueing() -> None:
    now = [0.0]
    out = GraphicsOutput(choose("sixel", Caps()), max_bytes_per_second=100_000, clock=lambda: now[0])
    sent = []
    for n in range(60):  # 60 frames a second for a second
        now[0] = n / 60
        data = out.frame(draw_frame(n, 320, 180), 0, 0, 32, 9)
        sent.append(len(data) if data else 0)
    assert out.skipped_frames == sent.count(0) > 30
    assert sum(sent) <= 100_000 + max(sent)  # over one second: the cap, overshot by one frame at most
    now[0] += 2  # the credit refills: the newest frame goes out at once
    assert out.frame(draw_frame(99, 320, 180), 0, 0, 32, 9) is not None


def test_tmux_wrapping_doubles_escapes_and_decodes_the_same() -> None:
    assert wrap_tmux("\x1b_Ga=d;\x1b\\") == "\x1bPtmux;\x1b\x1b_Ga=d;\x1b\x1b\\\x1b\\"
    choice = GraphicsChoice("kitty", "", Caps(), (10, 20), tmux=True)
    data = GraphicsOutput(choice).frame(FRAME, 0, 0, 32, 9)
    assert data is not None and data.count("\x1bPtmux;") == 2  # transmit, place
    event = next(e for e in decode(unwrap_tmux(data.encode())) if e.kind == "kitty")
    assert event.picture is not None and np.array_equal(event.picture, FRAME)
    assert queries(tmux=True).endswith("\x1b\\\x1b[c")  # DA1 unwrapped last: tmux itself answers


@pytest.mark.parametrize(
    ("kind", "mode"), [("kitty", "kitty"), ("xterm-sixel", "sixel"), ("wezterm", "iterm"), ("plain", "halfblock")]
)
def test_choice_from_each_terminals_replies(kind: str, mode: str) -> None:
    replies = b"".join(TERMINALS[kind].values())
    choice = choose("auto", parse_replies(replies))
    assert choice.mode == mode and mode in choice.reason.replace("half blocks", "halfblock")
    if kind != "plain":
        assert choice.cell_px == (10, 20)


def test_tmux_without_passthrough_says_why() -> None:
    choice = choose("auto", Caps(kitty=True, answered=True, tmux=True, passthrough=False))
    assert choice.mode == "halfblock" and "allow-passthrough" in choice.reason
    assert choose("sixel", Caps(tmux=True, passthrough=True)).tmux


def _answer(master: int, replies: dict[bytes, bytes], stop: threading.Event) -> None:
    seen = b""
    while not stop.is_set():
        try:
            seen += os.read(master, 4096)
        except OSError:
            return
        if DA1_Q in seen:
            for query, reply in replies.items():
                if query in seen:
                    os.write(master, reply)
            return


@pytest.mark.parametrize(("kind", "mode"), [("kitty", "kitty"), ("xterm-sixel", "sixel"), ("silent", "halfblock")])
def test_probe_over_a_pty(kind: str, mode: str) -> None:
    master, slave = os.openpty()
    stop = threading.Event()
    thread = threading.Thread(target=_answer, args=(master, TERMINALS[kind], stop), daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        caps = probe(slave, slave, timeout=0.3, tmux=False)
        took = time.monotonic() - started
        assert choose("auto", caps).mode == mode
        if kind == "silent":
            assert not caps.answered and took >= 0.3 and "no reply" in choose("auto", caps).reason
        else:
            assert caps.answered
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
        thread.join(2)


def test_config_graphics_keys() -> None:
    config, problems = from_dict({"version": 1, "graphics": "sixel", "max_bytes_per_second": 500_000})
    assert (config.graphics, config.max_bytes_per_second, problems) == ("sixel", 500_000, [])
    config, problems = from_dict({"version": 1, "graphics": "png", "max_bytes_per_second": 5})
    assert config.graphics is None and config.max_bytes_per_second is None and len(problems) == 2


def test_play_sends_only_changed_half_block_cells() -> None:
    painter = Painter(choose("halfblock", Caps()), 360, None)
    frame = np.zeros((40, 80, 3), dtype=np.uint8)
    first = painter.paint(frame, 80, 20)
    assert first.count("\x1b[") > 20  # every row
    frame[10:12, 5:9] = 255  # two pixel rows: one row of cells, four of them
    second = painter.paint(frame, 80, 20)
    assert "\x1b[6;6H" in second and second.count("H") == 1 and second.count(" ") == 4
    assert painter.paint(frame, 80, 20) == ""


def test_half_block_row_keys_mark_only_changed_rows() -> None:
    frame = np.zeros((40, 80, 3), dtype=np.uint8)
    _, keys = halfblock.render_keyed(frame, 80, 20)
    frame[10:12, 5:9] = 255
    _, changed = halfblock.render_keyed(frame, 80, 20)
    assert [y for y, (a, b) in enumerate(zip(keys, changed, strict=True)) if a != b] == [5]


def test_released_strips_leave_no_cycles_for_the_collector() -> None:
    frame = draw_frame(7, 160, 90)

    def churn(release: bool) -> int:
        gc.collect()
        gc.disable()
        try:
            for _ in range(5):
                strips = halfblock.render(frame, 80, 20)
                for strip in strips:
                    strip.crop_extend(0, strip.cell_length, None)  # as the compositor does
                if release:
                    halfblock.release(strips)
                del strips
            return gc.collect()
        finally:
            gc.enable()

    assert churn(release=False) > 0  # crop_extend to its own size caches the strip in itself
    assert churn(release=True) == 0
