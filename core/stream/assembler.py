"""The stream assembler: the timeline as ONE appendable fragmented-MP4 stream, with no codec work.

Video comes from cells by remuxing: each cell is demuxed once (its packets are cached in
memory), a segment keeps the packets of the frames it uses, and they are muxed with timeline
timestamps. Because cells are all-intra, any frame range is a valid stream. Each segment becomes
one fragment, muxed by PyAV's own mp4 muxer (``frag_custom``: a fresh muxer per segment writes
exactly one ``moof``/``mdat`` pair); ``core.stream.fmp4`` then patches each fragment's base decode time,
the one field a fresh muxer cannot know, and the fragments are appended behind one init segment.

Audio is different on purpose: one AAC encoder per session encodes the timeline's mix (through
the true-peak limiter) continuously (``core.model.playout.mixed_audio``), and each fragment carries the packets produced up to its end, so
there is no click at segment joins.

A session can start at any segment, carries timeline timestamps (the player shows timeline
time directly), waits at the first segment whose cell is not ready, and stands in the black
cell for offline or failed segments so playback goes on. After an edit, fragments of an
unchanged prefix are reused from the previous session's memory and the audio encoder resumes on
the same packet grid, so an edit over cached material has a playable stream in milliseconds.

A session plays cells of one rung of the quality ladder (one init segment: one SPS/PPS and one
picture size), so an assembler serves one rung. When the resolver raises ``RungChange`` before a
segment, the session ends its stream there and records where and to which rung
(``SessionState.switch_frame``, ``switch_rung``); the front end starts the next session there.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import av

from core.cells.plan import RungChange, Segment
from core.cells.store import CellStore
from core.errors import Cancelled, EncodeError
from core.media.audio import AAC_FRAME, AacTrack, packet_pts, samples_at
from core.model.playout import mixed_audio
from core.model.timeline import Timeline
from core.stream.bytestream import GrowingStream
from core.stream.fmp4 import iter_boxes, set_base_times, timescales, top_level

log = logging.getLogger(__name__)

MOVFLAGS = "frag_custom+empty_moov+default_base_moof"
VIDEO_TRACK, AUDIO_TRACK = 1, 2


@dataclass(frozen=True)
class FragmentInfo:
    """Where a segment's fragment sits in the stream and on the timeline."""

    segment: int
    """Index of the segment in the plan (a segment may span several fragments)."""
    at: int
    end: int
    offset: int
    """Byte offset of the fragment in the stream."""
    size: int


MAX_READS = 6
"""Reads of one segment's cell before the session gives up (each after a re-encode or a
switch to the black cell; the engine fails a cell that goes bad twice, so 6 is ample)."""
QUICK_SECONDS = Fraction(1, 2)
QUICK_FRAMES = 4

REUSE_BYTES = 8 * 1024 * 1024
"""Fragment bytes a session keeps for the next session to reuse after an edit: only a prefix from
the session's start is reusable, so keeping every fragment would hold the whole played stream in
memory for as long as a session plays (the stream itself drops it, see ``GrowingStream``)."""
PACKET_CACHE_BYTES = 32 * 1024 * 1024
"""Bytes of demuxed cell packets kept in memory: a 360p cell of camera footage is ~3 MB, so a
count bound alone (256 cells) let a long preview grow to hundreds of MB."""


@dataclass(frozen=True)
class _Piece:
    """Frames ``[first, last]`` of segment ``segment`` (plan index) as one fragment at ``at``."""

    segment: int
    first: int
    last: int
    at: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


@dataclass
class _Built:
    sig: tuple[object, ...]
    data: bytes
    audio_next: int
    """Absolute sample index of the next audio packet after this fragment."""


