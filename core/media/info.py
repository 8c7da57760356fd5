"""Probing media files and fingerprinting their content.

``probe`` answers everything the engine needs before it decodes a frame: the frame rate measured
from real packet timestamps (``average_rate`` lies for VFR phone footage; one interval lies for
phones, whose stamps wander a fraction of a millisecond off the grid), the display rotation,
sizes, pixel aspect, field order, audio layout and length. It demuxes only a few hundred packets
and decodes a single frame, so opening a project stays fast. Every failure becomes one
``MediaError`` naming the file.

Real files need care. Stream-copy trims keep an earlier keyframe and hide the pre-roll with an
edit list: those packets come flagged discard and count for nothing (not the rate, not the
start, not the frame count). The length is what plays: MP4's per-frame index counted without
discarded entries; elsewhere the end of the last packet, found by seeking to the last keyframe
and demuxing, or by demuxing everything where the file has no index and no Duration (live
WebM from browsers and OBS). A CFR stream lasts exactly frames / fps, so millisecond rounding
never loses the last frame; counts that are estimates say so (``frame_count_exact``).

The fingerprint keys the cell cache by content, not path: a moved or renamed file keeps its
cells. It hashes the size and the first and last 64 KiB, and is remembered per (path, size,
mtime) so each file is read once per process.
"""

from __future__ import annotations

import errno
import itertools
import logging
import math
import os
import statistics
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from core.errors import MediaError
from core.media.colour import UNTAGGED, ColourTags
from core.timebase import snap_fps

log = logging.getLogger(__name__)

_RATE_PACKETS = 240


