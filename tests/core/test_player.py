"""Player over real libmpv (vo null or software frames, ao null) fed by a GrowingStream.

The stream is a small fragmented MP4 made here with PyAV: all-intra H.264, one fragment per
frame, frame 0 pure red and every later frame a different colour. Tests poll with deadlines and
never assert on wall-clock timing.
"""

from __future__ import annotations

import io
import itertools
import locale
import logging
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction

import av
import mpv
import numpy as np
import pytest

from core.player.player import (
    Ended,
    Failed,
    Paused,
    Player,
    PlayerError,
    PlayerEvent,
    PlayerTime,
    Speed,
    Waiting,
    detect_display,
)
from core.player.seek import resolve_seek
from core.player.software import SoftwareRenderer
from core.stream.bytestream import GrowingStream

pytestmark = pytest.mark.timeout(30)

FPS = Fraction(30)
FRAMES = 60
WIDTH, HEIGHT = 160, 90
DEADLINE = 10.0


def _frame_rgb(index: int) -> np.ndarray:
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    if index == 0:
        img[:, :, 0] = 255
    else:
        img[:, :, 1] = 40 + (index * 3) % 200
        img[:, :, 2] = 200
    return img


def make_fmp4(frames: int = FRAMES) -> bytes:
    """All-intra H.264 in fragmented MP4 (init segment, then one moof/mdat per frame)."""
    buf = io.BytesIO()
    options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    with av.open(buf, "w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"g": "1", "preset": "ultrafast", "tune": "zerolatency"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_frame_rgb(i), format="rgb24")
            frame.pts = i
            frame.time_base = 1 / FPS
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def fragment_offsets(data: bytes) -> list[int]:
    """Byte offset of every ``moof`` box (the first one ends the init segment)."""
    offsets, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"moof":
            offsets.append(pos)
        pos += size
    return offsets


@pytest.fixture(scope="module")
def fmp4() -> bytes:
    return make_fmp4()


def finished_stream(data: bytes) -> GrowingStream:
    stream = GrowingStream()
    stream.append(data)
    stream.finish()
    return stream


class Events:
    """Thread-safe record of player events with deadline-based waiting."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.items: list[PlayerEvent] = []

    def __call__(self, event: PlayerEvent) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.items)

    def wait(self, predicate: Callable[[PlayerEvent], bool], *, since: int = 0, timeout: float = DEADLINE) -> int:
        """Block until an event from index ``since`` on matches; return the index after it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for index in range(since, len(self.items)):
                    if predicate(self.items[index]):
                        return index + 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching event within {timeout}s; got {self.items[since:][-10:]}")
                self._cond.wait(remaining)

    def positions(self, since: int = 0) -> list[float]:
        with self._cond:
            return [e.seconds for e in self.items[since:] if isinstance(e, PlayerTime)]


def settled_at(player: Player, frame: int, tolerance: int = 0) -> Callable[[], bool]:
    """True once no seek is running and the displayed frame is ``frame`` (±tolerance)."""

    def check() -> bool:
        if player.seeking:
            return False
        pos = player.position_frame(FPS)
        return pos is not None and abs(pos - frame) <= tolerance

    return check


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.01)


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def player(events: Events) -> Iterator[Player]:
    with Player(vo="none", audio=False, on_event=events) as p:
        yield p


def test_plays_a_finished_stream_to_its_end(player: Player, events: Events, fmp4: bytes) -> None:
    player.load(finished_stream(fmp4))
    events.wait(lambda e: isinstance(e, Ended))
    last_frame = round(Fraction(events.positions()[-1]) * FPS)
    assert abs(last_frame - (FRAMES - 1)) <= 1
    assert player.ended
    assert abs(player.position_frame(FPS) - (FRAMES - 1)) <= 1
    # keep-open: the last frame stays loaded and libmpv pauses there
    events.wait(lambda e: e == Paused(True))


def test_seeks_land_on_the_requested_frame(player: Player, fmp4: bytes) -> None:
    player.pause()
    player.load(finished_stream(fmp4))
    wait_until(lambda: player.position is not None, what="first frame")
    for target in (30, 5, 59, 0, 17, 44, 1):
        player.seek_frame(target, FPS)
        wait_until(settled_at(player, target, tolerance=1), what=f"seek to frame {target}")
        assert player.paused


