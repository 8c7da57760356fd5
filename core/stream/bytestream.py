"""An in-memory byte stream that one producer grows and many readers follow, in a bounded window.

Why this shape: the stream assembler emits the preview as fragmented MP4 while cells are still
being encoded, and libmpv reads it through a *blocking* ``read`` callback on one of its own
threads. The simplest contract that fits both sides is a file that only ever grows:

* the producer (worker threads) calls ``append`` for each fragment, then ``finish`` (EOF) or
  ``abort`` (session dropped);
* each reader keeps its own offset and ``read`` blocks until at least one byte is available, the
  stream ends, or the reader is closed — ``close`` is what lets the player unblock a libmpv thread
  stuck in ``read`` when it replaces a session;
* without a window every byte stays in memory, so a reader created later (the headless
  ``preview`` command, a test) starts at offset 0 and sees the whole stream.

**The window** (``StreamWindow``) is what keeps a preview that plays for an hour from holding an
hour of video: the stream keeps only ``behind`` bytes behind its slowest open reader and drops
older chunks, and ``append`` blocks while the slowest reader has ``ahead`` bytes or more still to
read. The reader side is libmpv, whose own demuxer cache is the seekable back window (it holds
what it read; the stream is non-seekable), so the stream itself needs to keep little behind;
the ``ahead`` bound is the backpressure that stops a fully cached timeline from being assembled
to the end as fast as it can be remuxed. A seek behind what libmpv holds is a new session from
the cells on disk (``core.preview.preview``). A blocked ``append`` returns when the reader moves
on, or at once on ``abort`` (the owner of a dropped session must abort it, or its producer waits
for ever).

An event loop cannot block in ``read``: the browser preview's pump (``core.web.client``) uses
``read_nowait`` and is woken by the stream's ``on_change`` hook (called after each append, finish
and abort), so a page costs no thread beyond its session's producer.

Chunks are kept as a list of ``bytes`` with their start offsets, so ``append`` never copies
earlier data and a ``read`` copies only what it returns. One ``Condition`` guards the state;
callbacks (``on_wait``, ``on_change``) run outside the lock.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamWindow:
    """How much of a ``GrowingStream`` stays in memory around its slowest open reader."""

    behind: int
    """Bytes kept behind the slowest open reader; older whole chunks are dropped."""
    ahead: int
    """``append`` blocks while the slowest open reader has at least this many bytes left to read
    (before any reader opened: while the stream holds this many)."""

    def __post_init__(self) -> None:
        if self.behind < 0 or self.ahead <= 0:
            raise ValueError(f"a stream window needs behind >= 0 and ahead > 0, got {self}")


class GrowingStream:
    """A thread-safe append-only byte buffer with blocking readers.

    ``finish`` marks the normal end: readers drain what is buffered and then get ``b""``.
    ``abort`` drops the session: every pending and later ``read`` returns ``b""`` at once, and a
    pending or later ``append`` returns without storing anything.

    ``window`` (None: keep everything, never block) bounds the bytes held; see the module
    docstring.
    """

    def __init__(self, window: StreamWindow | None = None, *, on_change: Callable[[], None] | None = None) -> None:
        """``on_change`` is called (on the producer's thread, outside the lock; keep it quick) after
        each ``append`` that stored bytes, and after ``finish`` and ``abort``."""
        self._cond = threading.Condition()
        self._window = window
        self._on_change = on_change
        self._chunks: list[bytes] = []
        self._starts: list[int] = []
        self._size = 0
        self._base = 0
        """Offset of the first byte still held (bytes before it were dropped)."""
        self._readers: list[StreamReader] = []
        """Open readers (the window follows the slowest)."""
        self._read_to = 0
        """Furthest position any reader reached: the low-water mark once every reader closed."""
        self._finished = False
        self._aborted = False

    # --- producer side -------------------------------------------------------------------------

    def append(self, data: bytes) -> None:
        """Add ``data`` at the end and wake blocked readers.

        With a window, blocks while the slowest reader is ``window.ahead`` bytes or more behind
        the end; an aborted stream (before or during the wait) drops ``data`` silently, because a
        cancelled producer may still be finishing a fragment. Raises ``ValueError`` when the
        stream was already finished.
        """
        if not data:
            return
        chunk = bytes(data)
        with self._cond:
            if self._finished:
                raise ValueError("cannot append to a finished stream")
            window = self._window
            if window is not None:
                while not self._aborted and self._size - self._low_water() >= window.ahead:
                    self._cond.wait()
            if self._aborted:
                return
            self._starts.append(self._size)
            self._chunks.append(chunk)
            self._size += len(chunk)
            self._cond.notify_all()
        self._changed()

    def finish(self) -> None:
        """No more data: readers reach EOF after the buffered bytes. Idempotent."""
        with self._cond:
            self._finished = True
            self._cond.notify_all()
        self._changed()

    def abort(self) -> None:
        """Drop the stream: every read returns ``b""`` from now on. Idempotent."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            try:
                self._on_change()
            except Exception:  # a faulty hook must not kill the producer
                logger.exception("stream on_change callback failed")

    # --- state ---------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes appended so far."""
        with self._cond:
            return self._size

    @property
    def retained(self) -> int:
        """Bytes held in memory now (``size`` minus what the window dropped)."""
        with self._cond:
            return self._size - self._base

    @property
    def dropped(self) -> int:
        """Bytes dropped from the front by the window: offsets below this can no longer be read."""
        with self._cond:
            return self._base

    @property
    def window(self) -> StreamWindow | None:
        """The window this stream keeps (None: everything)."""
        return self._window

    @property
    def finished(self) -> bool:
        """True once ``finish`` was called."""
        with self._cond:
            return self._finished

    @property
    def aborted(self) -> bool:
        """True once ``abort`` was called."""
        with self._cond:
            return self._aborted

    def getvalue(self) -> bytes:
        """A copy of every byte appended so far (for files and tests).

        Raises ``ValueError`` once the window dropped the start of the stream.
        """
        with self._cond:
            if self._base:
                raise ValueError(f"the first {self._base} bytes of this stream were dropped")
            return b"".join(self._chunks)

    def wait_for(self, size: int, timeout: float | None = None) -> bool:
        """Block until at least ``size`` bytes exist; False on timeout or when the stream ended
        (finished or aborted) shorter than ``size``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._size < size:
                if self._finished or self._aborted:
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def reader(self, *, on_wait: Callable[[], None] | None = None) -> StreamReader:
        """A new reader positioned at offset 0.

        ``on_wait`` is called (on the reading thread, outside any lock) each time a ``read`` is
        about to block because no byte is available yet; keep it quick. Raises ``ValueError``
        once the window dropped the start of the stream (a new reader could not decode it).
        """
        with self._cond:
            if self._base:
                raise ValueError(f"the first {self._base} bytes of this stream were dropped")
            reader = StreamReader(self, on_wait)
            self._readers.append(reader)
            self._cond.notify_all()  # the low-water mark may have moved
            return reader

    # --- reader support ------------------------------------------------------------------------

    def _read_nowait(self, reader: StreamReader, size: int) -> bytes | None:
        with self._cond:
            if reader._closed or self._aborted:
                return b""
            if reader._pos < self._size:
                return self._take(reader, size)
            return b"" if self._finished else None

    def _take(self, reader: StreamReader, size: int) -> bytes:
        """Up to ``size`` bytes at the reader's position, moving it and the window (lock held)."""
        data = self._slice(reader._pos, size)
        reader._pos += len(data)
        self._read_to = max(self._read_to, reader._pos)
        if self._window is not None:
            self._trim(self._window)
            self._cond.notify_all()  # a producer may wait for room
        return data

    def _read(self, reader: StreamReader, size: int) -> bytes:
        notified = False
        with self._cond:
            while True:
                if reader._closed or self._aborted:
                    return b""
                if reader._pos < self._size:
                    return self._take(reader, size)
                if self._finished:
                    return b""
                if reader.on_wait is not None and not notified:
                    # Call the hook outside the lock, then re-check the state.
                    notified = True
                    self._cond.release()
                    try:
                        reader.on_wait()
                    except Exception:  # a faulty hook must not kill libmpv's reader thread
                        logger.exception("stream on_wait callback failed")
                    finally:
                        self._cond.acquire()
                    continue
                self._cond.wait()

    def _low_water(self) -> int:
        """Position of the slowest open reader (lock held); once every reader closed, the
        furthest any reader got, so a dropped session neither grows nor keeps old bytes."""
        if self._readers:
            return min(r._pos for r in self._readers)
        return self._read_to

    def _trim(self, window: StreamWindow) -> None:
        """Drop whole chunks that end more than ``window.behind`` bytes behind the slowest
        reader (lock held)."""
        keep_from = self._low_water() - window.behind
        count = 0
        while count < len(self._chunks) and self._starts[count] + len(self._chunks[count]) <= keep_from:
            count += 1
        if count:
            self._base = self._starts[count] if count < len(self._starts) else self._size
            del self._chunks[:count]
            del self._starts[:count]

    def _slice(self, pos: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``pos`` (lock held; ``pos < self._size``)."""
        i = bisect.bisect_right(self._starts, pos) - 1
        first = self._chunks[i]
        offset = pos - self._starts[i]
        if len(first) - offset >= size:
            return first[offset : offset + size]
        parts = [first[offset:] if offset else first]
        got = len(parts[0])
        i += 1
        while got < size and i < len(self._chunks):
            piece = self._chunks[i]
            if got + len(piece) > size:
                piece = piece[: size - got]
            parts.append(piece)
            got += len(piece)
            i += 1
        return b"".join(parts)

    def _close_reader(self, reader: StreamReader) -> None:
        with self._cond:
            reader._closed = True
            if reader in self._readers:
                self._readers.remove(reader)
            if self._window is not None:
                self._trim(self._window)
            self._cond.notify_all()


class StreamReader:
    """One reader's position in a ``GrowingStream``; not shared between threads except for
    ``close``, which may be called from any thread to unblock a pending ``read``."""

    def __init__(self, stream: GrowingStream, on_wait: Callable[[], None] | None) -> None:
        self._stream = stream
        self._pos = 0
        self._closed = False
        self.on_wait = on_wait

    @property
    def stream(self) -> GrowingStream:
        """The stream this reader follows."""
        return self._stream

    @property
    def position(self) -> int:
        """Bytes returned so far."""
        return self._pos

    @property
    def closed(self) -> bool:
        """True once ``close`` was called."""
        return self._closed

    def read(self, size: int) -> bytes:
        """Between 1 and ``size`` bytes; blocks while none is available. ``b""`` means EOF: the
        stream finished and is drained, was aborted, or this reader was closed."""
        if size <= 0:
            return b""
        return self._stream._read(self, size)

    def read_nowait(self, size: int) -> bytes | None:
        """Like ``read`` without blocking: up to ``size`` bytes available now, ``b""`` at EOF (as
        ``read``), or None when the stream goes on but has no byte for this reader yet."""
        if size <= 0:
            return b""
        return self._stream._read_nowait(self, size)

    def close(self) -> None:
        """Stop reading: a pending ``read`` returns ``b""`` promptly, later ones at once."""
        self._stream._close_reader(self)
