"""Smart export, the plan: which source GOPs a clip can copy, and which frames must be encoded.

Why it is shaped like this:

* **A source is indexed by its packets, never decoded.** One demux pass reads each video
  packet's presentation stamp, size, key flag and NAL unit types; the decoder is never opened.
  A frame's index is its stamp on the source's exact frame grid, so a source that is not on one
  grid (VFR, an edit list hiding frames, damaged packets) is found here and is not copied.
* **Only closed GOPs that start at an IDR are units of copy.** A *unit* is the packets from one
  IDR to the next, in decode order, and it is usable only when the frames it shows are exactly
  the contiguous run from that IDR to the next one: then no packet in it references a frame
  outside it (a closed GOP), and its frames can follow any other IDR-started piece. An open GOP
  (x264 ``open-gop``, most broadcast encoders) starts at a non-IDR I frame whose leading
  B-frames show before it and reference the previous GOP: it is never a unit start, so its
  frames are re-encoded with the pieces around them.
* **A clip copies the units wholly inside it** and re-encodes the rest (head from the in-point
  to the first copied IDR, tail from the end of the last copied unit to the out-point, and any
  unusable stretch between). The plan is pure data, so the muxer (``core.export.smart``) only
  follows it and a test can read what it will do.
* **Whether a clip may copy at all** is decided per clip with one sentence of why not: codec,
  size, rate, pixel format, colour, rotation, interlace, pixel aspect, container, and the
  parameter sets. One MP4 track has one sample description, so every copied source must carry
  the same SPS/PPS as the first copied one; the re-encoded pieces get their own SPS/PPS ids
  (``x264 sps-id``), carried both in that description and in-band at each of their IDRs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import av

from core.errors import MediaError
from core.media.colour import resolve
from core.media.info import MediaInfo
from core.model.timeline import Timeline

log = logging.getLogger(__name__)

__all__ = [
    "AvcConfig",
    "ClipPlan",
    "GopUnit",
    "Piece",
    "SmartSummary",
    "SourceIndex",
    "index_source",
    "plan_clip",
    "plan_timeline",
    "source_problem",
]

_NAL_IDR = 5
_NAL_SPS = 7
_NAL_PPS = 8
PROFILES = {66: "baseline", 77: "main", 100: "high"}
"""H.264 ``profile_idc`` values whose 8-bit 4:2:0 streams libx264 can match."""


# -- H.264 bitstream bits ------------------------------------------------------------------------
def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _first_ue(data: bytes, bit: int) -> int:
    """The unsigned Exp-Golomb number starting at ``bit`` of ``data``."""

    def at(i: int) -> int:
        return (data[i // 8] >> (7 - i % 8)) & 1

    zeros = 0
    while at(bit + zeros) == 0:
        zeros += 1
        if zeros > 31:
            raise ValueError("bad Exp-Golomb code")
    value = 0
    for i in range(zeros + 1):
        value = value << 1 | at(bit + zeros + i)
    return value - 1


def parameter_set_id(nal: bytes) -> int:
    """``seq_parameter_set_id`` of an SPS, or ``pic_parameter_set_id`` of a PPS NAL unit."""
    body = _unescape(nal)
    kind = body[0] & 0x1F
    if kind == _NAL_SPS:
        return _first_ue(body, 4 * 8)  # after the header, profile_idc, constraint flags, level_idc
    if kind == _NAL_PPS:
        return _first_ue(body, 8)
    raise ValueError(f"NAL unit type {kind} is not a parameter set")


def length_prefixed_nals(payload: bytes, size: int = 4) -> Iterator[bytes]:
    """The NAL units of an MP4 (``avcC``-style) sample."""
    pos = 0
    while pos + size <= len(payload):
        n = int.from_bytes(payload[pos : pos + size], "big")
        pos += size
        yield payload[pos : pos + n]
        pos += n


def annexb_nals(data: bytes) -> list[bytes]:
    """The NAL units of an Annex-B byte stream (start codes of 3 or 4 bytes)."""
    out: list[bytes] = []
    starts: list[int] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    for k, start in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        out.append(data[start:end].rstrip(b"\x00") if k + 1 < len(starts) else data[start:end])
    return [n for n in out if n]


def to_length_prefixed(nals: Sequence[bytes]) -> bytes:
    return b"".join(len(n).to_bytes(4, "big") + n for n in nals)


@dataclass(frozen=True)
class AvcConfig:
    """An ``avcC`` box body: the profile bytes and the SPS/PPS NAL units."""

    profile: int
    compatibility: int
    level: int
    length_size: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    tail: bytes = b""
    """The High-profile extension fields after the PPS list, kept as they were."""

    @classmethod
    def parse(cls, data: bytes) -> AvcConfig:
        if len(data) < 7 or data[0] != 1:
            raise ValueError("not an avcC record (Annex-B headers or none)")
        pos = 6
        sps: list[bytes] = []
        for _ in range(data[5] & 0x1F):
            n = int.from_bytes(data[pos : pos + 2], "big")
            sps.append(data[pos + 2 : pos + 2 + n])
            pos += 2 + n
        pps: list[bytes] = []
        count = data[pos]
        pos += 1
        for _ in range(count):
            n = int.from_bytes(data[pos : pos + 2], "big")
            pps.append(data[pos + 2 : pos + 2 + n])
            pos += 2 + n
        if not sps or not pps or pos > len(data):
            raise ValueError("avcC record without SPS or PPS")
        return cls(data[1], data[2], data[3], (data[4] & 3) + 1, tuple(sps), tuple(pps), data[pos:])

    def merged(self, sps: Sequence[bytes], pps: Sequence[bytes]) -> bytes:
        """This record with more parameter sets appended (other ids), as ``avcC`` bytes."""
        all_sps, all_pps = (*self.sps, *sps), (*self.pps, *pps)
        out = bytearray([1, self.profile, self.compatibility, self.level, 0xFC | (self.length_size - 1)])
        out.append(0xE0 | len(all_sps))
        for nal in all_sps:
            out += len(nal).to_bytes(2, "big") + nal
        out.append(len(all_pps))
        for nal in all_pps:
            out += len(nal).to_bytes(2, "big") + nal
        return bytes(out + self.tail)

    @property
    def ids(self) -> set[int]:
        return {parameter_set_id(n) for n in (*self.sps, *self.pps)}


# -- the source index ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GopUnit:
    """A closed GOP starting at an IDR: source frames ``[first, stop)``, packets ``[p0, p1)``."""

    first: int
    stop: int
    p0: int
    p1: int
    delay: int
    """Reorder delay in frames (how far decode order runs ahead of presentation)."""
    bytes: int


@dataclass(frozen=True)
class SourceIndex:
    """One source's video packets in decode order and the GOP units it can copy."""

    extradata: bytes
    time_base: Fraction
    pts: tuple[int, ...] = field(repr=False)
    """Each packet's stamp in ``time_base`` units (decode order)."""
    frames: tuple[int, ...] = field(repr=False)
    """Each packet's frame index on the source's grid (decode order)."""
    units: tuple[GopUnit, ...] = ()
    problem: str = ""
    """Why nothing in this source can be copied ("" when units can be)."""
    open_gop: bool = False
    """Some keyframes are I frames of open GOPs (not IDR): never a place to start a copy."""