def test_seek_right_after_load_and_start_position(player: Player, fmp4: bytes) -> None:
    player.pause()
    player.load(finished_stream(fmp4))
    player.seek_frame(40, FPS)  # before libmpv has opened the stream: applied once it has
    wait_until(settled_at(player, 40, tolerance=1), what="seek issued right after load")
    rng = player.seekable_range()
    assert rng is not None and rng[0] <= 0.05 and rng[1] >= float(Fraction(FRAMES - 2) / FPS)

    player.load(finished_stream(fmp4), start_offset_seconds=5.0, start_seconds=5.5)
    wait_until(settled_at(player, 165, tolerance=1), what="start position of a new session")


def test_a_seek_past_the_received_data_waits_for_it(player: Player, events: Events, fmp4: bytes) -> None:
    moofs = fragment_offsets(fmp4)
    stream = GrowingStream()
    stream.append(fmp4[: moofs[15]])
    player.pause()
    player.load(stream)
    wait_until(settled_at(player, 0), what="first frame")
    mark = events.mark()
    player.seek_frame(40, FPS)
    assert player.seeking
    events.wait(lambda e: e == Waiting(True), since=mark)
    assert player.position_frame(FPS) < 15, "libmpv must not skip ahead before the data is there"

    stream.append(fmp4[moofs[15] :])
    stream.finish()
    wait_until(settled_at(player, 40), what="pending seek landing once the data arrived")
    events.wait(lambda e: e == Waiting(False), since=mark)
    # nothing was skipped: the start of the stream is still seekable
    player.seek_frame(2, FPS)
    wait_until(settled_at(player, 2), what="seek back to the start")


@pytest.mark.parametrize(
    ("target", "state", "expected"),
    [
        (1.0, {"seekable-ranges": [{"start": 0.0, "end": 2.0}]}, 1.0),
        (3.0, {"seekable-ranges": [{"start": 0.0, "end": 2.0}], "eof-cached": False}, None),
        (3.0, {"seekable-ranges": [{"start": 0.0, "end": 2.0}], "eof-cached": True}, 2.0),
        (0.0, {"seekable-ranges": [{"start": 0.04, "end": 2.0}], "bof-cached": True}, 0.04),
        (1.0, {"seekable-ranges": []}, None),
        (1.0, None, None),
    ],
)
def test_seek_targets_stay_inside_the_cached_data(target: float, state: object, expected: float | None) -> None:
    assert resolve_seek(target, state) == expected


def test_a_seek_to_data_dropped_from_the_cache_is_refused() -> None:
    with pytest.raises(PlayerError, match="new stream session"):
        resolve_seek(0.5, {"seekable-ranges": [{"start": 4.0, "end": 9.0}], "bof-cached": False})


def test_frame_step_and_back_step_move_one_frame(player: Player, fmp4: bytes) -> None:
    player.pause()
    player.load(finished_stream(fmp4))
    wait_until(lambda: player.position is not None, what="first frame")
    player.seek_frame(20, FPS)
    wait_until(settled_at(player, 20), what="seek to frame 20")
    player.frame_step()
    wait_until(settled_at(player, 21), what="frame step")
    player.frame_back_step()
    wait_until(settled_at(player, 20), what="frame back step")
    player.frame_back_step()
    wait_until(settled_at(player, 19), what="second frame back step")
    assert player.paused


def test_growing_stream_waits_at_the_end_of_data_and_resumes(player: Player, events: Events, fmp4: bytes) -> None:
    moofs = fragment_offsets(fmp4)
    assert len(moofs) == FRAMES
    half = FRAMES // 2
    stream = GrowingStream()
    stream.append(fmp4[: moofs[half]])  # init segment + frames 0..half-1
    player.load(stream)

    playing = events.wait(lambda e: isinstance(e, PlayerTime))
    events.wait(lambda e: e == Waiting(True), since=playing)
    stalled_at = player.position_frame(FPS)
    assert stalled_at is not None and stalled_at <= half - 1
    assert player.waiting
    assert not stream.finished

    mark = events.mark()
    stream.append(fmp4[moofs[half] :])
    stream.finish()
    events.wait(lambda e: e == Waiting(False), since=mark)
    events.wait(lambda e: isinstance(e, PlayerTime) and e.seconds * FPS > half, since=mark)
    events.wait(lambda e: isinstance(e, Ended), since=mark)
    assert abs(player.position_frame(FPS) - (FRAMES - 1)) <= 1
    frames_after = [round(Fraction(s) * FPS) for s in events.positions(mark)]
    assert frames_after == sorted(frames_after), "playback must continue forwards after the append"


