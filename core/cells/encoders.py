"""Choosing the H.264 encoder for preview cells.

Hardware encoders make cold encodes cheap, but which one works depends on the machine (a GPU, its
driver, device permissions), not on what FFmpeg was built with: ``h264_nvenc`` is compiled into
most wheels and fails to open on a machine without an NVIDIA card. So detection *opens* each
candidate on a tiny frame and encodes it, and anything that fails for any reason is skipped
with the reason kept for ``livecut encoders``. Failures are fast (a missing driver library or
device), and a total time budget stops a misbehaving driver from stalling start-up.

The result is cached per process (detection touches drivers; once is enough) behind a lock, so
every worker thread sees the same choice. ``LIVECUT_ENCODER`` (or the config, passed as
``forced``) picks an encoder by name; a forced encoder that cannot encode is an error, not a
silent fallback, because the user asked for it explicitly.

``encoder_settings`` maps the profile's x264-style quality knobs (CRF, preset) onto each
encoder's own options so cells stay all-intra whatever encodes them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

import av

from core import locations
from core.errors import EncodeError

log = logging.getLogger(__name__)

ENV_VAR = locations.ENCODER_ENV
"""Environment variable that forces an encoder by name."""

SOFTWARE = "libx264"
"""The fallback encoder: always present in PyAV wheels, fast enough at ``ultrafast``."""

HARDWARE = (
    "h264_nvenc",
    "h264_qsv",
    "h264_vaapi",
    "h264_videotoolbox",
    "h264_amf",
    "h264_v4l2m2m",
)
"""Hardware H.264 encoders tried in this order (the first that works is chosen)."""

_PROBE_SIZE = (256, 144)
_BUDGET_S = 0.8


@dataclass(frozen=True)
class Candidate:
    """One encoder considered by detection."""

    name: str
    """FFmpeg encoder name, e.g. ``h264_nvenc``."""
    available: bool
    """True when it opened and encoded a test frame."""
    reason: str
    """Why it is (not) usable, one short phrase for ``livecut encoders``."""


@dataclass(frozen=True)
class EncoderChoice:
    """The encoder cells will use and every candidate that was considered."""

    name: str
    """The chosen encoder's FFmpeg name."""
    candidates: tuple[Candidate, ...]
    """Every encoder considered, in the order tried (hardware first, then ``libx264``)."""
    forced: bool
    """True when ``LIVECUT_ENCODER`` or the config named the encoder."""
    seconds: float
    """Time detection took (wall clock)."""

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form for ``livecut encoders --json``."""
        return {
            "chosen": self.name,
            "forced": self.forced,
            "seconds": round(self.seconds, 4),
            "candidates": [{"name": c.name, "available": c.available, "reason": c.reason} for c in self.candidates],
        }


@dataclass(frozen=True)
class EncoderSettings:
    """How to open one encoder for all-intra preview cells."""

    pix_fmt: str
    """Pixel format the encoder is fed (``yuv420p`` unless it only takes ``nv12``)."""
    options: dict[str, str]
    """Encoder private options (``av`` ``options=``)."""


def encoder_settings(name: str, crf: int, preset: str) -> EncoderSettings:
    """Options that make ``name`` produce all-intra H.264 at roughly x264 ``crf`` quality.

    Only libx264 is exercised here; the hardware mappings follow each encoder's documented
    options and are the best guess for machines this was not run on.
    """
    qp = str(crf)
    if name == SOFTWARE:
        params = "keyint=1:min-keyint=1:scenecut=0:bframes=0:open-gop=0"
        return EncoderSettings("yuv420p", {"preset": preset, "crf": qp, "x264-params": params})
    if name == "h264_nvenc":
        return EncoderSettings("yuv420p", {"preset": "p1", "rc": "constqp", "qp": qp, "bf": "0"})
    if name == "h264_qsv":
        return EncoderSettings("nv12", {"preset": "veryfast", "global_quality": qp})
    if name == "h264_amf":
        return EncoderSettings("yuv420p", {"quality": "speed", "rc": "cqp", "qp_i": qp, "bf": "0"})
    if name == "h264_videotoolbox":
        return EncoderSettings("yuv420p", {"realtime": "1", "allow_sw": "0"})
    return EncoderSettings("yuv420p", {})


def known_h264_encoders() -> list[str]:
    """Names of every H.264 encoder this FFmpeg build has (hardware or not)."""
    return [name for name in sorted(av.codecs_available) if _is_h264_encoder(name)]


def _codec(name: str) -> av.Codec | None:
    try:
        return av.Codec(name, "w")
    except (av.FFmpegError, ValueError):
        return None


def _short(exc: BaseException) -> str:
    """One phrase from a PyAV error: ``Operation not permitted`` rather than the call dump."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"{text.split(':')[0].strip()} ({type(exc).__name__})"


