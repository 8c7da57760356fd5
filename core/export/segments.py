"""Export segments: the film cut into closed-GOP H.264 pieces that can be cached and joined.

Why it is shaped like this:

* **Cut on a source grid, not on the timeline.** A clip ``[in, out)`` of a media is cut at its
  ends and at every multiple of ``segment_frames`` (10 s worth) of *source* frames in between.
  A segment's key hashes only content facts (media fingerprint, source range, rate, export
  profile, encoder headers, engine version), so moving a clip on the timeline re-encodes nothing
  and trimming its head or tail re-encodes only the one piece that changed; the untouched
  10 s pieces of the middle keep their keys. Black (offline or audio-only media) segments are
  keyed by length alone, so ten minutes of black is one encode.
* **Each segment is an independent closed-GOP stream** starting with an IDR frame, encoded with a
  normal GOP (2 s) and B-frames; the final file is these segments' packets joined by remuxing.
  That only works when every segment carries the same SPS/PPS, so everything that reaches the
  headers is fixed by the profile (size, rate, pixel format, colour range, encoder options);
  the thread count is not in them, so a lone segment may use every core. ``probe`` encodes a
  short black segment once per profile: its headers are hashed into the profile signature (a
  new encoder build that writes different headers re-keys every segment instead of producing a
  broken join), and its B-frame reorder delay is the one the joiner uses to rebuild decode
  timestamps.
* **Segment files are small in-memory MP4s** (``time_base = 1/fps``, see ``core.cells.encode``).
  Their decode timestamps are not trusted across segments: x264 emits a 1- or 2-frame segment
  without reorder delay, so the joiner recomputes every dts from the presentation order.
"""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
import xxhash

from core import ENGINE_VERSION
from core.cells.encoders import SOFTWARE, encoder_settings
from core.errors import Cancelled, EncodeError
from core.media.colour import set_encoder_tags, tag_output
from core.media.fingerprint import fingerprint
from core.media.frames import iter_project_frames
from core.media.info import MediaInfo
from core.model.timeline import MediaRef, Timeline

log = logging.getLogger(__name__)

BLACK = "black"
"""Pseudo media id of black segments (offline media with ``allow_offline``, audio-only clips)."""
SEGMENT_SECONDS = 10
"""Longest segment inside a long clip, in seconds of source."""
GOP_SECONDS = 2
_PROBE_FRAMES = 16
_PROGRESS_INTERVAL_FRAMES = 5

__all__ = [
    "BLACK",
    "EncoderProbe",
    "ExportProfile",
    "ExportSegment",
    "SegmentPackets",
    "encode_segment",
    "encode_segments",
    "plan_segments",
    "probe",
    "read_segment",
]


@dataclass(frozen=True)
class ExportProfile:
    """How export segments are encoded; every field changes the bytes of a segment."""

    width: int
    """Output width in pixels (even)."""
    height: int
    """Output height in pixels (even)."""
    fps: Fraction
    """Project frame rate: one output frame per project frame."""
    encoder: str = SOFTWARE
    """FFmpeg H.264 encoder name."""
    crf: int = 20
    """Quality on the x264 CRF scale (a constant QP on hardware encoders)."""
    preset: str = "veryfast"
    """x264 speed preset."""
    gop: int = 0
    """Keyframe interval in frames; 0 means ``GOP_SECONDS`` worth at ``fps``."""

    def __post_init__(self) -> None:
        if self.width < 2 or self.height < 2 or self.width % 2 or self.height % 2:
            raise ValueError(f"export size {self.width}x{self.height} must be even and at least 2x2")
        if not isinstance(self.fps, (int, Fraction)) or isinstance(self.fps, bool) or self.fps <= 0:
            raise ValueError(f"export fps {self.fps!r} must be a positive Fraction")
        if not 0 <= self.crf <= 51:
            raise ValueError(f"crf {self.crf} must be between 0 and 51")
        object.__setattr__(self, "fps", Fraction(self.fps))
        if self.gop <= 0:
            object.__setattr__(self, "gop", max(1, round(GOP_SECONDS * self.fps)))

    def key(self) -> str:
        """Stable text of everything that shapes the bytes (library versions included)."""
        codec = ".".join(map(str, av.library_versions.get("libavcodec", ())))
        return (
            f"export|{self.width}x{self.height}|{self.fps}|{self.encoder}|crf{self.crf}|{self.preset}"
            f"|gop{self.gop}|av{av.__version__}|lavc{codec}"
        )