def index_source(info: MediaInfo, fps: Fraction) -> SourceIndex:
    """Demux ``info``'s video packets (no decode) and find its copyable GOP units."""
    try:
        with av.open(str(info.path)) as container:
            stream = container.streams.video[0]
            extradata = bytes(stream.codec_context.extradata or b"")
            tb = Fraction(stream.time_base or Fraction(1, 90000))
            stamps: list[int] = []
            keys: list[bool] = []
            idrs: list[bool] = []
            sizes: list[int] = []
            bad = ""
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream flush
                if packet.pts is None:
                    bad = bad or "a video packet has no timestamp"
                    continue
                if packet.is_discard:
                    bad = bad or "its edit list hides frames at the start"
                if packet.is_corrupt:
                    bad = bad or "it has damaged packets"
                payload = bytes(packet)
                stamps.append(packet.pts)
                keys.append(bool(packet.is_keyframe))
                idrs.append(any(n and n[0] & 0x1F == _NAL_IDR for n in length_prefixed_nals(payload)))
                sizes.append(len(payload))
    except av.FFmpegError as exc:
        raise MediaError(info.path, f"cannot be read for a smart export ({exc})") from None
    if bad:
        return SourceIndex(extradata, tb, (), (), (), bad)
    frames, problem = _grid(stamps, tb, fps)
    if problem:
        return SourceIndex(extradata, tb, tuple(stamps), (), (), problem)
    units = tuple(_units(frames, idrs, sizes))
    problem = "" if units else "it has no closed GOP"
    open_gop = any(key and not idr for key, idr in zip(keys, idrs, strict=True))
    return SourceIndex(extradata, tb, tuple(stamps), tuple(frames), units, problem, open_gop)


