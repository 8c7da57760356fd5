"""Export: the film as one normal MP4 (H.264 + AAC, faststart), parallel and incremental.

Why it is shaped like this:

* **Segments, then a remux.** The timeline is cut into export segments (``core.export.segments``:
  clip ends, and a source grid of ~10 s inside long clips), each a closed-GOP H.264 stream
  starting with an IDR frame. Missing segments are encoded by the preview's ``Scheduler`` (N
  workers, one encoder thread each, or more when fewer segments than cores are missing, as after
  a trim; neighbouring segments of one source share a decode pass)
  into their own ``CellStore`` under ``<cache>/export``, so the preview's LRU never evicts an
  export and vice versa. The file is then joined by stream copy: every segment's packets are
  restamped to timeline time and muxed into one track, with no codec work. Exporting again after
  trimming one clip re-encodes only that clip's changed segments, because keys hash content
  (media fingerprint, source range, profile), never timeline position.
* **Decode timestamps are rebuilt, not copied.** x264 gives a 1- or 2-frame segment no reorder
  delay while longer ones have two frames of it; copied dts would run backwards at such a join.
  Every packet's dts is its segment's sorted presentation order shifted by the profile's one
  reorder delay (``exportseg.probe``), so dts rise strictly across the whole film.
* **One audio track for the whole film.** ``core.media.audio`` decodes the timeline's audio and one AAC
  encoder encodes it continuously, on its own thread while the segments encode (per-segment
  audio would click at every join and restart the encoder's priming). The mix goes through the
  same true-peak limiter as the preview's (``core.model.playout.mixed_audio``), after one normalising gain when a
  loudness target is asked (``ExportOptions.loudness``: the film is measured first, BS.1770);
  the result says by how much the limiter turned the sound down at most.
* **Nothing half-written.** The MP4 is muxed into a hidden temp file beside the output (the
  faststart pass needs a seekable file), fsynced and renamed over the output at the end; any
  error or cancellation removes the temp file. An existing output needs ``force``.
* **A segment that went bad in the cache is encoded again, not fatal.** ``has`` trusts the
  store's index, so a segment file truncated, corrupted or deleted since is found only when the
  join reads it (its checksum fails): it is re-encoded on the spot with the same profile and the
  join goes on; only a segment whose re-encode is bad too fails the export.
* **Offline media fail the export** with a message naming the files, because a final render
  with black holes is rarely what anyone wants; ``allow_offline`` renders them black.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from core.atomic import file_mode
from core.cells.encoders import SOFTWARE, detect_encoders
from core.cells.limits import cache_limits
from core.cells.plan import CellRef
from core.cells.store import CellStore, default_cache_dir
from core.engine.executor import Task
from core.engine.scheduler import Run, Scheduler
from core.errors import Cancelled, EncodeError, LivecutError
from core.export.leftovers import part_prefix
from core.export.segments import (
    SEGMENT_SECONDS,
    EncoderProbe,
    ExportProfile,
    ExportSegment,
    SegmentPackets,
    encode_segment,
    encode_segments,
    plan_segments,
    probe,
    read_segment,
)
from core.export.smartplan import SmartSummary
from core.media.audio import AAC_FRAME, RATE, AacTrack, mix_limiter, packet_pts, samples_at
from core.media.damage import Concealed
from core.media.info import MediaInfo
from core.media.limiter import CEILING_DBTP
from core.media.loudness import normalising_gain_db
from core.model.playout import concealed_in, mixed_audio, timeline_loudness
from core.model.project import Project

if TYPE_CHECKING:
    from core.engine.dask_executor import DaskExecutor

log = logging.getLogger(__name__)

_POLL_S = 0.1

__all__ = [
    "ExportOptions",
    "ExportProgress",
    "ExportResult",
    "OutputExistsError",
    "export",
    "export_size",
    "export_store",
]


class OutputExistsError(LivecutError):
    """The output file exists and overwriting was not allowed."""


@dataclass(frozen=True)
class ExportOptions:
    """What ``livecut export`` lets the user choose."""

    height: int | None = None
    """Output height (width follows the project's aspect); None: the project's size."""
    crf: int = 20
    """x264 CRF quality (lower is better and bigger)."""
    preset: str = "veryfast"
    """x264 speed preset."""
    encoder: str | None = None
    """Force an H.264 encoder by name; None: detect (hardware first, else libx264)."""
    workers: int | None = None
    """Segments encoded at once; None: one per CPU."""
    force: bool = False
    """Overwrite an existing output file."""
    allow_offline: bool = False
    """Render offline media as black instead of failing."""
    segment_frames: int | None = None
    """Longest segment inside a clip; None: ``SEGMENT_SECONDS`` worth."""
    gop_frames: int | None = None
    """Keyframe interval; None: 2 s worth."""
    cluster: str | None = None
    """A Dask scheduler address (``tcp://HOST:8786``): missing segments are encoded there
    (``core.engine.dask_executor``); None: on this machine."""
    loudness: float | None = None
    """Integrated loudness target in LUFS (−14 streaming, −23 broadcast): the mix is measured
    and turned up or down by one gain before the limiter; None: clip gains as they are."""
    smart: bool = False
    """Copy the sources' whole GOPs and encode only the frames at the cuts (``core.export.smart``)."""


@dataclass(frozen=True)
class ExportProgress:
    """Where an export is: ``done`` of ``total`` frames of the current stage."""

    stage: str
    """``encode`` (encoding missing segments) or ``join`` (muxing the file)."""
    done: int
    total: int
    segments_encoding: int = 0
    """Segments this export encodes."""
    segments_reused: int = 0
    """Segments found in the cache."""


@dataclass(frozen=True)
class ExportResult:
    """What an export did (``livecut export --json`` prints these)."""

    output: Path
    frames: int
    """Video frames in the file (the timeline's length)."""
    duration_s: float
    segments: int
    """Distinct segments the film is made of."""
    segments_encoded: int
    segments_reused: int
    """Segments found in the export cache."""
    seconds: float
    """Wall-clock time of the whole export."""
    encoder: str
    width: int
    height: int
    bytes: int
    concealed: tuple[Concealed, ...] = ()
    """Timeline frames showing a held picture because their source frame is damaged."""
    fps: Fraction = Fraction(30)
    """The project rate (for the warning texts)."""
    segments_sent: int = 0
    """Segments sent to a cluster (``ExportOptions.cluster``); 0 when encoded here."""
    limited_db: float = 0.0
    """The largest gain reduction of the true-peak limiter (dB; 0: it never had to act)."""
    loudness_gain_db: float | None = None
    """The normalising gain applied for ``ExportOptions.loudness`` (None: not asked)."""
    loudness_measured: float | None = None
    """The mix's integrated loudness before that gain (LUFS; None: not asked or silent)."""

    smart: SmartSummary | None = None
    """What ``ExportOptions.smart`` copied, and why not more; None for an ordinary export."""

    @property
    def sound(self) -> str:
        """What was done to the sound, for the summary: the loudness gain and the limiting."""
        parts = []
        if self.loudness_gain_db is not None:
            measured = "silent" if self.loudness_measured is None else f"{self.loudness_measured:.1f} LUFS"
            parts.append(f"loudness {measured}, {self.loudness_gain_db:+.1f} dB")
        limited = f"limited by up to {self.limited_db:.1f} dB" if self.limited_db >= 0.05 else "not limited"
        parts.append(f"sound {limited} (ceiling {CEILING_DBTP:.0f} dBTP)")
        return "; ".join(parts)

    @property
    def warnings(self) -> list[str]:
        """One line per concealed run of frames: the export succeeded, but not flawlessly."""
        return [c.message(self.fps) for c in self.concealed]

    def to_dict(self) -> dict[str, object]:
        return {
            "output": str(self.output),
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "segments": self.segments,
            "segments_encoded": self.segments_encoded,
            "segments_reused": self.segments_reused,
            "seconds": round(self.seconds, 3),
            "encoder": self.encoder,
            "width": self.width,
            "height": self.height,
            "bytes": self.bytes,
            "segments_sent": self.segments_sent,
            "limited_db": round(self.limited_db, 2),
            "loudness_gain_db": None if self.loudness_gain_db is None else round(self.loudness_gain_db, 2),
            "loudness_measured": None if self.loudness_measured is None else round(self.loudness_measured, 2),
            "warnings": self.warnings,
            "concealed": [c.to_dict(self.fps) for c in self.concealed],
        } | ({"smart": self.smart.to_dict()} if self.smart is not None else {})


ProgressFn = Callable[[ExportProgress], None]


def export_size(project: Project, height: int | None = None) -> tuple[int, int]:
    """The project's size, or ``height`` (rounded to even) with the width following the aspect."""
    if height is None:
        return project.width + project.width % 2, project.height + project.height % 2
    if height < 2:
        raise ValueError(f"export height {height} is too small")
    h = 2 * round(height / 2)
    w = 2 * round(Fraction(project.width * h, project.height) / 2)
    return max(2, w), h


def export_store() -> CellStore:
    """The export segment cache: apart from the preview cells, so neither evicts the other."""
    return CellStore(default_cache_dir() / "export", limit_bytes=cache_limits().export)


def export(
    project: Project,
    output: str | os.PathLike[str],
    options: ExportOptions | None = None,
    *,
    cancel: threading.Event | None = None,
    on_progress: ProgressFn | None = None,
    store: CellStore | None = None,
) -> ExportResult:
    """Render ``project`` to ``output``; blocks. See the module docstring.

    Raises ``core.errors.Cancelled`` once ``cancel`` is set (within about a frame's encode),
    ``OutputExistsError`` when ``output`` exists without ``options.force``, ``EncodeError`` /
    ``MediaError`` naming the file when a source, the encoder or the output fails, and
    ``LivecutError`` for an empty timeline or offline media. Nothing is left at ``output`` or
    beside it unless the export succeeds.
    """
    opts = options or ExportOptions()
    if opts.smart:
        from core.export.smart import smart_export

        return smart_export(project, output, opts, cancel=cancel, on_progress=on_progress, store=store)
    t0 = time.perf_counter()
    cancel = cancel or threading.Event()
    report = on_progress or (lambda _p: None)
    target = _check_output(Path(output), opts.force)
    store = store if store is not None else export_store()
    plan = _plan(project, opts, store)
    link = _ClusterLink(opts.cluster)
    if plan.missing and link.address:
        link.client()  # an unreachable cluster fails the export before anything starts

    def tagged(progress: ExportProgress) -> None:
        report(replace(progress, segments_encoding=len(plan.missing), segments_reused=plan.reused))

    store.pin(s.key for s in plan.segments)
    audio = _FilmAudio(project, opts.loudness)
    infos = _infos(project)
    repaired: set[str] = set()

    def repair(seg: ExportSegment) -> None:
        """Encode ``seg`` again now: its cached bytes went bad since the plan counted it."""
        log.warning("export segment at frame %d (%s) went bad in the cache: encoding it again", seg.at, seg.key)
        repaired.add(seg.key)
        sent.extend(_encode_missing(store, [seg], infos, plan.profile, opts, link, cancel, tagged))

    sent: list[str] = []
    try:
        sent.extend(_encode_missing(store, plan.missing, infos, plan.profile, opts, link, cancel, tagged))
        _check_cancel(cancel)
        with _staged(target, opts.force) as temp:
            _join(temp, target, store, plan.segments, project, plan.probed, audio, cancel, tagged, repair)
    finally:
        audio.close()
        store.pin(())
        link.close()
    frames = project.timeline.duration
    encoded = len({s.key for s in plan.missing} | repaired)
    result = ExportResult(
        target,
        frames,
        float(frames / project.fps),
        plan.distinct,
        encoded,
        plan.distinct - encoded,
        time.perf_counter() - t0,
        plan.profile.encoder,
        plan.profile.width,
        plan.profile.height,
        target.stat().st_size,
        tuple(concealed_in(project.timeline)),
        project.fps,
        len(sent),
        audio.limiter.max_reduction_db,
        audio.gain_db if opts.loudness is not None else None,
        audio.measured if opts.loudness is not None and math.isfinite(audio.measured) else None,
    )
    for warning in result.warnings:
        log.warning("export: %s", warning)
    log.info(
        "exported %s: %d frames, %d segments encoded, %d reused, %.2f s",
        target,
        frames,
        result.segments_encoded,
        result.segments_reused,
        result.seconds,
    )
    return result


@dataclass(frozen=True)
class _Plan:
    """What an export will do before it does anything."""

    profile: ExportProfile
    probed: EncoderProbe
    segments: list[ExportSegment]
    """The film's segments in timeline order."""
    missing: list[ExportSegment]
    """Distinct segments not in the store, in first-use order."""
    distinct: int

    @property
    def reused(self) -> int:
        return self.distinct - len(self.missing)


def _plan(project: Project, opts: ExportOptions, store: CellStore) -> _Plan:
    if not project.timeline.clips:
        raise LivecutError(f"{project.path or project.name}: the timeline is empty, nothing to export")
    _check_offline(project, opts.allow_offline)
    width, height = export_size(project, opts.height)
    encoder = detect_encoders(opts.encoder).name
    profile = ExportProfile(width, height, project.fps, encoder, opts.crf, opts.preset, opts.gop_frames or 0)
    probed = probe(profile)
    step = opts.segment_frames or max(1, round(SEGMENT_SECONDS * project.fps))
    segments = plan_segments(project.timeline, probed.signature, step)
    distinct = list({s.key: s for s in segments}.values())
    missing = [s for s in distinct if not store.has(s.key)]
    return _Plan(profile, probed, segments, missing, len(distinct))


# -- checks ---------------------------------------------------------------------------------------
def _check_output(output: Path, force: bool) -> Path:
    if output.is_dir():
        raise OutputExistsError(f"{output} is a folder, not a file name")
    if output.exists() and not output.is_file():  # the film is renamed over it: never over a device
        raise LivecutError(f"{output} is not a regular file (a device, pipe or socket?): give a file name")
    if output.exists() and not force:
        raise OutputExistsError(f"{output} already exists (use --force to overwrite)")
    if not output.parent.is_dir():
        raise LivecutError(f"{output.parent}: the output folder does not exist")
    return output


def _check_offline(project: Project, allow: bool) -> None:
    used = {c.media for c in project.timeline.clips}
    offline = [m for m in project.timeline.media if m.id in used and not m.online]
    if offline and not allow:
        names = "; ".join(f"{m.resolved} ({m.error or 'offline'})" for m in offline)
        raise LivecutError(
            f"cannot export with offline media: {names} (relink the files, or use --allow-offline to render them black)"
        )
    for m in offline:
        log.warning("exporting offline media %s as black", m.resolved)


def _check_cancel(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise Cancelled


def _infos(project: Project) -> dict[str, MediaInfo]:
    return {m.id: m.info for m in project.timeline.media if m.info is not None}


# -- encoding missing segments ---------------------------------------------------------------------
def _encode_missing(
    store: CellStore,
    missing: Sequence[ExportSegment],
    infos: dict[str, MediaInfo],
    profile: ExportProfile,
    opts: ExportOptions,
    link: _ClusterLink,
    cancel: threading.Event,
    report: ProgressFn,
) -> list[str]:
    """Encode ``missing`` into ``store`` with the scheduler; raise on the first failure.

    Returns the keys sent to a cluster (none when encoding here)."""
    total = sum(s.frames for s in missing)
    report(ExportProgress("encode", 0, total))
    if not missing:
        return []
    by_key = {s.key: s for s in missing}
    refs = [CellRef(s.key, s.media, i, s.frames) for i, s in enumerate(missing)]

    def encode(
        run: Run, job_cancel: threading.Event, progress: Callable[[int, int], None]
    ) -> Iterator[tuple[int, bytes]]:
        segs = [by_key[c.key] for c in run.cells]
        for i, data in encode_segments(segs, infos, profile, threads=threads, cancel=job_cancel, on_progress=progress):
            yield run.cells[i].index, data

    def task(cell: CellRef) -> Task:
        seg = by_key[cell.key]
        call = functools.partial(encode_segment, seg, infos.get(seg.media), profile)
        return Task(call, hardware=profile.encoder != SOFTWARE)

    cpus = os.cpu_count() or 1
    count = max(1, min(opts.workers or cpus, len(missing)))
    threads = max(1, cpus // count)  # a lone changed segment may use every core
    executor: DaskExecutor | None = None
    if link.address:
        from core.engine.dask_executor import DaskExecutor

        executor = DaskExecutor(link.client(), task, slots=opts.workers)
    scheduler = Scheduler(store, executor or encode, workers=count, progress_interval=_POLL_S)
    try:
        scheduler.update(refs)
        while True:
            idle = scheduler.wait_idle(_POLL_S)
            _check_cancel(cancel)
            failures = scheduler.failures()
            if failures:  # the film cannot be made: stop the other jobs now
                raise EncodeError(next(iter(failures.values())))
            if idle:
                break
            report(ExportProgress("encode", _frames_done(store, scheduler, missing), total))
        report(ExportProgress("encode", total, total))
    finally:
        scheduler.close()
        if executor is not None:
            executor.close()
    return list(executor.submitted) if executor is not None else []


class _ClusterLink:
    """The export's connection to its Dask cluster (``ExportOptions.cluster``), made once when
    first needed and closed at the end; nothing when no cluster is named."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self._client: Any = None

    def client(self) -> Any:
        """A connected ``distributed.Client``; ``ClusterError`` when the scheduler cannot be reached."""
        if self._client is None:
            assert self.address is not None
            from core.engine.dask_executor import connect

            self._client = connect(self.address)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _frames_done(store: CellStore, scheduler: Scheduler, segments: Sequence[ExportSegment]) -> int:
    done = 0
    for s in segments:
        done += s.frames if store.has(s.key) else int(scheduler.progress(s.key) * s.frames)
    return done


# -- the output file ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _staged(output: Path, force: bool) -> Iterator[Path]:
    """A hidden temp file beside ``output``, renamed over it when the block succeeds, else removed.

    It gets the mode of an ordinary write (``mkstemp`` makes 0600): 0666 less the umask, or the
    mode of the file it replaces, as project saves and interchange files do.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=part_prefix(output), suffix=".part", dir=output.parent)
    except OSError as exc:
        raise LivecutError(f"{output.parent}: cannot write the export here ({exc.strerror or exc})") from None
    with contextlib.suppress(OSError):
        os.fchmod(fd, file_mode(output))
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        try:
            with temp.open("rb+") as fh:
                os.fsync(fh.fileno())
            if output.exists() and not force:
                raise OutputExistsError(f"{output} appeared during the export (use --force to overwrite)")
            os.replace(temp, output)
        except OSError as exc:  # a full disk at the flush: named by the output, not the part file
            raise EncodeError(f"{output}: the export cannot be written ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


class _FilmAudio:
    """The film's AAC packets, encoded on their own thread while the video segments encode.

    AAC encoding runs at only ~60x real time, so doing it during the join would put a minute of
    serial work at the end of an hour-long export; overlapped, it usually costs nothing.
    """

    def __init__(self, project: Project, loudness: float | None = None) -> None:
        self._halt = threading.Event()
        self._loudness = loudness
        self.limiter = mix_limiter()
        self.measured = -math.inf
        """The mix's integrated loudness (LUFS), measured when a target is asked."""
        self.gain_db = 0.0
        """The normalising gain for that target."""
        self._track = AacTrack(0)
        self.extradata = self._track.extradata
        self.packets: list[tuple[int, bytes]] = []
        """(pts in samples, payload), contiguous from 0; complete once ``wait`` returns."""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(project,), name="livecut-export-audio", daemon=True)
        self._thread.start()

    def _run(self, project: Project) -> None:
        try:
            if self._loudness is not None:
                self.measured = timeline_loudness(project.timeline)
                self.gain_db = normalising_gain_db(self.measured, self._loudness)
                log.info(
                    "export: the mix measures %.1f LUFS: %+.1f dB for %.1f", self.measured, self.gain_db, self._loudness
                )
            mix = mixed_audio(project.timeline, 0, AAC_FRAME * 8, gain_db=self.gain_db, limiter=self.limiter)
            for chunk in mix:
                if self._halt.is_set():
                    return
                self.packets.extend((packet_pts(p), bytes(p)) for p in self._track.feed(chunk))
            self.packets.extend((packet_pts(p), bytes(p)) for p in self._track.finish())
        except av.FFmpegError as exc:
            self._error = EncodeError(f"{project.path or project.name}: the audio cannot be encoded ({_reason(exc)})")
        except Exception as exc:  # handed to the export's thread, which raises it
            self._error = exc

    def wait(self, cancel: threading.Event) -> list[tuple[int, bytes]]:
        while self._thread.is_alive():
            _check_cancel(cancel)
            self._thread.join(_POLL_S)
        _check_cancel(cancel)
        if self._error is not None:
            raise self._error
        return self.packets

    def close(self) -> None:
        """Stop (when still running) and join the thread."""
        self._halt.set()
        self._thread.join()


class _Joiner:
    """Muxes segments' packets and the film's audio packets into one open MP4."""

    def __init__(
        self,
        container: av.container.OutputContainer,
        template: av.video.stream.VideoStream,
        project: Project,
        probed: EncoderProbe,
        audio: list[tuple[int, bytes]],
        extradata: bytes,
    ) -> None:
        self.container = container
        self.fps = project.fps
        self.tb = Fraction(self.fps.denominator, self.fps.numerator)
        self.probed = probed
        self.video = container.add_stream_from_template(template)
        self.video.time_base = self.tb
        self.audio = container.add_stream("aac", rate=RATE)
        self.audio.layout = "stereo"
        self.audio.codec_context.extradata = extradata
        self.audio_packets = audio
        self.next_audio = 0

    def add_video(self, seg: ExportSegment, packets: SegmentPackets) -> None:
        if packets.delay > self.probed.delay:
            raise EncodeError(
                f"export segment at frame {seg.at} reorders {packets.delay} frames, "
                f"more than the encoder's {self.probed.delay}: it cannot be joined"
            )
        order = sorted(packets.pts)
        for shown, pts, payload, key in zip(order, packets.pts, packets.payloads, packets.keyframes, strict=True):
            packet = av.Packet(payload)
            packet.pts = seg.at + pts
            packet.dts = seg.at + shown - self.probed.delay
            packet.duration = 1
            packet.time_base = self.tb  # ours, not the stream's: the muxer rescales from it
            packet.is_keyframe = key
            packet.stream = self.video
            self.container.mux(packet)

    def add_audio(self, until_frame: int | None) -> None:
        """Mux the audio packets that start before ``until_frame`` (None: all the rest)."""
        self.next_audio = mux_audio(
            self.container, self.audio, self.audio_packets, self.next_audio, until_frame, self.fps
        )


def mux_audio(
    container: av.container.OutputContainer,
    stream: av.audio.stream.AudioStream,
    packets: list[tuple[int, bytes]],
    start: int,
    until_frame: int | None,
    fps: Fraction,
) -> int:
    """Mux ``packets[start:]`` (the film's AAC packets: pts in samples, payload) that start before
    timeline frame ``until_frame`` (None: all the rest), interleaved by the caller with the video;
    returns the index of the first packet not muxed. The ordinary and the smart export share it."""
    limit = None if until_frame is None else samples_at(until_frame, fps)
    while start < len(packets) and (limit is None or packets[start][0] < limit):
        pts, payload = packets[start]
        start += 1
        packet = av.Packet(payload)
        packet.pts = packet.dts = pts
        packet.duration = AAC_FRAME
        packet.time_base = Fraction(1, RATE)
        packet.stream = stream
        container.mux(packet)
    return start


def _segment(store: CellStore, seg: ExportSegment, probed: EncoderProbe, fps: Fraction) -> SegmentPackets | None:
    """The segment's packets; None when its entry is gone, bad, or does not fit the profile."""
    data = store.get(seg.key)  # a bad entry leaves the store here
    if data is None:
        return None
    packets = read_segment(data, fps)
    if len(packets.pts) != seg.frames or packets.extradata != probed.extradata or not packets.keyframes[0]:
        log.warning("export segment at frame %d (%s) does not match the export profile", seg.at, seg.key)
        store.discard(seg.key)
        return None
    return packets


def _segment_or_repair(
    store: CellStore,
    seg: ExportSegment,
    probed: EncoderProbe,
    fps: Fraction,
    repair: Callable[[ExportSegment], None],
) -> SegmentPackets:
    """The segment's packets, encoding it again once when the cached one is unusable."""
    packets = _segment(store, seg, probed, fps)
    if packets is None:
        repair(seg)
        packets = _segment(store, seg, probed, fps)
    if packets is None:
        raise EncodeError(
            f"export segment at frame {seg.at} is unusable even after encoding it again "
            f"(the cache {store.root} does not keep it whole; check the disk)"
        )
    return packets


def _join(
    temp: Path,
    output: Path,
    store: CellStore,
    segments: Sequence[ExportSegment],
    project: Project,
    probed: EncoderProbe,
    audio: _FilmAudio,
    cancel: threading.Event,
    report: ProgressFn,
    repair: Callable[[ExportSegment], None],
) -> None:
    total = project.timeline.duration
    report(ExportProgress("join", 0, total))
    sound = audio.wait(cancel)
    _segment_or_repair(store, segments[0], probed, project.fps, repair)  # whole before it is the template
    first = store.get(segments[0].key)
    if first is None:
        raise EncodeError(f"export segment at frame 0 vanished from the cache {store.root}; export again")
    try:
        with (
            av.open(io.BytesIO(first)) as template,
            av.open(str(temp), "w", format="mp4", options={"movflags": "+faststart"}) as container,
        ):
            joiner = _Joiner(container, template.streams.video[0], project, probed, sound, audio.extradata)
            for seg in segments:
                _check_cancel(cancel)
                joiner.add_video(seg, _segment_or_repair(store, seg, probed, project.fps, repair))
                joiner.add_audio(seg.end)
                report(ExportProgress("join", seg.end, total))
            joiner.add_audio(None)
    except av.FFmpegError as exc:  # named by the output: the hidden part file is not the user's
        raise EncodeError(f"{output}: the export cannot be written ({_reason(exc)})") from None
    except OSError as exc:
        raise EncodeError(f"{output}: the export cannot be written ({exc.strerror or exc})") from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.split(":")[0].strip()