def test_growing_stream_resumes_without_finish(player: Player, events: Events, fmp4: bytes) -> None:
    moofs = fragment_offsets(fmp4)
    stream = GrowingStream()
    stream.append(fmp4[: moofs[15]])
    player.load(stream)
    playing = events.wait(lambda e: isinstance(e, PlayerTime))
    events.wait(lambda e: e == Waiting(True), since=playing)
    mark = events.mark()
    stream.append(fmp4[moofs[15] : moofs[45]])  # 1 s more, stream still open
    events.wait(lambda e: isinstance(e, PlayerTime) and e.seconds * FPS >= 20, since=mark)
    events.wait(lambda e: e == Waiting(True), since=mark)
    assert player.position_frame(FPS) <= 44
    stream.finish()


def test_start_offset_maps_stream_time_to_timeline_time(player: Player, events: Events, fmp4: bytes) -> None:
    player.pause()
    player.load(finished_stream(fmp4), start_offset_seconds=10.0)
    events.wait(lambda e: isinstance(e, PlayerTime))
    assert all(s >= 10.0 for s in events.positions())
    player.seek_frame(315, FPS)  # timeline frame 315 = stream frame 15
    wait_until(settled_at(player, 315, tolerance=1), what="seek with offset")


def test_loading_a_new_stream_replaces_a_blocked_session(player: Player, events: Events, fmp4: bytes) -> None:
    moofs = fragment_offsets(fmp4)
    first = GrowingStream()
    first.append(fmp4[: moofs[5]])
    player.load(first)
    playing = events.wait(lambda e: isinstance(e, PlayerTime))
    events.wait(lambda e: e == Waiting(True), since=playing)

    mark = events.mark()
    player.load(finished_stream(fmp4))
    events.wait(lambda e: isinstance(e, Ended), since=mark)
    assert abs(player.position_frame(FPS) - (FRAMES - 1)) <= 1