def _grid(stamps: Sequence[int], tb: Fraction, fps: Fraction) -> tuple[list[int], str]:
    """Each stamp's frame index on the ``fps`` grid from the first frame; or why there is none."""
    if not stamps:
        return [], "it has no video packets"
    origin = min(stamps)
    frames: list[int] = []
    for stamp in stamps:
        exact = (stamp - origin) * tb * fps
        index = round(exact)
        if abs(exact - index) > Fraction(1, 8):
            return [], f"its frames are not on one {float(fps):.3f} fps grid (variable frame rate)"
        frames.append(index)
    if sorted(frames) != list(range(len(frames))):
        return [], "its frames are not on one grid (dropped or repeated frames)"
    return frames, ""


def _units(frames: Sequence[int], idrs: Sequence[bool], sizes: Sequence[int]) -> Iterator[GopUnit]:
    starts = [i for i, idr in enumerate(idrs) if idr]
    for k, p0 in enumerate(starts):
        p1 = starts[k + 1] if k + 1 < len(starts) else len(frames)
        shown = frames[p0:p1]
        first = frames[p0]
        if sorted(shown) != list(range(first, first + len(shown))):
            continue  # leading pictures shown before the IDR, or frames of this GOP outside it
        delay = max(k2 - (f - first) for k2, f in enumerate(shown))
        yield GopUnit(first, first + len(shown), p0, p1, delay, sum(sizes[p0:p1]))


# -- per clip ---------------------------------------------------------------------------------------
def source_problem(info: MediaInfo | None, fps: Fraction, size: tuple[int, int]) -> str:
    """Why clips of ``info`` cannot be copied into an export of ``size`` at ``fps`` ("" if they can)."""
    if info is None or info.video is None:
        return "it has no video"
    v = info.video
    if v.codec != "h264":
        return f"its codec is {v.codec}, not H.264"
    if info.container not in ("mov", "mp4"):
        return f"its container is {info.container}, not MP4/MOV"
    if (v.width, v.height) != size:
        return f"its size {v.width}x{v.height} differs from the export's {size[0]}x{size[1]}"
    if v.fps != fps:
        return f"its rate {float(v.fps):.3f} fps differs from the project's {float(fps):.3f}"
    if v.pix_fmt != "yuv420p":
        return f"its pixel format is {v.pix_fmt}, not yuv420p"
    if v.rotation:
        return f"it is rotated by {v.rotation} degrees"
    if v.interlaced:
        return "it is interlaced"
    if v.sar != 1:
        return f"its pixels are not square ({v.sar})"
    if not resolve(v.colour, v.pix_fmt, v.height).is_output:
        return "its colour is not BT.709 limited range, which the export writes"
    return ""


@dataclass(frozen=True)
class Piece:
    """Timeline frames ``[at, at + stop - first)`` from source frames ``[first, stop)``."""

    copy: bool
    first: int
    stop: int
    at: int
    units: tuple[GopUnit, ...] = ()
    """The copied GOPs, in order (empty for an encoded piece)."""

    @property
    def frames(self) -> int:
        return self.stop - self.first


