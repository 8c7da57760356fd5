"""Encoding runs of cells: one decode pass, one all-intra fragmented MP4 per cell.

A cell must be cuttable at any frame by remuxing alone, so every frame is an H.264 keyframe
(GOP 1, no B-frames). The stream assembler later concatenates packets from many cells, and from
many sources, into ONE H.264 track; that only works when every cell of a profile carries the
same SPS/PPS. So everything that reaches the encoder's headers is fixed by the profile: canvas
size, frame rate, pixel format, colour range, encoder options. Nothing is taken from the source.

Timestamps: each cell's stream uses ``time_base = 1/fps`` (e.g. 1001/30000), so a frame's pts is
simply its index in the cell and every frame time is exact for any rational rate (1/90000
cannot represent 24000/1001 frames). The MP4 muxer turns that into a timescale that is a
multiple of the rate's numerator (30 fps → 15360), still exact, and the same for all cells of a
profile, so the assembler can copy durations unchanged.

Output is ``movflags=frag_keyframe+empty_moov+default_base_moof`` fMP4 written to memory: small,
self-contained, appendable, and with all-intra video each frame is its own fragment.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import av
import numpy as np

from core.cells.encoders import SOFTWARE, encoder_settings
from core.errors import EncodeError
from core.media.colour import set_encoder_tags, tag_output
from core.media.frames import DecodeStats, iter_project_frames
from core.media.info import MediaInfo

log = logging.getLogger(__name__)

MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
"""fMP4 flags of every cell: an empty moov up front, one fragment per keyframe."""
_PROGRESS_INTERVAL_S = 0.1

__all__ = [
    "MOVFLAGS",
    "DecodeStats",
    "PreviewProfile",
    "cell_range",
    "encode_black",
    "encode_run",
    "preview_canvas",
]


@dataclass(frozen=True)
class PreviewProfile:
    """How preview cells are encoded; every field changes the bytes of a cell."""

    width: int
    """Canvas width in pixels (even); every cell of the profile has exactly this size."""
    height: int
    """Canvas height in pixels (even)."""
    fps: Fraction
    """Project frame rate; cells hold one frame per project frame."""
    encoder: str = SOFTWARE
    """FFmpeg H.264 encoder name (see ``core.cells.encoders.detect_encoders``)."""
    crf: int = 26
    """Quality, x264 CRF scale (mapped to a constant QP on hardware encoders)."""
    preset: str = "ultrafast"
    """x264 speed preset (hardware encoders use their fastest mode)."""

    def __post_init__(self) -> None:
        if self.width < 2 or self.height < 2 or self.width % 2 or self.height % 2:
            raise ValueError(f"preview size {self.width}x{self.height} must be even and at least 2x2")
        if isinstance(self.fps, bool) or not isinstance(self.fps, (int, Fraction)) or self.fps <= 0:
            raise ValueError(f"preview fps {self.fps!r} must be a positive Fraction")
        object.__setattr__(self, "fps", Fraction(self.fps))  # an int rate is fine; keep key() exact

    def key(self) -> str:
        """Stable text of every field, for cell keys (``fps`` as an exact fraction)."""
        fps = f"{self.fps.numerator}/{self.fps.denominator}"
        return f"h264:{self.width}x{self.height}@{fps}:{self.encoder}:crf{self.crf}:{self.preset}:intra:yuv420p-tv"


def preview_canvas(project_width: int, project_height: int, preview_height: int) -> tuple[int, int]:
    """Even (width, height) of the preview: ``preview_height`` tall (never taller than the
    project itself, upscaling only costs encode time) with the project's aspect ratio."""
    if project_width <= 0 or project_height <= 0 or preview_height <= 0:
        raise ValueError("project and preview sizes must be positive")
    height = max(2, min(preview_height, project_height) // 2 * 2)
    width = max(2, 2 * round(Fraction(project_width * height, project_height) / 2))
    return width, height


def cell_range(info: MediaInfo, cell: int, cell_frames: int, fps: Fraction) -> tuple[int, int]:
    """Project frames ``[first, stop)`` of ``cell``, clipped to the media's length at ``fps``."""
    total = info.frames_at(fps)
    first = cell * cell_frames
    return first, min(first + cell_frames, total)


class _Progress:
    """Calls ``on_progress(done, total)`` at most every 0.1 s, and always at the end."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int) -> None:
        self._callback = callback
        self._total = total
        self._last = float("-inf")

    def frame_done(self, done: int) -> None:
        if self._callback is None:
            return
        now = time.monotonic()
        if done == self._total or now - self._last >= _PROGRESS_INTERVAL_S:
            self._last = now
            self._callback(done, self._total)


class _CellWriter:
    """One cell's fMP4 in memory: open on the first frame, ``finish`` returns the bytes."""

    def __init__(self, profile: PreviewProfile, threads: int, path: str) -> None:
        self._profile = profile
        self._path = path
        self._buffer = io.BytesIO()
        settings = encoder_settings(profile.encoder, profile.crf, profile.preset)
        self._pix_fmt = settings.pix_fmt
        self._frames = 0
        self._closed = False
        self._time_base = 1 / profile.fps
        try:
            self._container = av.open(self._buffer, "w", format="mp4", options={"movflags": MOVFLAGS})
            self._stream = cast(
                av.video.stream.VideoStream,
                self._container.add_stream(profile.encoder, rate=profile.fps, options=settings.options),
            )
        except (av.FFmpegError, ValueError) as exc:
            raise EncodeError(f"{path}: preview encoder {profile.encoder} cannot be set up ({exc})") from None
        self._configure(threads)

    def _configure(self, threads: int) -> None:
        stream, profile = self._stream, self._profile
        stream.width, stream.height = profile.width, profile.height
        stream.pix_fmt = self._pix_fmt
        stream.time_base = self._time_base
        ctx = stream.codec_context
        ctx.time_base = self._time_base
        ctx.framerate = profile.fps
        ctx.gop_size = 1
        ctx.max_b_frames = 0
        ctx.thread_count = max(0, threads)  # 0: automatic
        if threads != 1:
            ctx.thread_type = "FRAME"  # x264 frame threads outrun PyAV's default slice threads
        set_encoder_tags(ctx)  # BT.709 limited range: the H.264 VUI and the MP4 colr box

    def add(self, frame: av.VideoFrame) -> None:
        if frame.format.name != self._pix_fmt:
            frame = frame.reformat(format=self._pix_fmt)
        frame.pts = self._frames
        frame.time_base = self._time_base  # not stream.time_base: the muxer rewrites that one
        self._frames += 1
        self._mux(self._stream.encode(frame))

    def _mux(self, packets: list[av.Packet[av.video.stream.VideoStream]]) -> None:
        for packet in packets:
            self._container.mux(packet)

    def finish(self) -> bytes:
        try:
            self._mux(self._stream.encode(None))
            self._closed = True
            self._container.close()
        except av.FFmpegError as exc:
            raise EncodeError(f"{self._path}: preview encoder {self._profile.encoder} failed ({exc})") from None
        return self._buffer.getvalue()

    def abandon(self) -> None:
        """Close without keeping anything (safe after ``finish`` and when called twice)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._container.close()
        except av.FFmpegError as exc:  # half-written cell being thrown away: nothing to report
            log.debug("closing an abandoned cell: %s", exc)


def encode_run(
    info: MediaInfo,
    first_cell: int,
    last_cell: int,
    cell_frames: int,
    profile: PreviewProfile,
    *,
    threads: int = 1,
    cancel: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    stats: DecodeStats | None = None,
) -> Iterator[tuple[int, bytes]]:
    """Encode cells ``first_cell..last_cell`` (inclusive) of ``info`` in one decode pass.

    Yields ``(cell, fmp4_bytes)`` as soon as each cell is complete. Cell ``k`` holds project
    frames ``[k*C, (k+1)*C)`` clipped to ``info.frames_at(profile.fps)``. ``threads`` is the
    decoder, scaler and encoder thread count: 1 when a pool runs several runs at once, 0 for
    automatic (one per core). ``on_progress(done, total)`` counts frames of the whole run, at
    most ~10 calls a second and always once at the end. Raises ``Cancelled``
    (nothing further is yielded) once ``cancel`` is set, ``EncodeError`` naming the file and
    time when decoding or encoding fails (cells already yielded stay valid), ``MediaError``
    when the file cannot be opened, ``ValueError`` for cells outside the media.
    """
    first, _ = cell_range(info, first_cell, cell_frames, profile.fps)
    _, stop = cell_range(info, last_cell, cell_frames, profile.fps)
    if cell_frames < 1 or first_cell < 0 or last_cell < first_cell or first >= stop:
        raise ValueError(f"cells {first_cell}..{last_cell} of {cell_frames} frames are outside {info.path}")
    progress = _Progress(on_progress, stop - first)
    frames = iter_project_frames(
        info, first, stop, profile.fps, (profile.width, profile.height), cancel, stats, threads=threads
    )
    writer: _CellWriter | None = None
    cell = first_cell
    try:
        for n, frame in frames:
            if writer is None:
                cell = n // cell_frames
                writer = _CellWriter(profile, threads, str(info.path))
            _encode(writer, frame, profile, info, n)
            progress.frame_done(n - first + 1)
            if n + 1 == min((cell + 1) * cell_frames, stop):  # the cell's last frame: hand it over now
                data, writer = writer.finish(), None
                yield cell, data
    finally:
        frames.close()
        if writer is not None:
            writer.abandon()


def _encode(writer: _CellWriter, frame: av.VideoFrame, profile: PreviewProfile, info: MediaInfo, n: int) -> None:
    try:
        writer.add(frame)
    except av.FFmpegError as exc:
        seconds = float(n / profile.fps)
        raise EncodeError(f"{info.path}: preview encoder {profile.encoder} failed at {seconds:.2f} s ({exc})") from None


@functools.lru_cache(maxsize=8)
def encode_black(profile: PreviewProfile, frames: int) -> bytes:
    """A cell of ``frames`` (at least 1) black frames: the picture under audio-only clips,
    offline media and failed cells, so the stream keeps playing. Headers are identical to
    every other cell of the profile; results are cached (the bytes never change)."""
    black = av.VideoFrame(profile.width, profile.height, "yuv420p")
    for plane, level in zip(black.planes, (16, 128, 128), strict=True):
        np.frombuffer(memoryview(plane), np.uint8)[:] = level
    tag_output(black)
    writer = _CellWriter(profile, 1, "black cell")
    try:
        for _ in range(max(1, frames)):
            writer.add(black)
        return writer.finish()
    except av.FFmpegError as exc:
        raise EncodeError(f"black cell: preview encoder {profile.encoder} failed ({exc})") from None
    finally:
        writer.abandon()  # no-op once finished