@pytest.mark.parametrize("order", ["replace-then-abort", "abort-then-replace", "abort-fails-then-replace"])
def test_a_session_dropped_before_its_first_bytes_logs_no_errors(
    player: Player, events: Events, fmp4: bytes, caplog: pytest.LogCaptureFixture, order: str
) -> None:
    """libmpv's complaints about a session that got no init segment are expected once the session
    was replaced or aborted: DEBUG, not ERROR (the preview restarting twice quickly does this)."""
    caplog.set_level(logging.DEBUG, logger="core.player.player")
    first = GrowingStream()
    player.load(first)
    events.wait(lambda e: e == Waiting(True))  # libmpv is opening it, blocked in read()
    if order != "replace-then-abort":
        first.abort()
    if order == "abort-fails-then-replace":
        events.wait(lambda e: isinstance(e, Failed))  # libmpv gave up on it before the replacement
    mark = events.mark()
    player.load(finished_stream(fmp4))
    first.abort()
    events.wait(lambda e: isinstance(e, Ended), since=mark)
    assert abs(player.position_frame(FPS) - (FRAMES - 1)) <= 1

    wait_until(
        lambda: any(r.levelno == logging.DEBUG and "moov atom not found" in r.getMessage() for r in caplog.records),
        what="libmpv's complaint about the first session, at DEBUG",
    )
    errors = [r for r in caplog.records if r.name.startswith("core") and r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def test_an_unplayable_stream_reports_an_error_and_the_player_stays_usable(
    player: Player, events: Events, fmp4: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    player.load(finished_stream(b"this is not an mp4 file" * 100))
    failed = events.wait(lambda e: isinstance(e, Failed))
    # libmpv hands out events before queued log lines: the record may come after the event
    wait_until(
        lambda: any(r.name == "core.player.player" and r.levelno == logging.ERROR for r in caplog.records),
        what="libmpv's errors about the current session logged as errors",
    )
    assert "could not be played" in events.items[failed - 1].message
    player.load(finished_stream(fmp4))
    events.wait(lambda e: isinstance(e, Ended), since=failed)


def test_close_does_not_hang_while_libmpv_waits_for_data(fmp4: bytes) -> None:
    events = Events()
    player = Player(vo="none", audio=False, on_event=events)
    stream = GrowingStream()
    stream.append(fmp4[: fragment_offsets(fmp4)[3]])
    player.load(stream)
    events.wait(lambda e: e == Waiting(True))
    player.close()
    player.close()  # idempotent
    with pytest.raises(PlayerError):
        player.play()


def test_reverse_shuttle_runs_back_to_the_start(player: Player, events: Events, fmp4: bytes) -> None:
    player.pause()
    player.load(finished_stream(fmp4))
    wait_until(lambda: player.position is not None, what="first frame")
    player.seek_frame(50, FPS)
    wait_until(settled_at(player, 50), what="seek to frame 50")
    mark = events.mark()
    player.set_speed(-4)
    assert player.speed == -4
    events.wait(lambda e: e == Speed(0.0), since=mark)
    wait_until(settled_at(player, 0), what="reverse shuttle reaching frame 0")
    assert player.paused
    # During a seek libmpv reports the seek target, then the frame it landed on: allow that
    # sub-frame wobble, but the playhead must never move forwards by a whole frame.
    frames = [Fraction(s) * FPS for s in events.positions(mark)]
    assert frames and round(frames[0]) <= 50
    assert all(b <= a + 1 for a, b in itertools.pairwise(frames)), [float(f) for f in frames]


def test_forward_speed_and_pause_toggle(player: Player, events: Events, fmp4: bytes) -> None:
    player.pause()
    player.load(finished_stream(fmp4))
    wait_until(lambda: player.position is not None, what="first frame")
    player.set_speed(4)
    assert not player.paused
    assert player.speed == 4
    player.toggle_pause()
    assert player.paused
    player.toggle_pause()
    assert not player.paused
    events.wait(lambda e: isinstance(e, Ended))
    player.set_speed(0)
    assert player.paused
    assert player.speed == 0
    with pytest.raises(ValueError):
        player.set_frame_size(0, 10)


def test_frames_mode_delivers_rgb_frames_of_the_requested_size(fmp4: bytes) -> None:
    frames: list[np.ndarray] = []
    got_frame = threading.Event()

    def on_frame(frame: np.ndarray) -> None:
        frames.append(frame)
        got_frame.set()

    events = Events()
    with Player(vo="terminal", audio=False, frame_size=(320, 180), on_frame=on_frame, on_event=events) as player:
        player.pause()
        player.load(finished_stream(fmp4))
        assert got_frame.wait(DEADLINE), "no frame rendered"
        first = frames[0]
        assert first.shape == (180, 320, 3)
        assert first.dtype == np.uint8
        r, g, b = (int(v) for v in first[90, 160])
        assert r > 200 and g < 60 and b < 60, f"frame 0 should be red, got {(r, g, b)}"

        count = len(frames)
        player.set_frame_size(64, 36)
        player.play()
        events.wait(lambda e: isinstance(e, Ended))
        wait_until(lambda: len(frames) > count and frames[-1].shape == (36, 64, 3), what="resized frames")
        r, g, b = (int(v) for v in frames[-1][18, 32])
        assert b > 150 and r < 60, f"later frames should be blue-green, got {(r, g, b)}"


def test_software_renderer_bgr0_returns_rgb(tmp_path, fmp4: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(fmp4)
    locale.setlocale(locale.LC_NUMERIC, "C")
    handle = mpv.MPV(vo="libmpv", ao="null", pause=True, keep_open="yes")
    try:
        renderer = SoftwareRenderer(handle, pixel_format="bgr0")
        ready = threading.Event()
        renderer.set_update_callback(ready.set)
        handle.loadfile(str(path))
        deadline = time.monotonic() + DEADLINE
        frame = None
        while frame is None and time.monotonic() < deadline:
            ready.wait(0.1)
            ready.clear()
            if renderer.update():
                frame = renderer.render(32, 18)
        renderer.free()
        renderer.free()
    finally:
        handle.terminate()
    assert frame is not None, "libmpv produced no frame"
    assert frame.shape == (18, 32, 3)
    r, g, b = (int(v) for v in frame[9, 16])
    assert r > 200 and g < 60 and b < 60, f"bgr0 must be returned as RGB red, got {(r, g, b)}"


def test_detect_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    assert not detect_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert detect_display()
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 22 10.0.0.2 22")
    assert not detect_display()
    monkeypatch.delenv("SSH_CONNECTION")
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert detect_display()


def test_window_output_needs_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(PlayerError):
        Player(vo="window")
