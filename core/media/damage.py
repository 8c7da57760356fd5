"""Finding damaged video packets without decoding pictures.

Frames from a damaged packet are concealed while decoding (``core.media.frames``: the slot
keeps the last good picture), so a cell or an export never fails for one bad NAL unit. The
user must still hear about it, and a cached cell or export segment is never decoded again, so
the reports come from here: a scan that sends each packet to the decoder with
``skip_frame=ALL`` (the bitstream is parsed and checked, no picture is made), which costs about
what demuxing costs, together with the damage that decoding in this process met (``note``).
``probe`` output and export warnings both use it.

It finds what the parser rejects (invalid NAL units, truncated or garbled headers); damage that
only shows as wrong pixels is beyond it, as it is beyond every player.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from core.media.info import MediaInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Damage:
    """One video packet the decoder rejects."""

    at: Fraction
    """Its presentation time in seconds from the source's first frame (``VideoInfo.start``)."""
    reason: str
    """The decoder's complaint, e.g. ``Invalid data found when processing input``."""


def scan(info: MediaInfo, start: Fraction = Fraction(0), stop: Fraction | None = None) -> tuple[Damage, ...]:
    """Damaged video packets of ``info`` presented in ``[start, stop)`` seconds (``stop`` None:
    to the end). Unreadable files give ``()``: opening errors are ``probe``'s to report."""
    if info.video is None:
        return ()
    try:
        stat = info.path.stat()
    except OSError:
        return ()
    key = (str(info.path), stat.st_size, stat.st_mtime_ns)
    parsed = _scan(*key, info.video.start, start, stop)
    with _lock:
        decoded = [d for d in _noted.get(key, ()) if start <= d.at and (stop is None or d.at < stop)]
    seen = {d.at for d in parsed}
    return tuple(sorted((*parsed, *(d for d in decoded if d.at not in seen)), key=lambda d: d.at))


_noted: dict[tuple[str, int, int], set[Damage]] = {}
"""Damage met while really decoding (``core.media.frames``), per (path, size, mtime): some is
only found by decoding pictures (a bad slice), not by the parsing scan."""
_lock = threading.Lock()


def note(path: Path, at: Fraction, reason: str) -> None:
    """Remember that decoding ``path`` met an undecodable frame at ``at`` seconds."""
    try:
        stat = path.stat()
    except OSError:
        return
    with _lock:
        _noted.setdefault((str(path), stat.st_size, stat.st_mtime_ns), set()).add(Damage(at, reason))


@functools.lru_cache(maxsize=64)
def _scan(
    path: str, _size: int, _mtime_ns: int, origin: Fraction, start: Fraction, stop: Fraction | None
) -> tuple[Damage, ...]:
    found: list[Damage] = []
    try:
        with av.open(path, metadata_errors="ignore") as container:
            stream = next(s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
            if stream.time_base is None:
                return ()
            tb = Fraction(stream.time_base)
            stream.codec_context.skip_frame = "ALL"
            if start > 0:
                container.seek(int((origin + start - 1) / tb), stream=stream, backward=True, any_frame=False)
            for packet in container.demux(stream):
                at = None if packet.pts is None else packet.pts * tb - origin
                if at is not None and stop is not None and at >= stop + 1:
                    break  # B-frame reordering: a second past ``stop`` nothing earlier can come
                try:
                    packet.decode()
                except av.FFmpegError as exc:
                    if at is not None and start <= at and (stop is None or at < stop):
                        found.append(Damage(at, _reason(exc)))
    except (av.FFmpegError, OSError, StopIteration) as exc:
        log.debug("damage scan of %s stopped: %s", Path(path).name, exc)
    return tuple(sorted(found, key=lambda d: d.at))


@dataclass(frozen=True)
class Concealed:
    """Timeline frames ``first..last`` (inclusive) show a held picture in place of a damaged one."""

    path: Path
    first: int
    last: int
    source_s: Fraction
    """Where the damaged frame is in its source, seconds from the first frame."""
    reason: str

    def message(self, fps: Fraction) -> str:
        one = self.first == self.last
        frames = f"frame {self.first}" if one else f"frames {self.first}-{self.last}"
        at = float(self.first / fps)
        return (
            f"{self.path.name}: the frame at {float(self.source_s):.3f} s cannot be decoded ({self.reason}); "
            f"timeline {frames} ({at:.2f} s) {'shows' if one else 'show'} the last good frame instead"
        )

    def to_dict(self, fps: Fraction) -> dict[str, object]:
        return {
            "kind": "concealed",
            "path": str(self.path),
            "source_s": round(float(self.source_s), 4),
            "first_frame": self.first,
            "last_frame": self.last,
            "message": self.message(fps),
        }


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.split(":")[0].strip()


__all__ = ["Concealed", "Damage", "note", "scan"]
