"""The timeline's audio as one continuous 48 kHz stereo signal, and its AAC encoding.

The preview stream (and the export) carry ONE audio track encoded by ONE encoder from the
timeline's start to its end, so segment joins have no gap and no click: per-segment audio
would restart the encoder's priming at every cell boundary. Clips contribute exactly
``samples_at(end) - samples_at(start)`` samples (integer arithmetic on frame positions, so
audio never drifts from video over a long timeline); clips without audio, and offline
media, contribute silence.

Source time 0 of a clip is its media's first *video* frame (as in ``core.media.frames``), so
sound stays in sync with picture when a container starts its streams at different times.

What plays and what is exported is ``mixed_audio``: that signal, optionally at one overall gain
(loudness normalisation), through the true-peak limiter (``core.media.limiter``), since clip gain
reaches +24 dB and float samples over full scale would clip in every player. The preview starts
sessions anywhere, so a mix that starts inside the timeline first runs the limiter over the
``LIMITER_WARMUP`` samples before its start and drops them: its gain at the start is then
(nearly) the one a play from the beginning would have, and a session that resumes another's
sound has no gain jump at the join.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

from core.errors import MediaError
from core.media.info import MediaInfo
from core.media.limiter import CEILING_DBTP, TruePeakLimiter

log = logging.getLogger(__name__)

RATE = 48000
CHANNELS = 2
AAC_FRAME = 1024
CODEC_HEADROOM_DB = 0.5
"""How far under the −1 dBTP ceiling the limiter holds the PCM: AAC coding moves peaks by a few
tenths of a dB, and the decoded sound is what must stay under the ceiling."""
LIMITER_WARMUP = RATE // 2
"""Samples of sound before a mid-timeline start that the limiter runs over first (0.5 s, several
times its release time, so its state has converged)."""


def samples_at(frame: int, fps: Fraction) -> int:
    """Audio samples before timeline frame ``frame``."""
    return frame * RATE * fps.denominator // fps.numerator


def _source_origin(info: MediaInfo) -> Fraction:
    if info.video is not None:
        return info.video.start
    return info.audio.start if info.audio else Fraction(0)


def iter_source_audio(info: MediaInfo, start: Fraction, count: int, chunk: int) -> Iterator[np.ndarray]:
    """``count`` samples of ``info``'s audio from source second ``start``, in chunks of ``chunk``.

    One open and one seek per call (a clip), then decoding forward. Missing audio (none in
    the file, the source ends early, a decode error) becomes silence: the preview must keep
    playing, and the video cells report real decode errors.
    """
    emitted = 0
    if info.audio is not None and count > 0:
        try:
            for block in _decoded(info, start, count, chunk):
                emitted += block.shape[1]
                yield block
        except (av.FFmpegError, OSError, ValueError) as exc:
            log.warning("audio of %s unreadable at %.3f s (%s): silence instead", info.path, float(start), exc)
    while emitted < count:
        n = min(chunk, count - emitted)
        emitted += n
        yield np.zeros((CHANNELS, n), dtype=np.float32)


def _decoded(info: MediaInfo, start: Fraction, count: int, chunk: int) -> Iterator[np.ndarray]:
    target = round((start + _source_origin(info)) * RATE)
    with av.open(str(info.path)) as container:
        stream = container.streams.audio[0]
        if stream.time_base is None:
            raise MediaError(info.path, "audio stream has no time base")
        tb = Fraction(stream.time_base)
        seek_to = max(Fraction(0), Fraction(target, RATE) - Fraction(1, 2))
        container.seek(int(seek_to / tb), stream=stream, backward=True)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        cursor: int | None = None  # absolute index (at RATE) of the next resampled sample
        pending: list[np.ndarray] = []
        have = 0
        left = count

        def frames() -> Iterator[av.AudioFrame]:
            yield from container.decode(stream)
            yield None  # type: ignore[misc]  # flush the resampler at the end of the source

        for frame in frames():
            if frame is not None and cursor is None:
                if frame.pts is None:
                    continue
                cursor = round(Fraction(frame.pts) * tb * RATE)
            if cursor is None:
                break
            for res in resampler.resample(frame):
                data: np.ndarray = res.to_ndarray()
                if data.shape[0] == 1:
                    data = np.repeat(data, CHANNELS, axis=0)
                data = data[:CHANNELS]
                n = data.shape[1]
                skip = max(0, target - cursor)
                cursor += n
                if skip >= n:
                    continue
                data = data[:, skip : skip + left]
                pending.append(data)
                have += data.shape[1]
                left -= data.shape[1]
                while have >= chunk:
                    block = np.concatenate(pending, axis=1)
                    yield block[:, :chunk]
                    rest = block[:, chunk:]
                    pending, have = ([rest] if rest.shape[1] else []), rest.shape[1]
                if left <= 0:
                    break
            if left <= 0:
                break
        if have:
            yield np.concatenate(pending, axis=1)


def mix_limiter() -> TruePeakLimiter:
    """The limiter of the mix: −1 dBTP less the codec's headroom."""
    return TruePeakLimiter(CHANNELS, RATE, ceiling_db=CEILING_DBTP - CODEC_HEADROOM_DB)


