"""GrowingStream: blocking reads, EOF and abort semantics, readers that start late, the window."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from core.stream.bytestream import GrowingStream, StreamWindow

pytestmark = pytest.mark.timeout(10)


def _read_in_thread(reader_read: Callable[[int], bytes], size: int) -> tuple[threading.Thread, list[bytes]]:
    out: list[bytes] = []
    thread = threading.Thread(target=lambda: out.append(reader_read(size)), daemon=True)
    thread.start()
    return thread, out


def test_reads_back_what_was_appended_across_chunks() -> None:
    stream = GrowingStream()
    for piece in (b"abc", b"defg", b"h"):
        stream.append(piece)
    reader = stream.reader()
    assert stream.size == 8
    assert reader.read(2) == b"ab"
    assert reader.read(4) == b"cdef"
    assert reader.read(100) == b"gh"
    assert reader.position == 8
    assert stream.getvalue() == b"abcdefgh"


def test_a_reader_created_later_starts_at_offset_zero() -> None:
    stream = GrowingStream()
    stream.append(b"0123")
    first = stream.reader()
    assert first.read(4) == b"0123"
    stream.append(b"45")
    stream.finish()
    late = stream.reader()
    assert late.read(10) == b"012345"
    assert late.read(10) == b""


def test_read_blocks_until_data_is_appended() -> None:
    stream = GrowingStream()
    reader = stream.reader()
    thread, out = _read_in_thread(reader.read, 10)
    thread.join(0.1)
    assert thread.is_alive(), "read returned before any byte existed"
    stream.append(b"xyz")
    thread.join(5)
    assert out == [b"xyz"]


def test_finish_drains_then_returns_eof_and_wakes_readers() -> None:
    stream = GrowingStream()
    stream.append(b"tail")
    reader = stream.reader()
    assert reader.read(4) == b"tail"
    thread, out = _read_in_thread(reader.read, 10)
    stream.finish()
    thread.join(5)
    assert out == [b""]
    assert stream.finished
    assert reader.read(10) == b""


def test_abort_returns_eof_at_once_even_with_unread_data() -> None:
    stream = GrowingStream()
    stream.append(b"unread")
    reader = stream.reader()
    stream.abort()
    assert stream.aborted
    assert reader.read(10) == b""


def test_close_unblocks_a_pending_read() -> None:
    stream = GrowingStream()
    reader = stream.reader()
    thread, out = _read_in_thread(reader.read, 10)
    thread.join(0.05)
    reader.close()
    thread.join(5)
    assert out == [b""]
    assert reader.closed
    stream.append(b"later")
    assert reader.read(10) == b"", "a closed reader must stay at EOF"


def test_on_wait_fires_when_a_read_starts_blocking() -> None:
    stream = GrowingStream()
    waited = threading.Event()
    reader = stream.reader(on_wait=waited.set)
    stream.append(b"a")
    assert reader.read(1) == b"a"
    assert not waited.is_set(), "on_wait must not fire while data is available"
    thread, out = _read_in_thread(reader.read, 1)
    assert waited.wait(5)
    stream.append(b"b")
    thread.join(5)
    assert out == [b"b"]


def test_append_after_finish_is_refused_and_after_abort_dropped() -> None:
    finished = GrowingStream()
    finished.finish()
    with pytest.raises(ValueError):
        finished.append(b"x")
    aborted = GrowingStream()
    aborted.append(b"kept")
    aborted.abort()
    aborted.append(b"x")  # a cancelled producer finishing its fragment must not fail
    assert aborted.size == 4


def test_wait_for_size_timeout_and_early_end() -> None:
    stream = GrowingStream()
    assert not stream.wait_for(1, timeout=0.01)
    threading.Timer(0.05, stream.append, args=(b"12345",)).start()
    assert stream.wait_for(5, timeout=5)
    stream.finish()
    started = time.monotonic()
    assert not stream.wait_for(6, timeout=5)
    assert time.monotonic() - started < 1, "a finished stream must not make wait_for sleep"


def test_concurrent_producer_and_reader_see_every_byte_in_order() -> None:
    stream = GrowingStream()
    payload = bytes(range(256)) * 64
    reader = stream.reader()
    got = bytearray()

    def consume() -> None:
        while chunk := reader.read(777):
            got.extend(chunk)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    for i in range(0, len(payload), 1000):
        stream.append(payload[i : i + 1000])
    stream.finish()
    thread.join(5)
    assert bytes(got) == payload


# --- the window -------------------------------------------------------------------------------


def _append_in_thread(stream: GrowingStream, data: bytes) -> threading.Thread:
    thread = threading.Thread(target=stream.append, args=(data,), daemon=True)
    thread.start()
    return thread


def test_window_drops_chunks_behind_the_slowest_reader() -> None:
    stream = GrowingStream(StreamWindow(behind=4, ahead=1000))
    for piece in (b"aaaa", b"bbbb", b"cccc", b"dddd"):
        stream.append(piece)
    fast, slow = stream.reader(), stream.reader()
    assert fast.read(16) == b"aaaabbbbccccdddd"
    assert stream.retained == 16, "the slow reader still needs every byte"
    assert slow.read(12) == b"aaaabbbbcccc"
    assert stream.dropped == 8 and stream.retained == 8, "whole chunks more than 4 bytes behind go"
    assert slow.read(4) == b"dddd"
    slow.close()
    fast.close()
    assert stream.retained == 4
    with pytest.raises(ValueError):
        stream.getvalue()
    with pytest.raises(ValueError):
        stream.reader()


def test_window_append_blocks_until_the_reader_makes_room() -> None:
    stream = GrowingStream(StreamWindow(behind=0, ahead=8))
    stream.append(b"12345678")
    thread = _append_in_thread(stream, b"9")
    thread.join(0.1)
    assert thread.is_alive(), "append must wait while the reader is `ahead` bytes behind"
    reader = stream.reader()
    assert reader.read(3) == b"123"
    thread.join(5)
    assert not thread.is_alive()
    assert reader.read(100) == b"456789"


def test_abort_releases_a_blocked_append_without_storing() -> None:
    stream = GrowingStream(StreamWindow(behind=0, ahead=4))
    stream.reader()
    stream.append(b"full")
    thread = _append_in_thread(stream, b"more")
    thread.join(0.05)
    assert thread.is_alive()
    stream.abort()
    thread.join(5)
    assert not thread.is_alive()
    assert stream.size == 4


def test_a_dropped_session_neither_grows_nor_keeps_its_bytes() -> None:
    """Once every reader closed, the producer waits (for the abort) and the read bytes go."""
    stream = GrowingStream(StreamWindow(behind=0, ahead=8))
    reader = stream.reader()
    stream.append(b"abcd")
    assert reader.read(4) == b"abcd"
    reader.close()
    assert stream.retained == 0
    stream.append(b"efghijkl")
    thread = _append_in_thread(stream, b"x")
    thread.join(0.05)
    assert thread.is_alive(), "nobody reads: the producer must not run on"
    stream.abort()
    thread.join(5)
    assert stream.retained == 8


def test_window_retained_bytes_stop_growing_under_a_fast_producer_and_reader() -> None:
    """Drive the stream at full speed for 64 MiB: what it holds stays within the window while
    the reader still sees every byte in order."""
    window = StreamWindow(behind=256 * 1024, ahead=1024 * 1024)
    stream = GrowingStream(window)
    chunk_size = 37 * 1024
    chunks = [bytes([i % 251]) * chunk_size for i in range(64 * 1024 * 1024 // chunk_size)]
    reader = stream.reader()
    peak = 0
    total = 0
    mismatch: list[int] = []

    def produce() -> None:
        for chunk in chunks:
            stream.append(chunk)
        stream.finish()

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    expected = b"".join(chunks[:4])  # spot-check the start; the rest by chunk value below
    got_start = bytearray()
    while data := reader.read(100_000):
        if len(got_start) < len(expected):
            got_start.extend(data[: len(expected) - len(got_start)])
        for i in range(0, len(data), 4096):  # every byte of chunk k is k % 251
            if data[i] != ((total + i) // chunk_size) % 251:
                mismatch.append(total + i)
        total += len(data)
        peak = max(peak, stream.retained)
    producer.join(5)
    assert total == len(chunks) * chunk_size
    assert bytes(got_start) == expected and not mismatch
    assert peak <= window.behind + window.ahead + 2 * chunk_size
    assert stream.dropped > total - window.behind - 2 * chunk_size


def test_read_nowait_never_blocks_and_on_change_wakes_a_poller() -> None:
    """An event loop's pump (the browser preview) reads without a thread: None means 'not yet',
    and the stream's hook says when to look again (#31)."""
    changes: list[int] = []
    stream = GrowingStream(StreamWindow(behind=0, ahead=8), on_change=lambda: changes.append(1))
    reader = stream.reader()
    assert reader.read_nowait(4) is None
    stream.append(b"abcdef")
    assert len(changes) == 1
    assert reader.read_nowait(4) == b"abcd"
    assert reader.read_nowait(4) == b"ef"
    assert reader.read_nowait(4) is None
    assert stream.retained == 0  # the window follows a non-blocking reader too
    stream.finish()
    assert len(changes) == 2 and reader.read_nowait(4) == b""
    aborted = GrowingStream(on_change=lambda: changes.append(1))
    other = aborted.reader()
    aborted.append(b"xyz")
    aborted.abort()
    assert len(changes) == 4 and other.read_nowait(4) == b""
    closed = GrowingStream()
    last = closed.reader()
    closed.append(b"xyz")
    last.close()
    assert last.read_nowait(4) == b""


def test_a_failing_on_change_hook_does_not_stop_the_producer() -> None:
    def boom() -> None:
        raise RuntimeError("hook")

    stream = GrowingStream(on_change=boom)
    stream.append(b"abc")
    stream.finish()
    assert stream.getvalue() == b"abc"
