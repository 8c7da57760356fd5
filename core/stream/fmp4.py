"""The few MP4 box operations PyAV's muxer cannot do for us.

The stream assembler muxes each segment with PyAV's own mp4 muxer (a fresh muxer per segment,
``frag_custom``: one fragment per segment) and concatenates the fragments behind one init
segment. Two things need box-level care, and only these two:

* a fresh muxer writes ``tfdt`` (the fragment's base decode time) as 0, because it starts
  counting at its own first packet. We patch the 32/64-bit field in place with the segment's
  real timeline time, so the concatenated stream carries timeline timestamps;
* we keep only ``moof``/``mdat`` from each muxer's output (its ``ftyp``/``moov`` repeat the
  init segment, and ``mfra`` indexes a file that does not exist).

Reading track timescales from ``mdhd`` lets the caller express times in frames and samples.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

_CONTAINERS = {b"moov", b"trak", b"mdia", b"moof", b"traf"}


def iter_boxes(
    data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset, size) of each box in ``data[start:end]`` (64-bit sizes supported)."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"malformed MP4 box {kind!r} at offset {pos}")
        yield bytes(kind), pos, size
        pos += size


def top_level(data: bytes) -> list[tuple[bytes, bytes]]:
    """[(type, whole box bytes)] of the top-level boxes."""
    return [(kind, data[off : off + size]) for kind, off, size in iter_boxes(data)]


def _children(data: bytes | bytearray, off: int, size: int) -> Iterator[tuple[bytes, int, int]]:
    return iter_boxes(data, off + 8, off + size)


def timescales(moov: bytes) -> dict[int, int]:
    """track_ID → media timescale, read from each ``trak``'s ``tkhd`` and ``mdhd``."""
    out: dict[int, int] = {}
    for kind, off, size in iter_boxes(moov):
        if kind != b"moov":
            continue
        for tkind, toff, tsize in _children(moov, off, size):
            if tkind != b"trak":
                continue
            track_id = scale = None
            for ckind, coff, csize in _children(moov, toff, tsize):
                if ckind == b"tkhd":
                    version = moov[coff + 8]
                    track_id = struct.unpack_from(">I", moov, coff + (28 if version == 1 else 20))[0]
                elif ckind == b"mdia":
                    for mkind, moff, _ in _children(moov, coff, csize):
                        if mkind == b"mdhd":
                            version = moov[moff + 8]
                            scale = struct.unpack_from(">I", moov, moff + (28 if version == 1 else 20))[0]
            if track_id is not None and scale is not None:
                out[track_id] = scale
    return out


def set_base_times(moof: bytes, times: dict[int, int]) -> bytes:
    """Copy of ``moof`` whose ``tfdt`` per track is ``times[track_ID]`` (tracks not named keep theirs)."""
    buf = bytearray(moof)
    for kind, off, size in iter_boxes(buf):
        if kind != b"moof":
            continue
        for tkind, toff, tsize in _children(buf, off, size):
            if tkind != b"traf":
                continue
            track_id = None
            for ckind, coff, _ in _children(buf, toff, tsize):
                if ckind == b"tfhd":
                    track_id = struct.unpack_from(">I", buf, coff + 12)[0]
                elif ckind == b"tfdt" and track_id in times:
                    value = times[track_id]
                    if buf[coff + 8] == 1:
                        struct.pack_into(">Q", buf, coff + 12, value)
                    elif value < 2**32:
                        struct.pack_into(">I", buf, coff + 12, value)
                    else:
                        raise ValueError("tfdt version 0 cannot hold a time past 2^32 ticks")
    return bytes(buf)