class AacTrack:
    """One AAC encoder fed a continuous signal; packets carry absolute sample timestamps.

    The encoder's priming packet (pts before the first fed sample) is dropped so the muxer
    never shifts the track (which would push video 21 ms late). To continue a previous
    encoding seamlessly, ``emit_from`` can lie after ``start``: samples from ``start`` warm the
    encoder up and packets before ``emit_from`` are discarded; ``emit_from - start`` should be
    a multiple of 1024 so the packet grid stays the same.
    """

    def __init__(self, start: int, emit_from: int | None = None, bit_rate: int = 128_000) -> None:
        self.codec = av.CodecContext.create("aac", "w")
        self.codec.sample_rate = RATE
        self.codec.layout = "stereo"
        self.codec.format = "fltp"
        self.codec.time_base = Fraction(1, RATE)
        self.codec.bit_rate = bit_rate
        self.codec.open()
        self._next = start
        self._emit_from = start if emit_from is None else emit_from
        self._pending = np.zeros((CHANNELS, 0), dtype=np.float32)

    @property
    def extradata(self) -> bytes:
        return bytes(self.codec.extradata or b"")

    @property
    def fed_until(self) -> int:
        """Absolute sample index one past the last sample given to ``feed``."""
        return self._next + self._pending.shape[1]

    def feed(self, samples: np.ndarray) -> list[av.Packet[av.audio.stream.AudioStream]]:
        buf = np.concatenate([self._pending, samples], axis=1) if self._pending.shape[1] else samples
        packets: list[av.Packet[av.audio.stream.AudioStream]] = []
        whole = buf.shape[1] // AAC_FRAME * AAC_FRAME
        for i in range(0, whole, AAC_FRAME):
            packets.extend(self._encode(np.ascontiguousarray(buf[:, i : i + AAC_FRAME])))
        self._pending = buf[:, whole:]
        return packets

    def _encode(self, block: np.ndarray | None) -> list[av.Packet[av.audio.stream.AudioStream]]:
        frame = None
        if block is not None:
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = self._next
            frame.time_base = Fraction(1, RATE)
            self._next += block.shape[1]
        out = []
        for packet in self.codec.encode(frame):
            if packet.pts is None or packet.pts < self._emit_from:
                continue
            packet.time_base = Fraction(1, RATE)
            out.append(packet)
        return out

    def finish(self) -> list[av.Packet[av.audio.stream.AudioStream]]:
        """Encode the remainder (zero-padded to a whole frame) and flush the encoder."""
        packets: list[av.Packet[av.audio.stream.AudioStream]] = []
        if self._pending.shape[1]:
            block = np.zeros((CHANNELS, AAC_FRAME), dtype=np.float32)
            block[:, : self._pending.shape[1]] = self._pending
            self._pending = np.zeros((CHANNELS, 0), dtype=np.float32)
            packets.extend(self._encode(block))
        packets.extend(self._encode(None))
        return packets


def packet_pts(packet: av.Packet[av.audio.stream.AudioStream]) -> int:
    """``packet.pts`` of a packet from ``AacTrack`` (it drops encoder packets without one, so it is set)."""
    assert packet.pts is not None, "AacTrack returned a packet without a pts"
    return packet.pts
