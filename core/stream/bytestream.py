"""An append-only, in-memory byte stream that one producer grows and many readers follow.

Why this shape: the stream assembler emits the preview as fragmented MP4 while cells are still
being encoded, and libmpv reads it through a *blocking* ``read`` callback on one of its own
threads. The simplest contract that fits both sides is a file that only ever grows:

* the producer (worker threads) calls ``append`` for each fragment, then ``finish`` (EOF) or
  ``abort`` (session dropped);
* each reader keeps its own offset and ``read`` blocks until at least one byte is available, the
  stream ends, or the reader is closed — ``close`` is what lets the player unblock a libmpv thread
  stuck in ``read`` when it replaces a session;
* every byte stays in memory, so a reader created later (a new player session, the headless
  ``preview`` command, a test) starts at offset 0 and sees the whole stream.

Chunks are kept as an immutable list of ``bytes`` with their start offsets, so ``append`` never
copies earlier data and a ``read`` copies only what it returns. One ``Condition`` guards the state;
callbacks (``on_wait``) run outside the lock.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class GrowingStream:
    """A thread-safe append-only byte buffer with blocking readers.

    ``finish`` marks the normal end: readers drain what is buffered and then get ``b""``.
    ``abort`` drops the session: every pending and later ``read`` returns ``b""`` at once (the
    bytes stay in memory but are no longer served).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._chunks: list[bytes] = []
        self._starts: list[int] = []
        self._size = 0
        self._finished = False
        self._aborted = False

    # --- producer side -------------------------------------------------------------------------

    def append(self, data: bytes) -> None:
        """Add ``data`` at the end and wake blocked readers.

        Raises ``ValueError`` when the stream was already finished or aborted.
        """
        if not data:
            return
        chunk = bytes(data)
        with self._cond:
            if self._finished or self._aborted:
                raise ValueError("cannot append to a finished or aborted stream")
            self._starts.append(self._size)
            self._chunks.append(chunk)
            self._size += len(chunk)
            self._cond.notify_all()

    def finish(self) -> None:
        """No more data: readers reach EOF after the buffered bytes. Idempotent."""
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def abort(self) -> None:
        """Drop the stream: every read returns ``b""`` from now on. Idempotent."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()

    # --- state ---------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes appended so far."""
        with self._cond:
            return self._size

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
        """A copy of every byte appended so far (for files and tests)."""
        with self._cond:
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
        about to block because no byte is available yet; keep it quick.
        """
        return StreamReader(self, on_wait)

    # --- reader support ------------------------------------------------------------------------

    def _read(self, reader: StreamReader, size: int) -> bytes:
        notified = False
        with self._cond:
            while True:
                if reader._closed or self._aborted:
                    return b""
                if reader._pos < self._size:
                    data = self._slice(reader._pos, size)
                    reader._pos += len(data)
                    return data
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

    def close(self) -> None:
        """Stop reading: a pending ``read`` returns ``b""`` promptly, later ones at once."""
        self._stream._close_reader(self)