@dataclass(frozen=True)
class ClipPlan:
    """How one clip is exported: its pieces, and why it copies nothing when it does not."""

    index: int
    media: str
    name: str
    pieces: tuple[Piece, ...]
    reason: str = ""

    @property
    def frames_copied(self) -> int:
        return sum(p.frames for p in self.pieces if p.copy)

    @property
    def frames_encoded(self) -> int:
        return sum(p.frames for p in self.pieces if not p.copy)

    def to_dict(self) -> dict[str, object]:
        return {
            "clip": self.index + 1,
            "media": self.name,
            "frames_copied": self.frames_copied,
            "frames_encoded": self.frames_encoded,
            "reason": self.reason,
        }


def plan_clip(index: int, media: str, name: str, in_: int, out: int, at: int, source: SourceIndex) -> ClipPlan:
    """Copy the units of ``source`` wholly inside ``[in_, out)``; encode every other frame."""
    inside = [u for u in source.units if in_ <= u.first and u.stop <= out]
    pieces: list[Piece] = []
    pos = in_
    run: list[GopUnit] = []

    def close_run() -> None:
        if run:
            first, stop = run[0].first, run[-1].stop
            pieces.append(Piece(True, first, stop, at + first - in_, tuple(run)))
            run.clear()

    for unit in inside:
        if unit.first > pos:
            close_run()
            pieces.append(Piece(False, pos, unit.first, at + pos - in_))
        run.append(unit)
        pos = unit.stop
    close_run()
    if pos < out:
        pieces.append(Piece(False, pos, out, at + pos - in_))
    reason = "" if inside else "no whole closed GOP of the source lies inside it"
    if not inside and source.open_gop:
        reason += " (its keyframes are open-GOP I frames, not IDR)"
    return ClipPlan(index, media, name, tuple(pieces), reason)


def encoded_clip(index: int, media: str, name: str, in_: int, out: int, at: int, reason: str) -> ClipPlan:
    return ClipPlan(index, media, name, (Piece(False, in_, out, at),), reason)


@dataclass(frozen=True)
class SmartSummary:
    """What a smart export copied and why it copied no more (``--json``'s ``smart`` object)."""

    clips: tuple[ClipPlan, ...]
    packets_copied: int = 0
    video_packets: int = 0
    bytes_copied: int = 0
    video_bytes: int = 0
    reason: str = ""
    """Why nothing at all was copied (the export then ran the ordinary way); "" otherwise."""

    @property
    def frames_copied(self) -> int:
        return sum(c.frames_copied for c in self.clips)

    @property
    def frames_encoded(self) -> int:
        return sum(c.frames_encoded for c in self.clips)

    @property
    def messages(self) -> list[str]:
        """One line per clip that copies nothing, and the whole-export reason if any."""
        lines = [f"--smart copied nothing: {self.reason}"] if self.reason else []
        lines += [f"clip {c.index + 1} ({c.name}) is encoded: {c.reason}" for c in self.clips if c.reason]
        return lines

    def to_dict(self) -> dict[str, object]:
        return {
            "frames_copied": self.frames_copied,
            "frames_encoded": self.frames_encoded,
            "packets_copied": self.packets_copied,
            "video_packets": self.video_packets,
            "bytes_copied": self.bytes_copied,
            "video_bytes": self.video_bytes,
            "reason": self.reason,
            "clips": [c.to_dict() for c in self.clips],
        }


def plan_timeline(
    timeline: Timeline, indexes: dict[str, SourceIndex], problems: dict[str, str]
) -> tuple[ClipPlan, ...]:
    """Every clip's plan; ``problems`` (media id → why not) and ``indexes`` come from the caller."""
    plans: list[ClipPlan] = []
    for placed in timeline.placed():
        clip = placed.clip
        ref = timeline.media_by_id(clip.media)
        name = ref.resolved.name if clip.media else "gap"
        reason = problems.get(clip.media, "it has no video")
        source = indexes.get(clip.media)
        if reason or source is None:
            plans.append(encoded_clip(placed.index, clip.media, name, clip.in_, clip.out, placed.start, reason))
        else:
            plans.append(plan_clip(placed.index, clip.media, name, clip.in_, clip.out, placed.start, source))
    return tuple(plans)
