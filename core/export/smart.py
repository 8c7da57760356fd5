"""Smart export: copy the source's own GOPs, re-encode only the frames at each cut.

``livecut export --smart`` writes the same film as the ordinary export (``core.export.render``),
frame for frame, but every closed GOP of an H.264 source that lies wholly inside a clip is copied
byte for byte; only the frames from a clip's in-point to its first copied IDR, from its last
copied GOP to its out-point, and clips that cannot be copied at all are encoded. The plan (which
GOPs, which frames, why not) is ``core.export.smartplan``; this module follows it.

Why it is shaped like this:

* **One track, two families of parameter sets.** Copied GOPs keep the source's SPS/PPS; the
  re-encoded pieces are libx264 with the source's profile and level, the export's CRF and preset,
  BT.709 limited like the source (a condition of copying), and *other* parameter-set ids
  (``sps-id``), so neither overwrites the other in a decoder. Both families are in the track's
  ``avcC`` (one sample description, several SPS/PPS), and the re-encoded pieces also repeat theirs
  in-band at each IDR (``repeat-headers``), so a player that only reads in-band headers after a
  join still decodes. Every re-encoded piece starts with a fresh encoder, hence an IDR, and every
  copied piece starts at a source IDR of a closed GOP: no picture references across a join.
* **Decode times are rebuilt.** Each piece (a copied GOP, a re-encoded run) is closed and shows a
  contiguous run of frames, so its ``k``-th packet in decode order gets dts = its first timeline
  frame + ``k`` − D, where D is the largest reorder delay of any piece (the sources' GOPs and the
  encoder's, probed once). Presentation times are the timeline frames themselves, so the output
  timeline is exact whatever the sources' stamps were.
* **Streaming, in timeline order.** Copied packets are demuxed GOP by GOP and written at once;
  re-encoded frames come from ``core.media.frames`` (the ordinary export's frame rule, so a
  re-encoded frame is the one the ordinary export would show). Memory does not grow with the
  film; cancel is checked between packets and frames.
* **The rest is the ordinary export's.** The same audio (one AAC track of the mix, encoded on its
  own thread), the same output checks, and the same staging (hidden temp file, fsync, rename).
  When nothing can be copied, or the options ask for another size or quality, the ordinary export
  runs and the summary says why.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from core.cells.encoders import SOFTWARE
from core.cells.store import CellStore
from core.errors import Cancelled, EncodeError, LivecutError
from core.export.limits import DEFAULT_CRF
from core.export.render import (
    ExportOptions,
    ExportProgress,
    ExportResult,
    _check_offline,
    _check_output,
    _FilmAudio,
    _staged,
    export,
    export_size,
    mux_audio,
)
from core.export.segments import GOP_SECONDS, x264_asm
from core.export.smartplan import (
    PROFILES,
    AvcConfig,
    ClipPlan,
    Piece,
    SmartSummary,
    SourceIndex,
    annexb_nals,
    index_source,
    plan_timeline,
    source_problem,
    to_length_prefixed,
)
from core.media.audio import RATE
from core.media.colour import set_encoder_tags, tag_output
from core.media.frames import iter_project_frames
from core.media.info import MediaInfo
from core.model.playout import concealed_in
from core.model.project import Project

log = logging.getLogger(__name__)

DEFAULT_PRESET = "veryfast"
_PROBE_FRAMES = 16

__all__ = ["smart_export"]

ProgressFn = Callable[[ExportProgress], None]


@dataclass(frozen=True)
class _X264:
    """How the re-encoded pieces are encoded: every field reaches their SPS/PPS or bytes."""

    width: int
    height: int
    fps: Fraction
    crf: int
    preset: str
    profile: str
    level: int
    sps_id: int

    def open(self, threads: int) -> av.video.codeccontext.VideoCodecContext:
        ctx = av.CodecContext.create(SOFTWARE, "w")
        assert isinstance(ctx, av.video.codeccontext.VideoCodecContext)
        ctx.width, ctx.height, ctx.pix_fmt = self.width, self.height, "yuv420p"
        ctx.time_base = 1 / self.fps
        ctx.framerate = self.fps
        gop = max(1, round(GOP_SECONDS * self.fps))
        ctx.gop_size = gop
        ctx.thread_count = threads
        ctx.flags |= av.codec.context.Flags.global_header  # the headers in extradata, for the avcC
        set_encoder_tags(ctx)
        params = (
            f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:repeat-headers=1"
            f":sps-id={self.sps_id}:level={self.level}"
        )
        if self.profile == "baseline":
            params += ":bframes=0"
        asm = x264_asm()
        if asm:
            params += f":asm={asm}"
        ctx.options = {"preset": self.preset, "crf": str(self.crf), "profile": self.profile, "x264-params": params}
        try:
            ctx.open()
        except (av.FFmpegError, ValueError) as exc:
            raise EncodeError(f"the smart export's encoder cannot be set up ({exc})") from None
        return ctx


@dataclass(frozen=True)
class _Probed:
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    delay: int


@functools.lru_cache(maxsize=4)
def _probe(x264: _X264) -> _Probed:
    """Encode a short black piece once: the encoder's parameter sets and reorder delay."""
    ctx = x264.open(1)
    stamps = [p.pts for p in _encode_all(ctx, (_black(x264.width, x264.height) for _ in range(_PROBE_FRAMES)))]
    nals = annexb_nals(bytes(ctx.extradata or b""))
    sps = tuple(n for n in nals if n[0] & 0x1F == 7)
    pps = tuple(n for n in nals if n[0] & 0x1F == 8)
    if not sps or not pps:
        raise EncodeError("the smart export's encoder wrote no parameter sets")
    delay = max((k - int(s or 0) for k, s in enumerate(stamps)), default=0)
    return _Probed(sps, pps, delay)