@dataclass(frozen=True)
class ExportSegment:
    """Source frames ``[first, stop)`` of ``media``, placed at timeline frame ``at``."""

    key: str
    """Hex xxh3_128 content key the encoded segment is stored under."""
    media: str
    """Media id, or ``BLACK``."""
    first: int
    """First source frame (project rate); 0 for black."""
    stop: int
    """Source frame one past the last."""
    at: int
    """Timeline frame where the segment starts."""

    @property
    def frames(self) -> int:
        return self.stop - self.first

    @property
    def end(self) -> int:
        """Timeline frame one past the segment."""
        return self.at + self.frames


@dataclass(frozen=True)
class EncoderProbe:
    """What encoding a short black segment with a profile revealed."""

    signature: str
    """The profile key plus a hash of the encoder's headers: part of every segment key."""
    extradata: bytes
    """The headers (avcC) every segment of the profile must carry."""
    delay: int
    """Frames of B-frame reorder delay; the joiner shifts decode timestamps by it."""


@dataclass(frozen=True)
class SegmentPackets:
    """A decoded-free view of one encoded segment: its packets in decode order."""

    extradata: bytes
    pts: tuple[int, ...]
    """Presentation frame of each packet, from 0 (the segment's first frame)."""
    payloads: tuple[bytes, ...]
    keyframes: tuple[bool, ...]

    @property
    def delay(self) -> int:
        """Smallest reorder delay (frames) that gives every packet a dts at or before its pts."""
        order = sorted(self.pts)
        return max((shown - pts for shown, pts in zip(order, self.pts, strict=True)), default=0)