class CellPackets:
    """Demuxed packet payloads of cells, LRU-cached in memory (cells are immutable), bounded by
    count and by bytes (the newest cell always stays)."""

    def __init__(self, store: CellStore, capacity: int = 256, capacity_bytes: int = PACKET_CACHE_BYTES) -> None:
        self.store = store
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self._cache: OrderedDict[str, list[bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._template: av.container.InputContainer | None = None
        self._template_data: bytes | None = None
        """Bytes of one cell: every cell of a profile shares its stream parameters, so any one
        serves as the muxer's template; kept so ``template`` can reopen it after ``close``."""

    def packets(self, key: str) -> list[bytes] | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        data = self.store.get(key)
        if data is None:
            return None
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.video[0]
            payloads = [bytes(p) for p in container.demux(stream) if p.size]
        with self._lock:
            if key not in self._cache:
                self._cache[key] = payloads
                self._bytes += sum(map(len, payloads))
            while len(self._cache) > 1 and (len(self._cache) > self.capacity or self._bytes > self.capacity_bytes):
                _, evicted = self._cache.popitem(last=False)
                self._bytes -= sum(map(len, evicted))
            if self._template_data is None:
                self._template_data = data
        return payloads

    def add_video_stream(self, out: av.container.OutputContainer) -> av.video.stream.VideoStream | None:
        """A video stream added to ``out`` with the cells' parameters (None before any cell was read).

        The template container is used under the lock that ``close`` takes too: a page that goes
        away closes its assembler while its session thread may be muxing, and a template closed
        between handing it out and copying it made PyAV raise ``AssertionError: Container is not
        open``. A session still running after ``close`` reopens the template.
        """
        with self._lock:
            if self._template is None and self._template_data is not None:
                self._template = av.open(io.BytesIO(self._template_data), "r")
            if self._template is None:
                return None
            return out.add_stream_from_template(self._template.streams.video[0])

    def close(self) -> None:
        with self._lock:
            if self._template is not None:
                self._template.close()
                self._template = None


@dataclass
class SessionState:
    """Shared with the player: the fragments emitted so far."""

    fragments: list[FragmentInfo] = field(default_factory=list)
    waiting_for: int | None = None
    """Segment index the session waits at (its cell is not ready), or None."""
    done: bool = False
    switch_frame: int | None = None
    """Timeline frame where the stream ended for a change of rung (None: it did not)."""
    switch_rung: int | None = None
    """The rung the next session should play from ``switch_frame`` on."""


class Assembler:
    """Builds sessions for one engine; owns the cell packet cache."""

    def __init__(self, store: CellStore, fps: Fraction) -> None:
        self.fps = fps
        self.packets = CellPackets(store)
        self._vtb = Fraction(fps.denominator, fps.numerator)
        self._init: bytes | None = None
        self._scales: dict[int, int] = {}
        self._lock = threading.Lock()
        self._history: tuple[int, list[_Built]] = (-1, [])

    # -- muxing one fragment -----------------------------------------------------------------------
    def _mux(
        self, payloads: list[bytes], audio: list[av.Packet[av.audio.stream.AudioStream]], audio_codec: AacTrack
    ) -> tuple[bytes, bytes]:
        """(init, fragment) for video ``payloads`` at frame 0.. and ``audio`` packets (rebased)."""
        buf = io.BytesIO()
        with av.open(buf, "w", format="mp4", options={"movflags": MOVFLAGS}) as out:
            vs = self.packets.add_video_stream(out)
            if vs is None:
                raise RuntimeError("no cell has been read yet")
            vs.time_base = self._vtb
            aus = out.add_stream("aac", rate=48000)
            aus.layout = "stereo"
            aus.codec_context.extradata = audio_codec.extradata
            a0 = packet_pts(audio[0]) if audio else 0
            queue: list[tuple[Fraction, av.Packet[av.stream.Stream]]] = []
            for i, payload in enumerate(payloads):
                p = av.Packet(payload)
                p.pts = p.dts = i
                p.duration = 1
                p.time_base = self._vtb
                p.is_keyframe = True
                p.stream = vs
                queue.append((i * self._vtb, p))
            for a in audio:
                q = av.Packet(bytes(a))
                q.pts = q.dts = packet_pts(a) - a0
                q.duration = AAC_FRAME
                q.time_base = Fraction(1, 48000)
                q.stream = aus
                queue.append((Fraction(q.pts, 48000), q))
            queue.sort(key=lambda item: item[0])
            for _, packet in queue:
                out.mux(packet)
        boxes = top_level(buf.getvalue())
        init = b"".join(b for kind, b in boxes if kind in (b"ftyp", b"moov"))
        frag = b"".join(b for kind, b in boxes if kind in (b"moof", b"mdat"))
        return init, frag

    def fragment(
        self, seg_at: int, payloads: list[bytes], audio: list[av.Packet[av.audio.stream.AudioStream]], codec: AacTrack
    ) -> tuple[bytes, bytes]:
        init, frag = self._mux(payloads, audio, codec)
        with self._lock:
            if not self._scales:
                self._scales = timescales(init)
                self._init = init
        vscale = self._scales.get(VIDEO_TRACK, 0)
        times = {VIDEO_TRACK: round(Fraction(seg_at) * self._vtb * vscale)}
        if audio:
            times[AUDIO_TRACK] = round(Fraction(packet_pts(audio[0]), 48000) * self._scales.get(AUDIO_TRACK, 48000))
        moof_end = next(off + size for kind, off, size in iter_boxes(frag) if kind == b"moof")
        return init, set_base_times(frag[:moof_end], times) + frag[moof_end:]

    # -- sessions ----------------------------------------------------------------------------------
    def session(
        self,
        timeline: Timeline,
        segments: list[Segment],
        start: int,
        sink: GrowingStream,
        resolve: Callable[[Segment, threading.Event], str | None],
        rung: int = 0,
        *,
        from_frame: int | None = None,
        until: int | None = None,
    ) -> StreamSession:
        return StreamSession(self, timeline, segments, start, sink, resolve, rung, from_frame=from_frame, until=until)

    def remember(self, start: int, built: list[_Built]) -> None:
        with self._lock:
            self._history = (start, built)

    def reusable(self, start: int, sigs: list[tuple[object, ...]]) -> list[_Built]:
        with self._lock:
            old_start, built = self._history
        if old_start != start:
            return []
        out = []
        for old, sig in zip(built, sigs, strict=False):
            if old.sig != sig:
                break
            out.append(old)
        return out

    @property
    def init_segment(self) -> bytes | None:
        with self._lock:
            return self._init

    def close(self) -> None:
        self.packets.close()


class StreamSession:
    """One stream from segment ``start`` on; ``run`` blocks (call it on a thread), ``cancel`` stops it."""

    def __init__(
        self,
        assembler: Assembler,
        timeline: Timeline,
        segments: list[Segment],
        start: int,
        sink: GrowingStream,
        resolve: Callable[[Segment, threading.Event], str | None],
        rung: int = 0,
        *,
        from_frame: int | None = None,
        until: int | None = None,
    ) -> None:
        """``until`` (a timeline frame) ends the stream before that frame: a loop's session
        ends at the loop's out point, so the player shows its last frame and stops there
        (``core.preview.preview`` wraps it back to the in point). ``from_frame`` (a timeline frame inside segment ``start``) starts the stream exactly
        there instead of at the segment's first frame: cells are all-intra, so any frame can open
        a stream, and a player that loads it shows that frame first. Without it a player would
        show the segment's first frame until its seek to the playhead lands — a wrong frame on
        screen after every edit that restarts the stream."""
        self.assembler = assembler
        self.rung = rung
        """The rung of the quality ladder this session plays (for display; the resolver picks cells)."""
        self.timeline = timeline
        self.segments = segments
        self.start = max(0, min(start, len(segments)))
        self.sink = sink
        self.resolve = resolve
        self.cancel_event = threading.Event()
        self.state = SessionState()
        self.start_frame = segments[self.start].at if self.start < len(segments) else timeline.duration
        if from_frame is not None and self.start < len(segments):
            seg = segments[self.start]
            self.start_frame = max(seg.at, min(int(from_frame), seg.at + seg.last - seg.first))
        self.until = None if until is None or until <= self.start_frame else int(until)
        self.first_fragment_ms: float | None = None
        self.reused = 0
        self._keys: dict[int, str] = {}
        """Segment index → the cell key resolved for it (resolved once, so a rung change can only
        happen at a segment boundary)."""
        self._thread: threading.Thread | None = None

    def start_thread(self) -> StreamSession:
        self._thread = threading.Thread(target=self.run, name="livecut-assemble", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.cancel_event.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """True while the session's thread (``start_thread``) runs."""
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            self._run(t0)
        except Cancelled:
            self.sink.abort()
            return
        except Exception:
            if self.cancel_event.is_set():  # its owner tore things down under it: not a failure
                log.debug("cancelled stream session stopped on an error", exc_info=True)
            else:
                log.exception("stream session failed")
            self.sink.abort()
            return
        if self.cancel_event.is_set():
            self.sink.abort()

    def _pieces(self) -> list[_Piece]:
        """The session's fragments: whole segments, except small ones in the first second.

        Audio encoding is the slow part of a fragment (≈0.4 ms per AAC frame), so a 2 s segment
        costs ~40 ms; starting a session with fragments of ``QUICK_FRAMES`` frames puts the
        first playable bytes out in a few milliseconds, and the rest follow at full size.
        """
        quick_until = self.start_frame + round(self.timeline.fps * QUICK_SECONDS)
        pieces: list[_Piece] = []
        for index in range(self.start, len(self.segments)):
            seg = self.segments[index]
            if self.until is not None and seg.at >= self.until:
                break
            first = seg.first + max(0, self.start_frame - seg.at)  # the first segment may start inside
            end = seg.last if self.until is None else min(seg.last, seg.first + self.until - 1 - seg.at)
            while first <= end:
                at = seg.at + first - seg.first
                size = QUICK_FRAMES if at < quick_until else end - first + 1
                last = min(end, first + size - 1)
                pieces.append(_Piece(index, first, last, at))
                first = last + 1
        return pieces

    def _run(self, t0: float) -> None:
        fps = self.timeline.fps
        pieces = self._pieces()
        sigs: list[tuple[object, ...]] = []
        for piece in pieces:
            seg = self.segments[piece.segment]
            # the sound too: whose audio plays there (an audio-only clip plays the shared black
            # cell) and at what gain, so a gain or mute edit never replays old sound
            clip = self.timeline.clips[seg.clip] if 0 <= seg.clip < len(self.timeline.clips) else None
            sound = (clip.media, clip.in_, clip.audio_gain) if clip is not None else None
            sigs.append((seg.cell.key, seg.cell.media, piece.first, piece.last, piece.at, sound))
        if sigs:  # the last fragment flushes the audio encoder: reuse it only as a last fragment
            sigs[-1] = (*sigs[-1], "end")
        reused = self.assembler.reusable(self.start_frame, sigs)
        built: list[_Built] = []
        audio_start = samples_at(self.start_frame, fps)
        emit_from = audio_start
        if reused:
            for piece, b in zip(pieces, reused, strict=False):
                self._emit(piece, b.data, None)
                built.append(b)
            emit_from = reused[-1].audio_next
            audio_start = max(samples_at(self.start_frame, fps), emit_from - 2 * AAC_FRAME)
            self.reused = len(reused)
            self.first_fragment_ms = (time.perf_counter() - t0) * 1000
        track = AacTrack(audio_start, emit_from)
        source = mixed_audio(self.timeline, audio_start, chunk=AAC_FRAME * 4)
        pending: list[av.Packet[av.audio.stream.AudioStream]] = []
        next_audio = emit_from
        kept = sum(len(b.data) for b in built)
        for i in range(len(built), len(pieces)):
            piece = pieces[i]
            seg = self.segments[piece.segment]
            if self.cancel_event.is_set():
                return
            try:
                payloads = self._payloads(seg, piece.segment)
            except RungChange as change:
                self.state.switch_frame = piece.at
                self.state.switch_rung = change.rung
                log.info("session at rung %d ends at frame %d: rung %d from there", self.rung, piece.at, change.rung)
                self.assembler.remember(self.start_frame, built)
                self.state.done = True
                self.sink.finish()
                return
            if payloads is None:
                return
            frames = payloads[piece.first : piece.last + 1]
            if len(frames) < piece.length:  # a short cell (source ended): hold its last frame
                frames = frames + [frames[-1] if frames else payloads[-1]] * (piece.length - len(frames))
            want = samples_at(piece.at + piece.length, fps)
            while track.fed_until < want:
                try:
                    chunk = next(source)
                except StopIteration:
                    break
                pending.extend(track.feed(chunk))
            last = i == len(pieces) - 1
            if last:
                pending.extend(track.finish())
            take = pending if last else [p for p in pending if packet_pts(p) < want]
            pending = pending[len(take) :]
            init, data = self.assembler.fragment(piece.at, frames, take, track)
            if take:
                next_audio = packet_pts(take[-1]) + AAC_FRAME
            self._emit(piece, data, init)
            if kept < REUSE_BYTES and len(built) == i:  # only a prefix is reusable
                built.append(_Built(sigs[i], data, next_audio))
                kept += len(data)
            if self.first_fragment_ms is None:
                self.first_fragment_ms = (time.perf_counter() - t0) * 1000
        self.assembler.remember(self.start_frame, built)
        self.state.done = True
        self.sink.finish()

    def _payloads(self, seg: Segment, index: int) -> list[bytes] | None:
        """The cell packets to cut ``seg`` from, waiting (and reporting it) until they exist.

        None only when the session is cancelled. A cell evicted, deleted or found corrupt between
        ``resolve`` and the read has left the store's index (and the store has had it re-queued),
        so asking ``resolve`` again waits for its re-encode, or hands over the black cell once it
        failed. The attempts are bounded so a cache that keeps losing cells ends the session
        with an error (the sink is aborted) rather than spinning.
        """
        known = self._keys.get(index)
        if known is not None and (payloads := self.assembler.packets.packets(known)) is not None:
            return payloads
        for _ in range(MAX_READS):
            self.state.waiting_for = index
            try:
                key = self.resolve(seg, self.cancel_event)
            finally:
                self.state.waiting_for = None
            if key is None:
                return None
            payloads = self.assembler.packets.packets(key)
            if payloads is not None:
                self._keys[index] = key
                return payloads
            log.info("segment %d: cell %s could not be read; waiting for it again", index, key)
        raise EncodeError(f"segment {index}: its cell could not be read after {MAX_READS} attempts")

    def _emit(self, piece: _Piece, data: bytes, init: bytes | None) -> None:
        if self.sink.size == 0:
            if init is None:
                init = self.assembler.init_segment  # reused fragments: the init is the assembler's
            if init:
                self.sink.append(init)
        end = piece.at + piece.length
        self.state.fragments.append(FragmentInfo(piece.segment, piece.at, end, self.sink.size, len(data)))
        self.sink.append(data)