def _encode_all(
    ctx: av.video.codeccontext.VideoCodecContext, frames: Iterator[av.VideoFrame]
) -> list[av.Packet[av.video.stream.VideoStream]]:
    out: list[av.Packet[av.video.stream.VideoStream]] = []
    for i, frame in enumerate(frames):
        frame.pts = i
        frame.time_base = ctx.time_base
        out += ctx.encode(frame)
    out += ctx.encode(None)
    return out


def _black(width: int, height: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, level in zip(frame.planes, (16, 128, 128), strict=True):
        np.frombuffer(memoryview(plane), np.uint8)[:] = level
    return tag_output(frame)


# -- the whole export ------------------------------------------------------------------------------
def options_problem(project: Project, opts: ExportOptions) -> str:
    """Why these export options rule out copying anything ("" when they do not)."""
    if opts.height is not None and export_size(project, opts.height) != export_size(project):
        return f"--height {opts.height} asks for another size than the sources' (copied frames keep theirs)"
    if opts.crf != DEFAULT_CRF:
        return f"--crf {opts.crf} asks for another quality (copied frames keep the source's)"
    if opts.preset != DEFAULT_PRESET:
        return f"--preset {opts.preset} asks for another encode (copied frames keep the source's)"
    if opts.encoder not in (None, SOFTWARE):
        return f"--encoder {opts.encoder}: the pieces at the cuts are encoded with {SOFTWARE}"
    if opts.cluster:
        return "--cluster: a smart export copies on this machine"
    return ""


def smart_export(
    project: Project,
    output: str | os.PathLike[str],
    options: ExportOptions,
    *,
    cancel: threading.Event | None = None,
    on_progress: ProgressFn | None = None,
    store: CellStore | None = None,
) -> ExportResult:
    """Export ``project`` copying every whole source GOP it can; see the module docstring.

    Falls back to the ordinary export (with the reason in ``ExportResult.smart``) when nothing
    can be copied. Raises like ``core.export.render.export``.
    """
    t0 = time.perf_counter()
    cancel = cancel or threading.Event()
    report = on_progress or (lambda _p: None)
    ordinary = replace(options, smart=False)

    def fallback(reason: str, clips: tuple[ClipPlan, ...] = ()) -> ExportResult:
        log.info("smart export copies nothing (%s): exporting the ordinary way", reason)
        result = export(project, output, ordinary, cancel=cancel, on_progress=on_progress, store=store)
        return replace(result, smart=SmartSummary(clips, reason=reason))

    if not project.timeline.clips:
        raise LivecutError(f"{project.path or project.name}: the timeline is empty, nothing to export")
    problem = options_problem(project, options)
    if problem:
        return fallback(problem)
    target = _check_output(Path(output), options.force)
    _check_offline(project, options.allow_offline)
    size = export_size(project)
    clips, indexes, reference = _plan(project, size)
    if not any(c.frames_copied for c in clips) or reference is None:
        return fallback("no clip has a whole closed GOP it can copy", clips)
    ref_media, ref_config = reference
    ids = ref_config.ids
    x264 = _X264(
        size[0],
        size[1],
        project.fps,
        options.crf,
        options.preset,
        PROFILES[ref_config.profile],
        ref_config.level,
        next(i for i in range(32) if i not in ids),
    )
    probed = _probe(x264)
    delay = max([probed.delay] + [u.delay for c in clips for p in c.pieces for u in p.units])
    avcc = ref_config.merged(probed.sps, probed.pps)
    infos = {m.id: m.info for m in project.timeline.media if m.info is not None}
    audio = _FilmAudio(project, options.loudness)
    try:
        sound = audio.wait(cancel)
        with _staged(target, options.force) as temp:
            counts = _write(
                temp, project, clips, indexes, infos, ref_media, avcc, x264, delay, sound, audio, cancel, report
            )
    finally:
        audio.close()
    frames = project.timeline.duration
    pieces = [p for c in clips for p in c.pieces]
    summary = SmartSummary(clips, *counts)
    result = ExportResult(
        target,
        frames,
        float(frames / project.fps),
        len(pieces),
        sum(1 for p in pieces if not p.copy),
        sum(1 for p in pieces if p.copy),
        time.perf_counter() - t0,
        SOFTWARE,
        size[0],
        size[1],
        target.stat().st_size,
        tuple(concealed_in(project.timeline)),
        project.fps,
        0,
        audio.limiter.max_reduction_db,
        audio.gain_db if options.loudness is not None else None,
        audio.measured if options.loudness is not None and math.isfinite(audio.measured) else None,
        smart=summary,
    )
    log.info(
        "smart export %s: %d frames copied, %d encoded, %.2f s",
        target,
        summary.frames_copied,
        summary.frames_encoded,
        result.seconds,
    )
    return result


def _plan(
    project: Project, size: tuple[int, int]
) -> tuple[tuple[ClipPlan, ...], dict[str, SourceIndex], tuple[str, AvcConfig] | None]:
    """Every clip's plan, the copyable sources' indexes, and the reference source (first copied)."""
    timeline = project.timeline
    problems: dict[str, str] = {}
    indexes: dict[str, SourceIndex] = {}
    reference: tuple[str, AvcConfig] | None = None
    for clip in timeline.clips:
        if clip.media in problems:
            continue
        ref = timeline.media_by_id(clip.media)
        info = ref.info if clip.media and ref.online else None
        problem = source_problem(info, project.fps, size) if info is not None else "it has no video"
        config: AvcConfig | None = None
        if not problem and info is not None:
            index = index_source(info, project.fps)
            problem = index.problem
            if not problem:
                try:
                    config = AvcConfig.parse(index.extradata)
                except (ValueError, IndexError) as exc:
                    problem = f"its H.264 headers cannot be read ({exc})"
            if config is not None and not problem:
                if config.profile not in PROFILES:
                    problem = f"its H.264 profile {config.profile} is not one libx264 matches here"
                elif config.length_size != 4:
                    problem = f"its NAL units have {config.length_size}-byte lengths, not 4"
                elif reference is not None and index.extradata != _extradata(indexes[reference[0]]):
                    other = timeline.media_by_id(reference[0]).resolved.name
                    problem = f"its parameter sets differ from {other}'s (one MP4 track has one set)"
            if not problem:
                indexes[clip.media] = index
                if reference is None and config is not None:
                    reference = (clip.media, config)
        problems[clip.media] = problem
    return plan_timeline(timeline, indexes, problems), indexes, reference


def _extradata(index: SourceIndex) -> bytes:
    return index.extradata


# -- writing -----------------------------------------------------------------------------------------
class _Mux:
    """The output MP4: video packets with rebuilt times, and the film's audio interleaved."""

    def __init__(
        self,
        container: av.container.OutputContainer,
        template: av.video.stream.VideoStream,
        avcc: bytes,
        fps: Fraction,
        delay: int,
        sound: list[tuple[int, bytes]],
        extradata: bytes,
    ) -> None:
        self.container = container
        self.fps = fps
        self.tb = Fraction(fps.denominator, fps.numerator)
        self.delay = delay
        self.video = container.add_stream_from_template(template)
        self.video.time_base = self.tb
        self.video.codec_context.extradata = avcc
        self.audio = container.add_stream("aac", rate=RATE)
        self.audio.layout = "stereo"
        self.audio.codec_context.extradata = extradata
        self.sound = sound
        self.next_audio = 0
        self.packets = 0
        self.bytes = 0

    def video_packet(self, payload: bytes, pts: int, dts: int, key: bool) -> None:
        if dts - self.delay > pts:
            raise EncodeError(f"a packet at frame {pts} reorders more than {self.delay} frames: it cannot be joined")
        packet = av.Packet(payload)
        packet.pts = pts
        packet.dts = dts - self.delay
        packet.duration = 1
        packet.time_base = self.tb
        packet.is_keyframe = key
        packet.stream = self.video
        self.container.mux(packet)
        self.packets += 1
        self.bytes += len(payload)

    def add_audio(self, until_frame: int | None) -> None:
        """Mux the audio packets that start before ``until_frame`` (None: all the rest)."""
        self.next_audio = mux_audio(self.container, self.audio, self.sound, self.next_audio, until_frame, self.fps)


def _write(
    temp: Path,
    project: Project,
    clips: tuple[ClipPlan, ...],
    indexes: dict[str, SourceIndex],
    infos: dict[str, MediaInfo],
    ref_media: str,
    avcc: bytes,
    x264: _X264,
    delay: int,
    sound: list[tuple[int, bytes]],
    audio: _FilmAudio,
    cancel: threading.Event,
    report: ProgressFn,
) -> tuple[int, int, int, int]:
    """Write the film; returns (packets copied, video packets, bytes copied, video bytes)."""
    total = project.timeline.duration
    report(ExportProgress("join", 0, total))
    copied_packets = copied_bytes = 0
    threads = os.cpu_count() or 1
    try:
        with (
            av.open(str(infos[ref_media].path)) as reference,
            av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"}) as container,
        ):
            mux = _Mux(container, reference.streams.video[0], avcc, project.fps, delay, sound, audio.extradata)
            for clip in clips:
                info = infos.get(clip.media)
                for piece in clip.pieces:
                    _check(cancel)
                    if piece.copy:
                        assert info is not None
                        before = mux.packets, mux.bytes
                        _copy(mux, info, indexes[clip.media], piece, cancel)
                        copied_packets += mux.packets - before[0]
                        copied_bytes += mux.bytes - before[1]
                    else:
                        _encode(mux, info, piece, x264, threads, cancel)
                    mux.add_audio(piece.at + piece.frames)
                    report(ExportProgress("join", piece.at + piece.frames, total))
            mux.add_audio(None)
    except av.FFmpegError as exc:
        raise EncodeError(f"{temp.name}: the smart export cannot be written ({exc})") from None
    except OSError as exc:
        raise EncodeError(f"{temp.parent}: the smart export cannot be written ({exc.strerror or exc})") from None
    return copied_packets, mux.packets, copied_bytes, mux.bytes


def _check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise Cancelled


def _copy(mux: _Mux, info: MediaInfo, index: SourceIndex, piece: Piece, cancel: threading.Event) -> None:
    """Mux the piece's GOPs as they are in the source, with timeline times."""
    p0, p1 = piece.units[0].p0, piece.units[-1].p1
    starts = {u.p0: u.first for u in piece.units}
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        container.seek(index.pts[p0], stream=stream, backward=True, any_frame=False)
        at = p0
        unit_first, k = piece.first, 0
        for packet in container.demux(stream):
            _check(cancel)
            if packet.size == 0 or packet.pts is None:
                continue
            if at == p0 and packet.pts != index.pts[p0]:
                if packet.pts > index.pts[p0] and packet.is_keyframe:
                    raise EncodeError(f"{info.path}: seeking did not reach the GOP at frame {piece.first}")
                continue  # before the piece: the seek landed on an earlier keyframe
            if packet.pts != index.pts[at]:
                raise EncodeError(f"{info.path}: the packets changed since they were indexed (frame {piece.first})")
            if at in starts:
                unit_first, k = starts[at], 0
            frame = index.frames[at]
            shown = piece.at + frame - piece.first
            mux.video_packet(bytes(packet), shown, piece.at + unit_first - piece.first + k, bool(packet.is_keyframe))
            k += 1
            at += 1
            if at == p1:
                return
    raise EncodeError(f"{info.path}: the source ended inside the GOP at frame {piece.first}")


def _encode(
    mux: _Mux, info: MediaInfo | None, piece: Piece, x264: _X264, threads: int, cancel: threading.Event
) -> None:
    """Encode the piece's frames with a fresh encoder (so it starts with an IDR) and mux them."""
    ctx = x264.open(threads)
    probed = _probe(x264)
    nals = annexb_nals(bytes(ctx.extradata or b""))
    if tuple(n for n in nals if n[0] & 0x1F in (7, 8)) != (*probed.sps, *probed.pps):
        raise EncodeError("the smart export's encoder changed its parameter sets between pieces")
    canvas = (x264.width, x264.height)
    if info is not None and info.video is not None:
        frames: Iterator[av.VideoFrame] = (
            f for _, f in iter_project_frames(info, piece.first, piece.stop, x264.fps, canvas, cancel, threads=threads)
        )
    else:
        black = _black(*canvas)
        frames = (black for _ in range(piece.frames))
    k = 0

    def put(packets: list[av.Packet[av.video.stream.VideoStream]]) -> None:
        nonlocal k
        for packet in packets:
            payload = to_length_prefixed(annexb_nals(bytes(packet)))
            mux.video_packet(payload, piece.at + int(packet.pts or 0), piece.at + k, bool(packet.is_keyframe))
            k += 1

    try:
        for i, frame in enumerate(frames):
            _check(cancel)
            frame.pts = i
            frame.time_base = ctx.time_base  # ours: the encoder would rescale from the source's
            put(ctx.encode(frame))
        put(ctx.encode(None))
    except av.FFmpegError as exc:
        raise EncodeError(f"the smart export's encoder failed at frame {piece.at} ({exc})") from None
    if k != piece.frames:
        raise EncodeError(f"the smart export encoded {k} frames for a piece of {piece.frames} at frame {piece.at}")