@dataclass(frozen=True)
class VideoInfo:
    """The video stream the engine will decode."""

    codec: str
    """Decoder name, e.g. ``h264``."""
    width: int
    """Coded width in pixels, before rotation."""
    height: int
    """Coded height in pixels, before rotation."""
    pix_fmt: str
    """Pixel format of decoded frames, e.g. ``yuv420p``."""
    fps: Fraction
    """Frame rate measured from packet timestamps (fitted over them, so rounding and phone jitter
    cancel; the median interval where the stream is too variable), snapped to NTSC rates."""
    frame_count: int
    """Frames that play: counted from the container's index (edit-list pre-roll excluded), or
    estimated from the length × fps where the container keeps no per-frame index."""
    rotation: int
    """Clockwise degrees (0, 90, 180, 270) to rotate decoded frames for display."""
    start: Fraction
    """Presentation time of the first frame in seconds; source time 0 is this instant."""
    colour: ColourTags = UNTAGGED
    """Primaries, transfer, matrix and range as tagged (first frame, else the stream); the frame
    path fills gaps with the usual guesses (``core.media.colour.resolve``)."""
    frame_count_exact: bool = True
    """False when ``frame_count`` is an estimate (no per-frame index: WebM, MPEG-TS, VFR)."""
    sar: Fraction = Fraction(1)
    """Sample (pixel) aspect ratio: anamorphic DV is 720x480 at 8/9 or 32/27."""
    field_order: str = "progressive"
    """``progressive``, ``tt``/``tb`` (top field first) or ``bb``/``bt`` (bottom first)."""
    seek_points: tuple[Fraction, ...] | None = field(default=None, repr=False)
    """Seconds from ``start`` where a seek can land (the index's keyframes, as the demuxer
    keys them), ascending; None where the container has no index (MPEG-TS seeks by bytes).
    A decode starting at ``t`` costs the frames from the last seek point before ``t``."""

    @property
    def interlaced(self) -> bool:
        return self.field_order != "progressive"

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: pixel aspect applied (width stretched or squeezed, height
        kept, so no line is resampled), then rotated."""
        width = max(2, 2 * round(self.width * self.sar / 2)) if self.sar != 1 else self.width
        if self.rotation in (90, 270):
            return self.height, width
        return width, self.height


@dataclass(frozen=True)
class AudioInfo:
    """The first audio stream."""

    codec: str
    sample_rate: int
    channels: int
    start: Fraction
    """Presentation time of the first sample in seconds."""


@dataclass(frozen=True)
class MediaInfo:
    """What ``probe`` found in one file."""

    path: Path
    size_bytes: int
    container: str
    duration: Fraction
    """Length in seconds: of the video stream where there is one, else of the audio."""
    video: VideoInfo | None
    audio: AudioInfo | None

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    def frames_at(self, fps: Fraction) -> int:
        """Length in project frames at ``fps`` (a source frame is held until the next one).

        The end is given the frames' own tolerance (``core.media.frames``: ε, 1/8 of the shorter
        frame period): a clip stamped a hair fast (a phone's 30.03 fps in a 30 fps project) keeps
        its last frame, and no conversion the tolerance leaves alone changes length either.
        """
        slack = Fraction(1, 1000)
        if self.video is not None:
            slack = max(slack, min(fps / self.video.fps, Fraction(1)) / 8)
        return max(1, math.floor(self.duration * fps + slack))

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly summary for ``livecut probe --json``."""
        out: dict[str, object] = {
            "path": str(self.path),
            "size_bytes": self.size_bytes,
            "container": self.container,
            "duration_s": float(self.duration),
            "has_video": self.has_video,
            "has_audio": self.has_audio,
        }
        if self.video:
            v = self.video
            out["video"] = {
                "codec": v.codec,
                "width": v.width,
                "height": v.height,
                "display_width": v.display_size[0],
                "display_height": v.display_size[1],
                "fps": str(v.fps),
                "frame_count": v.frame_count,
                "frame_count_exact": v.frame_count_exact,
                "sample_aspect_ratio": str(v.sar),
                "field_order": v.field_order,
                "rotation": v.rotation,
                "pix_fmt": v.pix_fmt,
                "colour": v.colour.to_dict(),
            }
        if self.audio:
            a = self.audio
            out["audio"] = {"codec": a.codec, "sample_rate": a.sample_rate, "channels": a.channels}
        return out


def _stream_seconds(value: int | None, time_base: Fraction | None) -> Fraction | None:
    if value is None or time_base is None:
        return None
    return Fraction(value) * Fraction(time_base)


def _pick_video(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue  # cover art is a picture, not video
        return stream
    return None


def _measure_rate(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> tuple[Fraction, Fraction]:
    """(fps, start seconds) from the timestamps of the first packets."""
    if stream.time_base is None:
        raise ValueError("the video stream has no time base")
    tb = Fraction(stream.time_base)
    stamps: list[int] = []
    for packet in container.demux(stream):
        # Edit-list pre-roll (stream-copy trims start at an earlier keyframe) comes flagged
        # discard with times before the presentation start: decoded, never shown.
        if packet.pts is not None and not packet.is_discard:
            stamps.append(packet.pts)
        if len(stamps) >= _RATE_PACKETS:
            break
    stamps.sort()
    deltas = [b - a for a, b in itertools.pairwise(stamps) if b > a]
    if deltas:
        median = statistics.median_low(deltas)
        fps = 1 / (Fraction(median) * tb)
        # One interval is only as exact as its two stamps: millisecond time bases round them and
        # phones jitter them. Unless the stamps sit exactly on a grid of the median interval, the
        # slope fitted over all of them (exact for CFR) stands in for the median, unless the
        # stream is so variable that the two disagree altogether.
        fitted = _fitted_period(stamps, median)
        if fitted is not None and abs(fitted - median) < Fraction(median, 8):
            fps = 1 / (fitted * tb)
        fps = snap_fps(fps.limit_denominator(100_000))
    else:
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            raise ValueError("the video stream has no usable timestamps")
        fps = snap_fps(Fraction(rate))
    start = Fraction(stamps[0]) * tb if stamps else Fraction(0)
    return fps, start


def _fitted_period(stamps: list[int], median: int) -> Fraction | None:
    """Ticks per frame: the least-squares slope of the stamps over their frame slots.

    Each stamp's slot counts the whole median intervals since the previous one, so a dropped
    frame (a double interval) leaves its slot empty instead of stretching the period; stamps far
    closer than the median to the previous one are hidden frames (VP9 alt-ref) and take no slot.
    """
    slots, kept = [0], [stamps[0]]
    for stamp in stamps[1:]:
        gap = stamp - kept[-1]
        if gap * 2 <= median:
            continue
        slots.append(slots[-1] + max(1, round(Fraction(gap, median))))
        kept.append(stamp)
    if slots[-1] == 0:
        return None
    if kept[-1] - kept[0] == median * slots[-1]:
        return Fraction(median)  # on the grid end to end: exact, whatever wobbles in between
    n = len(kept)
    spread = n * sum(x * x for x in slots) - sum(slots) ** 2
    return Fraction(n * sum(x * y for x, y in zip(slots, kept, strict=True)) - sum(slots) * sum(kept), spread)


def _first_frame(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> av.VideoFrame:
    container.seek(0, any_frame=False, backward=True, stream=stream)
    for frame in container.decode(stream):
        return frame
    raise ValueError("the video stream has no decodable frame")


def _colour(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> ColourTags:
    """The frame's colour tags, each gap filled from the stream's codec parameters."""
    ctx = stream.codec_context

    def pick(value: int, fallback: int, unknown: int) -> int:
        return int(value) if value not in (unknown, 0) or fallback in (unknown, 0) else int(fallback)

    return ColourTags(
        primaries=pick(frame.color_primaries, ctx.color_primaries, 2),
        trc=pick(frame.color_trc, ctx.color_trc, 2),
        matrix=pick(frame.colorspace, ctx.colorspace, 2),
        range=int(frame.color_range or ctx.color_range or 0),
    )


def _sample_aspect(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> Fraction:
    """Pixel aspect: the container's (``pasp`` box, Matroska display size) over the codec's."""
    for sar in (stream.sample_aspect_ratio, stream.codec_context.sample_aspect_ratio):
        if sar and sar > 0:
            return Fraction(sar).limit_denominator(1000)
    return Fraction(1)


_FIELD_ORDERS = {2: "tt", 3: "bb", 4: "tb", 5: "bt"}
"""FFmpeg's ``AVFieldOrder`` values (0 unknown, 1 progressive)."""


def _field_order(frame: av.VideoFrame, stream: av.video.stream.VideoStream) -> str:
    """Field order from the codec parameters, else from the first frame's interlace flag (NTSC
    DV is bottom field first by definition; other flagged frames are taken as top first)."""
    order = _FIELD_ORDERS.get(int(stream.codec_context.field_order or 0))
    if order:
        return order
    if frame.interlaced_frame:
        return "bb" if stream.codec_context.name == "dvvideo" and frame.height == 480 else "tt"
    return "progressive"


def _indexed_frames(stream: av.video.stream.VideoStream) -> int | None:
    """Frames that play, from a per-frame index (MP4/MOV): every entry not flagged discard.

    None where the index is not per frame (Matroska cues hold only some keyframes).
    """
    entries = stream.index_entries
    if not stream.frames or len(entries) < stream.frames:
        return None
    return sum(1 for entry in entries if not entry.is_discard)


def _index_keyframes(stream: av.video.stream.VideoStream) -> list[int]:
    """Keyframe timestamps of the index the container carries (MP4 sample tables, Matroska cues)."""
    return sorted({e.timestamp for e in stream.index_entries if e.is_keyframe and not e.is_discard})


def _seek_points(index: list[int], stream: av.video.stream.VideoStream, start: Fraction) -> tuple[Fraction, ...] | None:
    if stream.time_base is None or not index:
        return None
    tb = Fraction(stream.time_base)
    return tuple(t * tb - start for t in index)


def _video_end(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Fraction | None:
    """Presentation end (seconds) of the last video packet, as players find it: demux from
    the last keyframe the demuxer can seek to, or every packet where it cannot (a live WebM has
    no Duration and no cues)."""
    if stream.time_base is None:
        return None
    tb = Fraction(stream.time_base)
    for aim in (2**62, None):
        try:
            if aim is None:
                container.seek(0, stream=stream, backward=True, any_frame=False)
            else:
                target = int(Fraction(container.duration or 0, 1_000_000) / tb) if container.duration else aim
                container.seek(target, stream=stream, backward=True, any_frame=False)
        except av.FFmpegError:
            continue
        end: int | None = None
        for packet in container.demux(stream):
            if packet.pts is None or packet.is_discard or not packet.size:
                continue
            stop = packet.pts + max(0, packet.duration or 0)
            end = stop if end is None else max(end, stop)
        if end is not None:
            return Fraction(end) * tb
    return None


def _length(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    fps: Fraction,
    start: Fraction,
    container_duration: Fraction | None,
) -> tuple[int, bool, Fraction | None]:
    """(frame count, whether it is counted rather than estimated, duration in seconds).

    A CFR stream lasts exactly frames / fps: container durations a hair short (millisecond
    rounding in WebM) must not lose the last frame. Where the clock disagrees by more than a
    frame the stream is VFR and the clock wins.
    """
    clock = _stream_seconds(stream.duration, stream.time_base)
    counted = _indexed_frames(stream)
    if counted:
        whole = Fraction(counted) / fps
        if clock and abs(clock - whole) > 1 / fps:
            return counted, True, clock
        return counted, True, whole
    end = _video_end(container, stream)
    length = (end - start) if end is not None and end > start else (clock or container_duration)
    if not length:
        return 0, False, None
    frames = max(1, math.floor(length * fps + Fraction(1, 2)))
    if abs(length - frames / fps) * 2 * fps <= 1:
        return frames, False, Fraction(frames) / fps
    return frames, False, length


def _rotation(frame: av.VideoFrame) -> int:
    ccw = getattr(frame, "rotation", 0) or 0
    return round(-ccw / 90.0) % 4 * 90


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Probe ``path``; raise ``MediaError`` for a missing, truncated, corrupt or unsupported file."""
    p = Path(path)
    if not p.exists():
        raise MediaError(p, "file not found")
    if not p.is_file():
        raise MediaError(p, "not a regular file")
    size = p.stat().st_size
    if size == 0:
        raise MediaError(p, "file is empty")
    try:
        with av.open(str(p), metadata_errors="ignore") as container:
            return _probe_open(p, size, container)
    except MediaError:
        raise
    except av.FFmpegError as exc:
        raise MediaError(p, f"not a readable media file ({_reason(exc)})") from None
    except (ValueError, ZeroDivisionError, IndexError, OverflowError) as exc:
        raise MediaError(p, f"cannot be used ({exc})") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, av.FFmpegError) and exc.errno == errno.EPERM:
        # FFmpeg's demuxers return AVERROR(EPERM), -1, as a generic failure: for an AVI whose
        # headers end where its frames should start, "Operation not permitted" misleads
        return "no frames after its headers: a truncated file?"
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() if ": '" in text else text


def _probe_open(p: Path, size: int, container: av.container.InputContainer) -> MediaInfo:
    vstream = _pick_video(container)
    astream = container.streams.audio[0] if container.streams.audio else None
    if vstream is None and astream is None:
        raise MediaError(p, "has neither video nor audio")
    container_duration = Fraction(container.duration, 1_000_000) if container.duration else None

    video = None
    duration: Fraction | None = None
    if vstream is not None:
        if vstream.codec_context is None or not vstream.codec_context.codec:
            raise MediaError(p, "video codec is not supported")
        index = _index_keyframes(vstream)  # before demuxing: MPEG-TS builds its index as it reads
        fps, start = _measure_rate(container, vstream)
        frame = _first_frame(container, vstream)
        frames, exact, duration = _length(container, vstream, fps, start, container_duration)
        if not duration:
            raise MediaError(p, "video length is unknown (truncated file?)")
        video = VideoInfo(
            codec=vstream.codec_context.name,
            width=frame.width,
            height=frame.height,
            pix_fmt=frame.format.name,
            fps=fps,
            frame_count=int(frames),
            rotation=_rotation(frame),
            start=start,
            colour=_colour(frame, vstream),
            frame_count_exact=exact,
            sar=_sample_aspect(frame, vstream),
            field_order=_field_order(frame, vstream),
            seek_points=_seek_points(index, vstream, start),
        )
    audio = None
    if astream is not None:
        cc = astream.codec_context
        if cc is not None and cc.sample_rate:
            audio = AudioInfo(
                codec=cc.name,
                sample_rate=int(cc.sample_rate),
                channels=int(cc.channels or (cc.layout.nb_channels if cc.layout else 0) or 1),
                start=_stream_seconds(astream.start_time, astream.time_base) or Fraction(0),
            )
        if duration is None:
            duration = _stream_seconds(astream.duration, astream.time_base) or container_duration
    if audio is None and video is None:
        raise MediaError(p, "audio stream cannot be decoded")
    if not duration or duration <= 0:
        raise MediaError(p, "length is unknown or zero (truncated file?)")
    return MediaInfo(p, size, container.format.name.split(",")[0], Fraction(duration), video, audio)
