"""Project frames from one source file: decode once, pick by timestamp, rotate, fit the canvas.

Why it is shaped like this:

* **One decode pass.** A run of cells seeks once, to the keyframe before the first frame it
  needs, and decodes forward. Some demuxers cannot land where asked: MPEG-TS seeks by byte
  position and often lands after the wanted time, and MP4 indexes are keyed by decode time, so a
  B-frame keyframe may show after it. When the first decoded frame is later than the wanted
  time the run retries a little further back, and finally decodes from a fresh open.
* **Frame rate conversion by timestamp, never by counting.** Project frame ``n`` shows the last
  source frame whose presentation time, relative to the first frame (``VideoInfo.start``), is
  at most ``n / fps + ε``. VFR phone footage, dropped frames, 25 → 30 fps and 60 → 30 fps all
  follow from that one rule; before the first frame the first is shown, after the last the
  last is held.
* **ε absorbs timestamp jitter, never a rate conversion.** Phones stamp frames a fraction of a
  millisecond off their grid; with no tolerance a frame 0.4 ms late misses its instant and its
  neighbour is doubled. ε is 1/8 of the shorter of the source's and the project's frame
  periods (and at least half a source tick, capped at 1 ms, for pts rounded to coarse time
  bases). Bounded by the source period it can never reach the next source frame; bounded by the
  project period a frame is never shown noticeably early. Between two rates whose ratio, in
  lowest terms, is a/b, source frames miss project instants by multiples of
  ``min(source, project period) / min(a, b)`` or more, so every conversion with
  ``min(a, b) < 8`` (25 ↔ 30, 24 ↔ 30, 50 ↔ 60, 60 → 30, 24 → 60, …) gives exactly what the
  plain rule gives. Only near-equal rates (29.97 ↔ 30, 24 ↔ 25) change: a source a little slower
  than the project no longer runs a whole frame late from its second frame on.
* **Damage is concealed, not fatal.** A packet the decoder rejects is skipped and decoding
  goes on; its slot keeps the last good picture (black when there is none yet). Lost frames
  are found by timestamps (frame threads report errors a few packets late) and remembered in
  ``core.media.damage`` for the export's warnings.
* **Interlaced sources are deinterlaced** (``bwdif``, one frame per frame, parity from each
  frame's flags) before scaling, so fields never comb; the pixel aspect (``VideoInfo.sar``)
  is honoured when fitting, so anamorphic DV fills a 4:3 canvas.
* **Cheap conversion.** Only frames actually shown are converted, each once even when shown
  several times. One swscale context serves the whole run (``VideoFrame.reformat`` builds a new
  one per frame object, measurably slower), scaling straight to the fitted size in limited
  range. Rotation and letterbox bars are applied with numpy on the already small planes; the
  common case (no rotation, same aspect as the canvas) touches no numpy at all.
* **One output colour space.** Every frame leaves here as BT.709 limited range, tagged so
  (``core.media.colour``): swscale converts the source's matrix and range while it scales, and
  BT.2020 or HDR (PQ, HLG) sources additionally go through 16-bit RGB at the scaled size,
  where numpy converts primaries and tone-maps. The source's colour is read from each run's
  first frame, gaps filled from the probe and then from the usual guesses.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import threading
from collections import deque
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation, VideoReformatter

from core.errors import Cancelled, EncodeError, MediaError
from core.media import damage
from core.media.colour import ColourTags, SourceColour, merged, resolve, tag_output, to_bt709
from core.media.info import MediaInfo, VideoInfo

log = logging.getLogger(__name__)

_SEEK_MARGINS_S = (Fraction(0), Fraction(1), Fraction(4))
"""How far before the wanted time each seek attempt aims; after these, decode from the start."""
_MAX_TOLERANCE = Fraction(1, 1000)
_JITTER_FRACTION = Fraction(1, 8)
"""ε's share of the shorter frame period: conversions whose rate ratio is a/b with min(a, b) < 8
are untouched (module docstring), phone jitter (under a millisecond) is absorbed up to 240 fps."""
_BLACK = (16, 128, 128)
"""Limited-range black for the Y, U and V planes of the letterbox bars."""
_ACCURATE = Interpolation.BILINEAR | Interpolation.ACCURATE_RND
"""swscale flags of the RGB route: exact rounding, so colour bars survive to ~1 level. (Adding
``FULL_CHR_H_INT`` garbles unscaled YUV → RGB in this swscale.)"""
_ROT90_K = {0: 0, 90: -1, 180: 2, 270: 1}
"""``np.rot90`` quarter turns (counter-clockwise) for each clockwise display rotation."""


@dataclass
class DecodeStats:
    """Counters for one or more runs, so callers can measure decode amplification.

    Mutable on purpose (a counter); increments take a lock so workers may share one.
    """

    frames_decoded: int = 0
    """Source frames the decoder produced, including preroll from the keyframe and retries."""
    frames_shown: int = 0
    """Project frames yielded."""
    seeks: int = 0
    """Seek attempts made."""
    restarts: int = 0
    """Times a run fell back to decoding from the start of the file."""
    concealed: int = 0
    """Source frames (packets) that could not be decoded; their slots held the last good picture."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, *, decoded: int = 0, shown: int = 0, seeks: int = 0, restarts: int = 0, concealed: int = 0) -> None:
        with self._lock:
            self.frames_decoded += decoded
            self.frames_shown += shown
            self.seeks += seeks
            self.restarts += restarts
            self.concealed += concealed

    @property
    def amplification(self) -> float:
        """Source frames decoded per project frame shown (0 before anything was shown)."""
        return self.frames_decoded / self.frames_shown if self.frames_shown else 0.0


