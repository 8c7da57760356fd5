"""GrowingStream: blocking reads, EOF and abort semantics, readers that start late."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from core.stream.bytestream import GrowingStream

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


def test_append_after_finish_or_abort_is_refused() -> None:
    finished = GrowingStream()
    finished.finish()
    with pytest.raises(ValueError):
        finished.append(b"x")
    aborted = GrowingStream()
    aborted.abort()
    with pytest.raises(ValueError):
        aborted.append(b"x")


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