# -- planning -------------------------------------------------------------------------------------
def segment_key(*parts: object) -> str:
    h = xxhash.xxh3_128()
    for part in (*parts, ENGINE_VERSION):
        h.update(str(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def _source_cuts(first: int, stop: int, step: int) -> Iterator[tuple[int, int]]:
    """``[first, stop)`` cut at every multiple of ``step``."""
    pos = first
    while pos < stop:
        nxt = min(stop, (pos // step + 1) * step)
        yield pos, nxt
        pos = nxt


def plan_segments(
    timeline: Timeline, signature: str, segment_frames: int, fingerprint_of: Callable[[MediaRef], str] | None = None
) -> list[ExportSegment]:
    """The timeline's export segments in order; offline and audio-only media become black."""
    if segment_frames < 1:
        raise ValueError(f"segment_frames must be at least 1, not {segment_frames}")
    fp_of = fingerprint_of or (lambda ref: fingerprint(ref.resolved))
    fps = timeline.fps
    prints: dict[str, str] = {}
    out: list[ExportSegment] = []
    for placed in timeline.placed():
        clip = placed.clip
        ref = timeline.media_by_id(clip.media)
        if ref.info is None or ref.info.video is None:
            for a, b in _source_cuts(0, clip.length, segment_frames):
                key = segment_key(BLACK, b - a, fps, signature)
                out.append(ExportSegment(key, BLACK, 0, b - a, placed.start + a))
            continue
        fp = prints.get(ref.id) or prints.setdefault(ref.id, fp_of(ref))
        for a, b in _source_cuts(clip.in_, clip.out, segment_frames):
            key = segment_key(fp, a, b, fps, signature)
            out.append(ExportSegment(key, ref.id, a, b, placed.start + a - clip.in_))
    return out


# -- encoding -------------------------------------------------------------------------------------
class _SegmentWriter:
    """One segment: a fresh encoder (so it starts with an IDR frame) muxed into an in-memory MP4."""

    def __init__(self, profile: ExportProfile, label: str, threads: int = 1) -> None:
        self._profile = profile
        self._label = label
        self._threads = threads
        settings = encoder_settings(profile.encoder, profile.crf, profile.preset)
        self._pix_fmt = settings.pix_fmt
        self._time_base = 1 / profile.fps
        self._buffer = io.BytesIO()
        self._frames = 0
        self._closed = False
        try:
            self._container = av.open(self._buffer, "w", format="mp4")
            self._stream = cast(
                av.video.stream.VideoStream,
                self._container.add_stream(
                    profile.encoder, rate=profile.fps, options=_options(profile, settings.options)
                ),
            )
        except (av.FFmpegError, ValueError) as exc:
            raise EncodeError(f"{label}: export encoder {profile.encoder} cannot be set up ({exc})") from None
        self._configure()

    def _configure(self) -> None:
        stream, profile = self._stream, self._profile
        stream.width, stream.height = profile.width, profile.height
        stream.pix_fmt = self._pix_fmt
        stream.time_base = self._time_base
        ctx = stream.codec_context
        ctx.time_base = self._time_base
        ctx.framerate = profile.fps
        ctx.gop_size = profile.gop
        ctx.thread_count = self._threads  # 1 when segments run in parallel; more for a lone segment
        if self._threads != 1:
            ctx.thread_type = "FRAME"
        set_encoder_tags(ctx)  # BT.709 limited range: the H.264 VUI and the MP4 colr box

    def add(self, frame: av.VideoFrame) -> None:
        if frame.format.name != self._pix_fmt:
            frame = frame.reformat(format=self._pix_fmt)
        frame.pts = self._frames
        frame.time_base = self._time_base  # our own 1/fps: the muxer rewrites stream.time_base
        self._frames += 1
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except av.FFmpegError as exc:
            seconds = float(self._frames / self._profile.fps)
            raise EncodeError(
                f"{self._label}: export encoder {self._profile.encoder} failed at {seconds:.2f} s ({exc})"
            ) from None

    def finish(self) -> bytes:
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._closed = True
            self._container.close()
        except av.FFmpegError as exc:
            raise EncodeError(f"{self._label}: export encoder {self._profile.encoder} failed ({exc})") from None
        return self._buffer.getvalue()

    def abandon(self) -> None:
        """Close without keeping anything (safe after ``finish`` and when called twice)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._container.close()
        except av.FFmpegError as exc:  # a half segment being thrown away: nothing to report
            log.debug("closing an abandoned export segment: %s", exc)


def _options(profile: ExportProfile, base: Mapping[str, str]) -> dict[str, str]:
    """The encoder's quality options with a fixed, closed GOP instead of the preview's all-intra."""
    if profile.encoder != SOFTWARE:
        return dict(base)
    params = f"keyint={profile.gop}:min-keyint={profile.gop}:scenecut=0:open-gop=0"
    asm = x264_asm()
    if asm:
        params += f":asm={asm}"
    return {"preset": profile.preset, "crf": str(profile.crf), "x264-params": params}


_X264_NO_AVX512 = "MMX2,SSE,SSE2,SSE2Fast,LZCNT,SSE3,SSSE3,SSE4.1,SSE4.2,AVX,FMA3,BMI1,BMI2,AVX2,Cache64"
"""Every x264 CPU flag an AVX-512 machine has, less AVX-512 itself."""


@functools.cache
def x264_asm() -> str:
    """The x264 ``asm`` flags to force, or "" to let x264 detect them.

    libx264's AVX-512 code is not deterministic: the same frames encoded twice in one process
    (measured here, CRF 20 veryfast, threads=1) gave different bytes in about a third of the
    runs, and the first encode of a process differed by 40 % in size. Content-addressed segments
    must be the same wherever they are encoded (another process, a cluster worker), so on a CPU
    with AVX-512 x264 is held to AVX2, which was as fast (1.31 s vs 1.31 s CPU for 120 frames of
    720p) and gave the same bytes in every run.
    """
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return ""
    return _X264_NO_AVX512 if "avx512f" in flags and "avx2" in flags and "bmi2" in flags else ""


def _black_frame(profile: ExportProfile) -> av.VideoFrame:
    frame = av.VideoFrame(profile.width, profile.height, "yuv420p")
    for plane, level in zip(frame.planes, (16, 128, 128), strict=True):
        np.frombuffer(memoryview(plane), np.uint8)[:] = level
    return tag_output(frame)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


def _encode_black(
    profile: ExportProfile, frames: int, cancel: threading.Event | None, tick: Callable[[], None]
) -> bytes:
    writer = _SegmentWriter(profile, "black segment")
    black = _black_frame(profile)
    try:
        for _ in range(frames):
            _check(cancel)
            writer.add(black)
            tick()
        return writer.finish()
    finally:
        writer.abandon()


def _encode_source(
    segments: Sequence[ExportSegment],
    info: MediaInfo,
    profile: ExportProfile,
    threads: int,
    cancel: threading.Event | None,
    tick: Callable[[], None],
) -> Iterator[tuple[int, bytes]]:
    """Contiguous segments of one media in one decode pass; yields (index in ``segments``, bytes)."""
    frames = iter_project_frames(
        info,
        segments[0].first,
        segments[-1].stop,
        profile.fps,
        (profile.width, profile.height),
        cancel,
        threads=threads,
    )
    writer: _SegmentWriter | None = None
    current = 0
    try:
        for n, frame in frames:
            if writer is None:
                writer = _SegmentWriter(profile, str(info.path), threads)
            writer.add(frame)
            tick()
            if n + 1 == segments[current].stop:
                data, writer = writer.finish(), None
                current += 1
                yield current - 1, data
    finally:
        frames.close()
        if writer is not None:
            writer.abandon()
    if current < len(segments):
        raise EncodeError(f"{info.path}: the source ended before frame {segments[current].first + 1}")


def _groups(segments: Sequence[ExportSegment]) -> Iterator[list[int]]:
    """Indices of ``segments`` grouped into runs one decode pass can serve (black ones alone)."""
    group: list[int] = []
    for i, seg in enumerate(segments):
        prev = segments[group[-1]] if group else None
        if prev is not None and (seg.media == BLACK or prev.media != seg.media or prev.stop != seg.first):
            yield group
            group = []
        group.append(i)
    if group:
        yield group


def encode_segments(
    segments: Sequence[ExportSegment],
    infos: Mapping[str, MediaInfo],
    profile: ExportProfile,
    *,
    threads: int = 1,
    cancel: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[int, bytes]]:
    """Encode ``segments``; yield ``(position in segments, mp4 bytes)`` as each one completes.

    Neighbours that continue each other in one source share a decode pass. ``threads`` is the
    decoder and encoder thread count (1 when several jobs share the CPU; the headers do not
    depend on it). ``on_progress(done, total)`` counts frames. Raises ``Cancelled`` between frames once ``cancel`` is set (nothing
    further is yielded), ``EncodeError``/``MediaError`` naming the file when a source fails.
    """
    total = sum(s.frames for s in segments)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_progress is not None and (done % _PROGRESS_INTERVAL_FRAMES == 0 or done == total):
            on_progress(done, total)

    for group in _groups(segments):
        head = segments[group[0]]
        if head.media == BLACK:
            yield group[0], _encode_black(profile, head.frames, cancel, tick)
            continue
        info = infos.get(head.media)
        if info is None:
            raise EncodeError(f"media {head.media!r} is offline")
        for j, data in _encode_source([segments[i] for i in group], info, profile, threads, cancel, tick):
            yield group[j], data


def encode_segment(segment: ExportSegment, info: MediaInfo | None, profile: ExportProfile, threads: int = 1) -> bytes:
    """One segment's MP4 bytes: a module-level call with plain values, so a cluster worker can
    run it (``functools.partial`` of it pickles); ``info`` is None for black."""
    infos = {segment.media: info} if info is not None else {}
    for _i, data in encode_segments([segment], infos, profile, threads=threads):
        return data
    raise EncodeError(f"export segment at frame {segment.at} produced nothing")


# -- reading --------------------------------------------------------------------------------------
def read_segment(data: bytes, fps: Fraction) -> SegmentPackets:
    """The packets of an encoded segment in decode order, with presentation frames from 0."""
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        frame = Fraction(fps.denominator, fps.numerator)
        stamps: list[int] = []
        payloads: list[bytes] = []
        keys: list[bool] = []
        for packet in container.demux(stream):
            if not packet.size or packet.pts is None:
                continue
            stamps.append(round(packet.pts * packet.time_base / frame))
            payloads.append(bytes(packet))
            keys.append(bool(packet.is_keyframe))
        extradata = bytes(stream.codec_context.extradata or b"")
    origin = min(stamps, default=0)
    return SegmentPackets(extradata, tuple(s - origin for s in stamps), tuple(payloads), tuple(keys))


@functools.lru_cache(maxsize=8)
def probe(profile: ExportProfile) -> EncoderProbe:
    """Encode a short black segment with ``profile`` (once per process): its headers and delay."""
    packets = read_segment(_encode_black(profile, _PROBE_FRAMES, None, lambda: None), profile.fps)
    digest = xxhash.xxh3_64_hexdigest(packets.extradata)
    log.debug("export profile %s: headers %s, reorder delay %d", profile.key(), digest, packets.delay)
    return EncoderProbe(f"{profile.key()}|hdr{digest}", packets.extradata, packets.delay)