@dataclass(frozen=True)
class Fit:
    """Where a decoded picture lands on the canvas."""

    scaled: tuple[int, int]
    """Size to scale the decoded picture to, in its coded (pre-rotation) orientation."""
    offset: tuple[int, int]
    """Top-left corner of the rotated picture on the canvas (even, so chroma lines up)."""
    rotation: int
    """Clockwise degrees applied after scaling."""
    canvas: tuple[int, int]
    """Output width and height."""

    @property
    def direct(self) -> bool:
        """True when scaling alone produces the canvas (no rotation, no bars)."""
        return self.rotation == 0 and self.scaled == self.canvas


def _even(value: Fraction, limit: int) -> int:
    return max(2, min(limit, 2 * round(value / 2)))


def fit_picture(width: int, height: int, sar: Fraction, rotation: int, canvas: tuple[int, int]) -> Fit:
    """Fit a ``width`` × ``height`` picture (pixel aspect ``sar``, shown rotated) inside ``canvas``."""
    display_w, display_h = Fraction(width) * sar, Fraction(height)
    if rotation in (90, 270):
        display_w, display_h = display_h, display_w
    cw, ch = canvas
    scale = min(cw / display_w, ch / display_h)
    w, h = _even(display_w * scale, cw), _even(display_h * scale, ch)
    offset = ((cw - w) // 4 * 2, (ch - h) // 4 * 2)
    scaled = (w, h) if rotation in (0, 180) else (h, w)
    return Fit(scaled, offset, rotation, canvas)


def _plane_array(plane: av.video.plane.VideoPlane) -> np.ndarray:
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def _place(picture: av.VideoFrame, fit: Fit) -> av.VideoFrame:
    """Rotate a scaled yuv420p picture and centre it on a black canvas frame."""
    out = av.VideoFrame(fit.canvas[0], fit.canvas[1], "yuv420p")
    k = _ROT90_K[fit.rotation]
    for index, (src, dst) in enumerate(zip(picture.planes, out.planes, strict=True)):
        shrink = 1 if index == 0 else 2
        target = _plane_array(dst)
        target[...] = _BLACK[index]
        pixels = np.rot90(_plane_array(src), k)
        x, y = fit.offset[0] // shrink, fit.offset[1] // shrink
        target[y : y + pixels.shape[0], x : x + pixels.shape[1]] = pixels
    return tag_output(out)


class _Converter:
    """Scales, rotates and letterboxes decoded frames onto the canvas (one swscale context)."""

    def __init__(self, canvas: tuple[int, int], rotation: int, sar: Fraction, threads: int, tags: ColourTags) -> None:
        self.canvas = canvas
        self._rotation = rotation
        self._sar = sar
        self._threads = threads
        self._tags = tags
        self._reformatter = VideoReformatter()
        self._output = VideoReformatter()
        self._fit: Fit | None = None
        self._colour: SourceColour | None = None
        self._source_size: tuple[int, int] | None = None

    def convert(self, frame: av.VideoFrame) -> av.VideoFrame:
        size = (frame.width, frame.height)
        if self._fit is None or self._colour is None or size != self._source_size:  # sizes may change
            self._fit = fit_picture(frame.width, frame.height, self._sar, self._rotation, self.canvas)
            self._colour = resolve(merged(frame, self._tags), frame.format.name, frame.height)
            self._source_size = size
        fit, colour = self._fit, self._colour
        if colour.is_output:
            scaled = self._reformatter.reformat(
                frame,
                fit.scaled[0],
                fit.scaled[1],
                "yuv420p",
                src_colorspace=Colorspace.ITU709,
                dst_colorspace=Colorspace.ITU709,
                interpolation=Interpolation.BILINEAR,
                src_color_range=ColorRange.MPEG,
                dst_color_range=ColorRange.MPEG,
                threads=self._threads,
            )
        else:
            scaled = self._through_rgb(frame, fit, colour)
        return tag_output(scaled) if fit.direct else _place(scaled, fit)

    def _through_rgb(self, frame: av.VideoFrame, fit: Fit, colour: SourceColour) -> av.VideoFrame:
        """Scale to 16-bit RGB (honouring the source's matrix and range), convert primaries and
        transfer in numpy where they differ, then to BT.709 limited-range YUV."""
        rgb = self._reformatter.reformat(
            frame,
            fit.scaled[0],
            fit.scaled[1],
            "rgb48le",
            src_colorspace=colour.matrix,
            interpolation=_ACCURATE,
            src_color_range=colour.range,
            dst_color_range=ColorRange.JPEG,
            threads=self._threads,
        )
        if colour.needs_linear:
            rgb = av.VideoFrame.from_ndarray(to_bt709(rgb.to_ndarray(), colour), format="rgb48le")
        return self._output.reformat(
            rgb,
            format="yuv420p",
            src_colorspace=Colorspace.ITU709,
            dst_colorspace=Colorspace.ITU709,
            interpolation=_ACCURATE,
            src_color_range=ColorRange.JPEG,
            dst_color_range=ColorRange.MPEG,
            threads=self._threads,
        )


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream | None:
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


@contextmanager
def _open(info: MediaInfo, threads: int) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    try:
        container = av.open(str(info.path), metadata_errors="ignore")
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(info.path, f"cannot be opened for decoding ({_reason(exc)})") from None
    with container:
        stream = _video_stream(container)
        if stream is None:
            raise MediaError(info.path, "has no video stream")
        stream.codec_context.thread_count = max(0, threads)  # 0: FFmpeg picks per core
        if threads != 1:
            stream.thread_type = "AUTO"  # frame threads too; PyAV's default is slice only
        yield container, stream


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.split(":")[0].strip()


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled


@dataclass
class _Clock:
    """Presentation times of decoded frames in seconds from the source's first frame."""

    time_base: Fraction
    start: Fraction
    step: Fraction
    last: Fraction | None = None

    def time_of(self, frame: av.VideoFrame) -> Fraction:
        return self.time_at(frame.pts if frame.pts is not None else frame.dts)

    def time_at(self, stamp: int | None) -> Fraction:
        if stamp is not None:
            t = stamp * self.time_base - self.start
        else:  # no timestamp at all: one nominal frame after the previous one
            t = Fraction(0) if self.last is None else self.last + self.step
        if self.last is not None and t < self.last:
            t = self.last  # decoders emit presentation order; never let time run backwards
        self.last = t
        return t


def _decode_error(info: MediaInfo, at: Fraction, exc: BaseException) -> EncodeError:
    seconds = float(max(at, Fraction(0)))
    return EncodeError(f"{info.path}: video cannot be decoded at {seconds:.2f} s ({_reason(exc)})")


def _failed_at(packet: av.Packet[av.video.stream.VideoStream] | None, clock: _Clock) -> Fraction:
    """Best guess of where decoding failed: the bad packet's time, else the last good frame's."""
    if packet is not None and packet.pts is not None:
        return packet.pts * clock.time_base - clock.start
    return clock.last if clock.last is not None else Fraction(0)


_MAX_LOST_IN_A_ROW = 48
"""Undecodable packets in a row, with no good frame yet, after which a run gives up: that is
an unsupported stream, not a damaged packet to conceal."""

Timed = tuple[Fraction, "av.VideoFrame | None"]
"""A decoded frame and its time from the source's first frame; ``None`` marks a packet that
could not be decoded (its slot shows the last good picture, black when there is none)."""


def _timed_frames(
    info: MediaInfo,
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    stats: DecodeStats,
    cancel: threading.Event | None,
) -> Generator[Timed, None, None]:
    """(time, frame) for every frame decoded from the container's current position.

    A packet the decoder rejects (a damaged NAL unit) is skipped and decoding goes on: one bad
    packet must not lose the frames around it. Which frames were lost is found by timestamps,
    not by which call failed (frame threads report an error a few packets late): once an error
    has happened, a packet whose frame never came out before a later frame did is lost, and is
    marked ``(time, None)`` in its place.
    """
    video = _video(info)
    clock = _Clock(_time_base(info, stream), video.start, 1 / video.fps)
    packets = container.demux(stream)
    good = False
    errors = lost_in_a_row = 0
    reason = ""
    waiting: list[int] = []  # heap of pts sent to the decoder whose frame has not come out yet

    def lost_before(stamp: int | None) -> Iterator[Timed]:
        while waiting and (stamp is None or waiting[0] < stamp):
            missing = heapq.heappop(waiting)
            if not errors:
                continue  # decoders drop some packets on purpose (VP9 hidden frames)
            at = missing * clock.time_base - clock.start
            log.warning("%s: frame at %.3f s cannot be decoded (%s): concealed", info.path, float(at), reason)
            stats.add(concealed=1)
            damage.note(info.path, at, reason)
            yield at, None

    while True:
        _check(cancel)
        packet: av.Packet[av.video.stream.VideoStream] | None = None
        try:
            packet = next(packets, None)
            if packet is None:
                yield from lost_before(None)
                return
            if packet.pts is not None and packet.size and not packet.is_discard:
                heapq.heappush(waiting, packet.pts)
            frames = packet.decode()
        except av.FFmpegError as exc:
            errors, lost_in_a_row, reason = errors + 1, lost_in_a_row + 1, _reason(exc)
            if packet is None or (not good and lost_in_a_row > _MAX_LOST_IN_A_ROW):
                raise _decode_error(info, _failed_at(packet, clock), exc) from None
            continue
        for frame in frames:
            good, lost_in_a_row = True, 0
            stats.add(decoded=1)
            if frame.pts is not None:
                yield from lost_before(frame.pts)
                if waiting and waiting[0] == frame.pts:
                    heapq.heappop(waiting)
            yield clock.time_of(frame), frame


class _Deinterlacer:
    """``bwdif`` (one output frame per input frame, field parity from each frame's flags) for
    interlaced sources; rebuilt when the decoded size or format changes."""

    def __init__(self, stream: av.video.stream.VideoStream) -> None:
        self._stream = stream
        self._graph: av.filter.Graph | None = None
        self._shape: tuple[int, int, str] | None = None
        self._times: deque[Fraction] = deque()
        """Times of the frames inside the filter: it emits one frame per frame, in order."""

    def _build(self, frame: av.VideoFrame) -> av.filter.Graph:
        graph = av.filter.Graph()
        tb = self._stream.time_base or Fraction(1, 90000)
        src = graph.add_buffer(width=frame.width, height=frame.height, format=frame.format, time_base=tb)
        bwdif = graph.add("bwdif", "mode=send_frame:parity=auto:deint=interlaced")
        sink = graph.add("buffersink")
        src.link_to(bwdif)
        bwdif.link_to(sink)
        graph.configure()
        return graph

    def _drain(self, graph: av.filter.Graph) -> Iterator[Timed]:
        while True:
            try:
                out = graph.vpull()
            except (av.BlockingIOError, av.EOFError):
                return
            yield (self._times.popleft() if self._times else Fraction(0)), out

    def run(self, timed: Iterator[Timed]) -> Iterator[Timed]:
        pending: list[Timed] = []  # undecodable markers wait for the frames before them
        for t, frame in timed:
            if frame is None:
                pending.append((t, None))
                continue
            shape = (frame.width, frame.height, frame.format.name)
            if self._graph is None or shape != self._shape:
                if self._graph is not None:
                    yield from self._flush(self._graph, pending)
                self._graph, self._shape = self._build(frame), shape
            self._times.append(t)
            self._graph.push(frame)
            for item in self._drain(self._graph):
                while pending and pending[0][0] < item[0]:
                    yield pending.pop(0)
                yield item
        if self._graph is not None:
            yield from self._flush(self._graph, pending)
        yield from pending

    def _flush(self, graph: av.filter.Graph, pending: list[Timed]) -> Iterator[Timed]:
        graph.push(None)
        for item in self._drain(graph):
            while pending and pending[0][0] < item[0]:
                yield pending.pop(0)
            yield item


def _seek(
    info: MediaInfo, container: av.container.InputContainer, stream: av.video.stream.VideoStream, seconds: Fraction
) -> bool:
    offset = int(seconds / _time_base(info, stream))
    try:
        container.seek(offset, stream=stream, backward=True, any_frame=False)
    except av.FFmpegError as exc:
        log.debug("seek to %s s failed: %s", float(seconds), exc)
        return False
    return True


def _decoded_from(
    info: MediaInfo,
    opened: tuple[av.container.InputContainer, av.video.stream.VideoStream],
    target: Fraction,
    tolerance: Fraction,
    threads: int,
    stats: DecodeStats,
    cancel: threading.Event | None,
) -> Generator[Timed, None, None]:
    """Decoded (time, frame) pairs whose first frame is at or before ``target`` seconds."""
    container, stream = opened
    sought = False
    margins = list(_SEEK_MARGINS_S)
    for attempt, margin in enumerate(margins):
        aim = target - margin
        if aim <= 0:
            break
        sought = True
        stats.add(seeks=1)
        if not _seek(info, container, stream, _video(info).start + aim):
            break
        frames = _timed_frames(info, container, stream, stats, cancel)
        head = next(frames, None)
        if head is not None and head[0] <= target + tolerance:
            yield head
            yield from frames
            return
        frames.close()
        if attempt == 0 and head is not None and 2 * (head[0] - aim) < margins[1]:
            # Byte-seeking demuxers (MPEG-TS) land a little late: aim back by twice as much
            # before the coarse margins, rather than decoding a whole second more.
            margins.insert(1, 2 * (head[0] - aim) + tolerance)
        landed = "the end" if head is None else f"{float(head[0]):.3f} s"
        log.debug("%s: seek for %.3f s landed at %s; retrying earlier", info.path.name, float(target), landed)
    if not sought:
        yield from _timed_frames(info, container, stream, stats, cancel)
        return
    stats.add(restarts=1)  # a fresh open: seeking back to 0 is not reliable either (MPEG-TS)
    with _open(info, threads) as (fresh, fresh_stream):
        yield from _timed_frames(info, fresh, fresh_stream, stats, cancel)


def _pick(
    timed: Iterator[Timed], first: int, stop: int, fps: Fraction, tolerance: Fraction
) -> Iterator[tuple[int, av.VideoFrame | None]]:
    """The decoded frame shown at each project frame ``first..stop-1`` (the timestamp rule).

    An undecodable source frame keeps showing the last good one; ``None`` (black) where no good
    frame came before it.
    """
    n = first
    held: av.VideoFrame | None = None
    have = False  # something is held (``held`` None then means black)
    for t, frame in timed:
        now = frame if frame is not None else held
        while n < stop and t > n / fps + tolerance:  # this item comes after frame n's instant
            yield n, held if have else now
            n += 1
        if n >= stop:
            return
        if frame is not None or not have:
            held, have = now, True
    while have and n < stop:  # past the last source frame: hold it
        yield n, held
        n += 1


def _video(info: MediaInfo) -> VideoInfo:
    if info.video is None:
        raise MediaError(info.path, "has no video stream")
    return info.video


def _sample_aspect(stream: av.video.stream.VideoStream) -> Fraction:
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio
    return Fraction(sar) if sar and sar > 0 else Fraction(1)


def _time_base(info: MediaInfo, stream: av.video.stream.VideoStream) -> Fraction:
    """The stream's time base (libavformat sets one on every stream it opens; PyAV types it optional)."""
    if stream.time_base is None:
        raise MediaError(info.path, "video stream has no time base")
    return Fraction(stream.time_base)


def _tolerance(info: MediaInfo, stream: av.video.stream.VideoStream, fps: Fraction) -> Fraction:
    """ε of the timestamp rule (module docstring): 1/8 of the shorter frame period, at least
    half a source tick (pts are rounded to it) capped so coarse AVI ticks keep floor semantics."""
    rounding = min(_time_base(info, stream) / 2, _MAX_TOLERANCE)
    return max(rounding, min(1 / _video(info).fps, 1 / fps) * _JITTER_FRACTION)


def decode_lead(info: MediaInfo, frame: int, fps: Fraction) -> int | None:
    """Project frames' worth of source decoded before project frame ``frame`` when a decode
    pass starts there (from the seek point the demuxer lands on); None when unknown (no index).

    The scheduler uses it to start runs where a seek is cheap: splitting a long GOP between two
    runs decodes its head twice (a single-GOP file, split in two, decodes 1.6x).
    """
    video = _video(info)
    points = video.seek_points
    if points is None:
        return None
    t = Fraction(frame) / fps
    if t <= 0:
        return 0
    index = bisect.bisect_right(points, t) - 1
    landed = points[index] if index >= 0 else Fraction(0)
    return max(0, math.floor((t - landed) * fps))


def cheap_start(info: MediaInfo | None, cell: int, cell_frames: int, fps: Fraction) -> bool:
    """Whether a decode pass may start at ``cell`` without re-decoding much: the seek lands at
    most a tenth of a cell before it (or nothing is known, or the media has no video)."""
    if info is None or info.video is None:
        return True
    lead = decode_lead(info, cell * cell_frames, fps)
    return lead is None or lead * 10 <= cell_frames


def iter_project_frames(
    info: MediaInfo,
    first: int,
    stop: int,
    fps: Fraction,
    canvas: tuple[int, int],
    cancel: threading.Event | None = None,
    stats: DecodeStats | None = None,
    *,
    threads: int = 1,
) -> Generator[tuple[int, av.VideoFrame], None, None]:
    """Yield ``(n, frame)`` for project frames ``first..stop-1`` of ``info`` at ``fps``.

    Each frame is yuv420p, BT.709 limited range (and tagged so), of exactly ``canvas``; consecutive items may be the
    same frame object when one source frame is shown several times (set ``pts`` on it freely:
    encoders keep their own reference). ``threads`` is the decoder and scaler thread count
    (0: automatic, one per core; use 1 when several runs share the CPU).
    Raises ``Cancelled`` between frames once ``cancel`` is set, ``EncodeError`` (file and time)
    when decoding fails mid-stream, ``MediaError`` when the file cannot be opened.
    """
    video = _video(info)
    if first < 0 or canvas[0] < 2 or canvas[1] < 2 or canvas[0] % 2 or canvas[1] % 2:
        raise ValueError(f"bad frame range or canvas: first={first}, canvas={canvas} (need even sizes)")
    if stop <= first:
        return
    stats = stats if stats is not None else DecodeStats()
    with _open(info, threads) as opened:
        stream = opened[1]
        tolerance = _tolerance(info, stream, fps)
        converter = _Converter(canvas, video.rotation, _sample_aspect(stream), max(0, threads), video.colour)
        timed = _decoded_from(info, opened, Fraction(first) / fps, tolerance, threads, stats, cancel)
        source: Iterator[Timed] = _Deinterlacer(stream).run(timed) if video.interlaced else timed
        try:
            yield from _converted(_pick(source, first, stop, fps, tolerance), converter, info, fps, stats, cancel)
        finally:
            timed.close()


def _converted(
    picked: Iterator[tuple[int, av.VideoFrame | None]],
    converter: _Converter,
    info: MediaInfo,
    fps: Fraction,
    stats: DecodeStats,
    cancel: threading.Event | None,
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Convert each picked source frame once, however many project frames show it."""
    source: av.VideoFrame | None = None
    shown: av.VideoFrame | None = None
    black: av.VideoFrame | None = None
    any_frame = False
    for n, frame in picked:
        _check(cancel)
        any_frame = True
        if frame is None:  # undecodable with nothing good before it
            black = black if black is not None else _black(converter.canvas)
            out = black
        else:
            if shown is None or frame is not source:
                shown, source = _convert(converter, frame, info, n / fps), frame
            out = shown
        stats.add(shown=1)
        yield n, out
    if not any_frame:
        raise EncodeError(f"{info.path}: no video frame could be decoded")


def _black(canvas: tuple[int, int]) -> av.VideoFrame:
    frame = av.VideoFrame(canvas[0], canvas[1], "yuv420p")
    for plane, level in zip(frame.planes, _BLACK, strict=True):
        _plane_array(plane)[...] = level
    return tag_output(frame)


def _convert(converter: _Converter, frame: av.VideoFrame, info: MediaInfo, at: Fraction) -> av.VideoFrame:
    try:
        return converter.convert(frame)
    except (av.FFmpegError, ValueError) as exc:
        raise _decode_error(info, at, exc) from None


__all__ = ["DecodeStats", "Fit", "cheap_start", "decode_lead", "fit_picture", "iter_project_frames"]