def probe_encoder(name: str) -> Candidate:
    """Open ``name`` on a tiny frame and encode it; never raises."""
    if _codec(name) is None:
        return Candidate(name, False, "not in this FFmpeg build")
    settings = encoder_settings(name, 26, "ultrafast")
    width, height = _PROBE_SIZE
    started = time.perf_counter()
    try:
        ctx = cast(av.video.codeccontext.VideoCodecContext, av.CodecContext.create(name, "w"))
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = settings.pix_fmt
        ctx.time_base = Fraction(1, 30)
        ctx.framerate = Fraction(30)
        ctx.gop_size = 1
        ctx.max_b_frames = 0
        ctx.thread_count = 1
        ctx.options = dict(settings.options)
        ctx.open()
        frame = av.VideoFrame(width, height, settings.pix_fmt)
        frame.pts = 0
        packets = list(ctx.encode(frame)) + list(ctx.encode(None))
    except Exception as exc:  # a driver may fail in any way; every failure means "unusable"
        log.info("encoder %s unusable: %s", name, exc)
        return Candidate(name, False, f"failed to open: {_short(exc)}")
    elapsed_ms = (time.perf_counter() - started) * 1000
    if not packets:
        return Candidate(name, False, "opened but produced no packet")
    return Candidate(name, True, f"encoded a test frame in {elapsed_ms:.0f} ms")


def _detect_auto() -> tuple[str, list[Candidate]]:
    started = time.perf_counter()
    candidates: list[Candidate] = []
    chosen: str | None = None
    for name in HARDWARE:
        if chosen is not None:
            candidates.append(Candidate(name, False, f"not tried: {chosen} already chosen"))
        elif time.perf_counter() - started > _BUDGET_S:
            candidates.append(Candidate(name, False, "not tried: detection time budget spent"))
        else:
            candidate = probe_encoder(name)
            candidates.append(candidate)
            if candidate.available:
                chosen = name
    software = probe_encoder(SOFTWARE)
    if chosen is None:
        if not software.available:
            raise EncodeError(f"no H.264 encoder works here ({SOFTWARE}: {software.reason})")
        software = Candidate(SOFTWARE, True, f"chosen, no hardware encoder works; {software.reason}")
    candidates.append(software)
    return chosen or SOFTWARE, candidates


def _is_h264_encoder(name: str) -> bool:
    codec = _codec(name)
    return codec is not None and codec.type == "video" and codec.canonical_name == "h264"


def _detect_forced(name: str) -> tuple[str, list[Candidate]]:
    if not _is_h264_encoder(name):
        known = ", ".join(known_h264_encoders()) or "none"
        raise EncodeError(f"encoder {name!r} is not an H.264 encoder in this FFmpeg build (known: {known})")
    candidate = probe_encoder(name)
    if not candidate.available:
        raise EncodeError(f"encoder {name!r} was requested but cannot encode here: {candidate.reason}")
    return name, [Candidate(name, True, f"forced; {candidate.reason}")]


_cache: dict[str, EncoderChoice] = {}
_lock = threading.Lock()


def detect_encoders(forced: str | None = None) -> EncoderChoice:
    """The encoder to use: ``forced``, else ``$LIVECUT_ENCODER``, else the first working one.

    Cached per process and per forced name; thread-safe (concurrent callers wait for one
    detection). Raises ``EncodeError`` when a forced encoder is unknown or cannot encode.
    """
    wanted = (forced or locations.encoder()).strip()
    with _lock:
        cached = _cache.get(wanted)
        if cached is not None:
            return cached
        started = time.perf_counter()
        name, candidates = _detect_forced(wanted) if wanted else _detect_auto()
        choice = EncoderChoice(name, tuple(candidates), bool(wanted), time.perf_counter() - started)
        log.info("preview encoder: %s (%s, %.3f s)", name, "forced" if wanted else "detected", choice.seconds)
        _cache[wanted] = choice
        return choice


def clear_cache() -> None:
    """Forget detection results (tests; or after a driver install)."""
    with _lock:
        _cache.clear()
