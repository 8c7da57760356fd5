"""A timeline file (OTIO, OTIO bundle, EDL, FCP 7 XML) → a livecut project.

Reading is guarded before any adapter sees the bytes: only regular files of a sane size, and
XML with entity declarations is refused outright (so no external entity can make the parser read
another file or a URL, and no entity expansion can blow up). Adapter failures of any kind become
one ``InterchangeError`` line naming the file.

Conversion keeps what livecut can represent exactly (whole frames at the project rate, computed
with fractions from OTIO's value/rate pairs; gaps and an EDL's black events as gaps; sequence,
track and clip markers; gain/mute livecut wrote) and turns everything else into an ``ImportNote`` with
its place: extra video tracks, audio that is not the video clips' own, transitions (which become
cuts), effects and speed changes (dropped), generators (dropped), nested compositions (flattened
to their first video track). Media that cannot be found become offline clips with their
durations, so the edit can be relinked later.
"""

from __future__ import annotations

import codecs
import functools
import json
import logging
import math
import os
import shutil
import stat
import tempfile
import urllib.parse
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from core.errors import ProjectError
from core.interchange.errors import InterchangeError
from core.interchange.exporter import META
from core.interchange.formats import Format, adapter_for, format_for
from core.model import project as proj
from core.model.project import Project
from core.model.timeline import MAX_GAIN_DB, MAX_MARKER_NAME, MIN_GAIN_DB, Clip, Marker, MediaRef, Timeline, gap
from core.timebase import frames_to_timecode, parse_fps

log = logging.getLogger(__name__)

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Largest EDL, XML or OTIO accepted (a real one is kilobytes to a few megabytes)."""
MAX_FRAMES = proj.MAX_FRAMES
DEFAULT_EDL_FPS = Fraction(24)
"""An EDL carries no rate; OTIO's EDL reader assumes 24 too."""


@dataclass(frozen=True)
class ImportNote:
    """Something in the imported file livecut could not keep as it was."""

    place: str
    """Where it is, e.g. ``track 'V2'`` or ``V1 item 4 'shot_010' at 00:00:12:05``."""
    what: str
    """What happened to it."""

    def __str__(self) -> str:
        return f"{self.place}: {self.what}"


@dataclass(frozen=True)
class ImportResult:
    """The imported project (saved at ``project.path`` unless asked not to) and what was lost."""

    project: Project
    notes: tuple[ImportNote, ...]
    source: Path
    format: Format


# -- reading -------------------------------------------------------------------------------------
def read_timeline(
    path: str | os.PathLike[str], fmt: Format, fps: Fraction | None = None, extract_to: Path | None = None
) -> Any:
    """Read ``path`` with its OTIO adapter; ``fps`` is the EDL rate, ``extract_to`` the bundle folder."""
    source = Path(path)
    otio = adapter_for(fmt)
    try:
        info = source.stat()
    except FileNotFoundError:
        raise InterchangeError(f"{source}: file not found") from None
    except (OSError, ValueError) as exc:
        raise InterchangeError(f"{source}: cannot be read ({_reason(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InterchangeError(f"{source}: is a folder, not a timeline file")
    if not stat.S_ISREG(info.st_mode):
        raise InterchangeError(f"{source}: is not a regular file (a device, pipe or socket?)")
    if fmt.name == "otioz":
        result = _read_bundle(otio, source, extract_to)
    else:
        if info.st_size > MAX_INPUT_BYTES:
            raise InterchangeError(f"{source}: is {info.st_size} bytes, too large for a {fmt.description}")
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise InterchangeError(f"{source}: cannot be read ({_reason(exc)})") from None
        result = _parse(otio, source, fmt, raw, fps or DEFAULT_EDL_FPS)
    if not isinstance(result, otio.schema.Timeline):
        raise InterchangeError(f"{source}: holds a {type(result).__name__}, not a timeline")
    return result


def _parse(otio: Any, source: Path, fmt: Format, raw: bytes, fps: Fraction) -> Any:
    if b"\x00" in raw[:4096] and _utf16(raw) is None:
        raise InterchangeError(f"{source}: not a text file (expected a {fmt.description})")
    text = _decode(raw)
    if not text.strip():
        raise InterchangeError(f"{source}: is empty (expected a {fmt.description})")
    if fmt.name == "xml" and "<!entity" in text.lower():
        raise InterchangeError(
            f"{source}: XML with entity declarations is refused (entities can read other files or URLs)"
        )
    if fmt.name == "otio":
        _check_json(source, text)
    kwargs: dict[str, Any] = {"rate": float(fps)} if fmt.name == "edl" else {}
    try:
        return otio.adapters.read_from_string(text, fmt.adapter, **kwargs)
    except RecursionError:
        raise InterchangeError(f"{source}: nested too deeply to be a {fmt.description}") from None
    except Exception as exc:  # the adapters raise their own types, and plain ValueError/IndexError
        hint = " (an EDL has no frame rate: is --fps right?)" if fmt.name == "edl" else ""
        raise InterchangeError(f"{source}: not a readable {fmt.description}: {_reason(exc)}{hint}") from None


def _check_json(source: Path, text: str) -> None:
    """Python's JSON parser first: OTIO's C++ one recurses without a limit, so deeply nested
    input would crash the process (a segfault, not an error) instead of failing."""
    try:
        json.loads(text)
    except RecursionError:
        raise InterchangeError(f"{source}: nested too deeply to be an OpenTimelineIO file") from None
    except ValueError as exc:
        raise InterchangeError(f"{source}: not a readable OpenTimelineIO JSON: {_reason(exc)}") from None


def _decode(raw: bytes) -> str:
    """Text of a timeline file: UTF-16 only when its BOM or its NUL pattern says so (never by the
    byte count: a Latin-1 EDL of an even length also "decodes" as UTF-16, to nonsense), else
    UTF-8, else Latin-1 (old EDLs often are; every byte decodes)."""
    utf16 = _utf16(raw)
    if utf16 is not None:
        try:
            return raw.decode(utf16)
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _utf16(raw: bytes) -> str | None:
    """The UTF-16 codec ``raw`` is in, by its BOM or (without one) by NULs in every other byte of
    its start, as ASCII text in UTF-16 has; None when it is not UTF-16."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = raw[: min(len(raw), 4096) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= len(odd) * 0.9 and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= len(even) * 0.9 and odd.count(0) == 0:
        return "utf-16-be"
    return None


MAX_BUNDLE_RATIO = 100
"""Most bytes an OTIO bundle may inflate to, per byte of the bundle: media hardly compresses
(a real bundle is ~1:1), while a zip bomb inflates a megabyte to gigabytes. Counted while the
members stream out, so a member whose header understates its size is stopped all the same."""
MAX_BUNDLE_BYTES = 64 * 1024**3
"""Most bytes an OTIO bundle may inflate to in all (its media included), whatever its size."""
BUNDLE_MEDIA = "media"
"""The folder of an OTIO bundle that holds its media (``file_bundle_utils.BUNDLE_DIR_NAME``)."""
_CHUNK = 1024 * 1024


class _Budget:
    """What a bundle may still inflate to; ``take`` refuses a chunk over it, with a sentence."""

    def __init__(self, source: Path, bundle_bytes: int) -> None:
        self.source = source
        self.left = min(MAX_BUNDLE_BYTES, MAX_BUNDLE_RATIO * max(bundle_bytes, 1))

    def take(self, n: int, name: str) -> None:
        self.left -= n
        if self.left < 0:
            raise InterchangeError(
                f"{self.source}: refused, {name!r} inflates past what a bundle of this size can hold "
                f"(more than {MAX_BUNDLE_RATIO} times its size, or {MAX_BUNDLE_BYTES // 1024**3} GiB): a zip bomb?"
            )


def _read_member(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, limit: int) -> bytes:
    data = bytearray()
    with bundle.open(info) as member:
        while chunk := member.read(_CHUNK):
            budget.take(len(chunk), info.filename)
            data += chunk
            if len(data) > limit:
                raise InterchangeError(f"{budget.source}: {info.filename!r} is larger than {limit} bytes")
    return bytes(data)


def _media_members(bundle: zipfile.ZipFile) -> Iterator[tuple[zipfile.ZipInfo, Path]]:
    """The bundle's media files with their paths under the bundle folder; names that would leave
    it (``..``, absolute, drive letters) and folders are skipped."""
    for info in bundle.infolist():
        parts = info.filename.replace("\\", "/").split("/")
        if info.is_dir() or parts[0] != BUNDLE_MEDIA or len(parts) < 2:
            continue
        if any(part in ("", ".", "..") or ":" in part for part in parts):
            continue
        yield info, Path(*parts)


def _read_bundle(otio: Any, source: Path, extract_to: Path | None) -> Any:
    """The bundle's timeline; with ``extract_to``, its media unpacked there (under ``media/``).

    Everything is streamed out of the zip against one budget (``MAX_BUNDLE_RATIO``,
    ``MAX_BUNDLE_BYTES``; ``content.otio`` also against ``MAX_INPUT_BYTES``), and the media go to
    a hidden folder renamed into place only when all of them fit: a refused bundle leaves nothing.
    """
    if not zipfile.is_zipfile(source):
        raise InterchangeError(f"{source}: not an OTIO bundle (not a zip file)")
    budget = _Budget(source, source.stat().st_size)
    media = extract_to / BUNDLE_MEDIA if extract_to is not None else None
    if media is not None and os.path.lexists(media):
        raise InterchangeError(f"{source}: {media} already exists; cannot unpack the bundle's media there")
    staging: Path | None = None
    created: Path | None = None
    try:
        with zipfile.ZipFile(source) as bundle:
            content = _read_member(bundle, bundle.getinfo("content.otio"), budget, MAX_INPUT_BYTES)
            text = _decode(content)
            del content
            _check_json(source, text)
            if extract_to is not None:
                if not extract_to.exists():
                    extract_to.mkdir(parents=True)
                    created = extract_to
                staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=extract_to))
                for info, relative in _media_members(bundle):
                    _unpack(bundle, info, staging / relative, budget)
        result = otio.adapters.read_from_string(text, "otio_json")
        if staging is not None and media is not None:
            (staging / BUNDLE_MEDIA).mkdir(exist_ok=True)
            (staging / BUNDLE_MEDIA).rename(media)
        return result
    except (KeyError, zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        _unmade(created)
        raise InterchangeError(f"{source}: not a readable OTIO bundle: {_reason(exc)}") from None
    except OSError as exc:
        _unmade(created)
        raise InterchangeError(f"{source}: cannot be unpacked ({_reason(exc)})") from None
    except InterchangeError:
        _unmade(created)
        raise
    except Exception as exc:  # the OTIO reader raises its own types
        _unmade(created)
        raise InterchangeError(f"{source}: not a readable OTIO bundle: {_reason(exc)}") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _unpack(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: _Budget) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with bundle.open(info) as member, target.open("xb") as out:
        while chunk := member.read(_CHUNK):
            budget.take(len(chunk), info.filename)
            out.write(chunk)


def _unmade(folder: Path | None) -> None:
    """Remove the unpack folder this import created (a failed import leaves nothing behind)."""
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "…" if len(text) > 300 else text) or type(exc).__name__


# -- converting ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Event:
    """One clip found on the kept video track."""

    media: Path | None
    """None for a gap (black and silent)."""
    in_: int
    out: int
    start: int
    place: str
    hint: str | None = None
    """The media id livecut wrote on the reference, if it did."""
    markers: tuple[tuple[int, str], ...] = ()
    """The clip's markers as (timeline frame, name)."""
    gain_db: float = 0.0
    mute: bool = False


@functools.lru_cache(maxsize=64)
def _exact_rate(rate: float) -> Fraction:
    """``parse_fps`` of an OTIO rate, once per rate: a file has a handful of rates and every one
    of its times carries one (100k events are 400k times)."""
    return parse_fps(rate)


@dataclass
class _Converter:
    otio: Any
    source: Path
    """The file read (every error names it)."""
    fps: Fraction
    base: Path
    """Folder that relative media paths in the file are relative to."""
    media_dir: Path | None
    notes: list[ImportNote] = field(default_factory=list)

    # -- time ------------------------------------------------------------------------------------
    def frames(self, t: Any, where: str) -> int:
        """``t`` (an OTIO RationalTime) as whole project frames, exactly when the rates agree."""
        value, rate = float(t.value), float(t.rate)
        if not (math.isfinite(value) and math.isfinite(rate)) or rate <= 0:
            raise InterchangeError(f"{self.source}: {where}: time {value:.6g} at rate {rate:.6g} is not a time")
        try:
            exact_rate = _exact_rate(rate)
        except ValueError:
            raise InterchangeError(
                f"{self.source}: {where}: {rate:.6g} is not a frame rate livecut knows (0 < fps ≤ 1000)"
            ) from None
        frames = round(Fraction(value) * self.fps / exact_rate) if abs(value) <= MAX_FRAMES * 1000 else MAX_FRAMES + 1
        if abs(frames) > MAX_FRAMES:
            raise InterchangeError(f"{self.source}: {where}: {value:.6g} frames is out of range (at most {MAX_FRAMES})")
        return frames

    def tc(self, frames: int) -> str:
        return frames_to_timecode(frames, self.fps)

    def note(self, place: str, what: str) -> None:
        self.notes.append(ImportNote(place, what))

    # -- media -----------------------------------------------------------------------------------
    def media_path(self, ref: Any, name: str) -> Path | None:
        """Where the clip's media should be (relinked into ``media_dir`` by file name); None if
        the reference is not a file (a generator, an image sequence)."""
        schema = self.otio.schema
        if isinstance(ref, schema.ExternalReference):
            text = _path_from_url(ref.target_url or "") or name
        elif isinstance(ref, schema.MissingReference) or ref is None:
            # only a name (an EDL's clip name, say): a file of that name beside the input
            text = name.replace("\\", "/").rsplit("/", 1)[-1] or "untitled"
        else:
            return None
        if not text or "\x00" in text:
            return None
        if _looks_windows(text):  # another machine's drive: relink by file name (here or --media-dir)
            text = text.replace("\\", "/").rsplit("/", 1)[-1]
        candidate = Path(os.path.expanduser(text))
        if self.media_dir is not None:
            relinked = self.media_dir / candidate.name
            if relinked.is_file():
                return Path(os.path.abspath(relinked))
        if not candidate.is_absolute():
            candidate = self.base / candidate
        return Path(os.path.abspath(candidate))

    # -- tracks ----------------------------------------------------------------------------------
    def events(self, track: Any, label: str, offset: int = 0, *, audio: bool = False) -> Iterator[_Event]:
        """The clips of ``track`` in order; everything else becomes a note."""
        schema = self.otio.schema
        ranges = track.range_of_all_children()  # one pass: range_of_child_at_index(i) walks i items
        for i, item in enumerate(track):
            where_time = self.frames(ranges[item].start_time, f"{label} item {i + 1}")
            start = offset + where_time
            name = item.name or type(item).__name__
            place = f"{label} item {i + 1} '{name}' at {self.tc(start)}"
            if isinstance(item, schema.Transition):
                length = self.frames(item.in_offset, place) + self.frames(item.out_offset, place)
                self.note(place, f"transition {item.transition_type or 'custom'} ({length} frames) dropped: a cut")
                continue
            if isinstance(item, schema.Gap):
                length = self.frames(item.trimmed_range().duration, place)
                if length > 0:
                    yield _Event(None, 0, length, start, place)
                continue
            if isinstance(item, (schema.Track, schema.Stack)):
                yield from self.nested(item, place, start)
                continue
            if not isinstance(item, schema.Clip):
                self.note(place, f"{type(item).__name__} dropped")
                continue
            if not item.enabled:
                self.note(place, "disabled clip dropped")
                continue
            event = self.clip_event(item, place, start)
            if event is not None:
                yield event

    def nested(self, item: Any, place: str, start: int) -> Iterator[_Event]:
        schema = self.otio.schema
        track = item
        kind = "stack" if isinstance(item, schema.Stack) else "track"
        if isinstance(item, schema.Stack):
            videos = [t for t in item if isinstance(t, schema.Track) and t.kind == schema.TrackKind.Video]
            if not videos:
                self.note(place, "nested stack without a video track dropped")
                return
            track = videos[0]
            if len(videos) > 1:
                self.note(place, f"nested stack: {len(videos) - 1} more video track(s) dropped")
        if item.source_range is not None:
            track = self.otio.algorithms.track_trimmed_to_range(track, item.source_range)
        self.note(place, f"nested {kind} flattened into the main track")
        yield from self.events(track, f"{place} >", start)

    def clip_event(self, clip: Any, place: str, start: int) -> _Event | None:
        schema = self.otio.schema
        for effect in clip.effects:
            if isinstance(effect, schema.FreezeFrame):
                self.note(place, "freeze frame dropped: the clip plays normally")
            elif isinstance(effect, schema.LinearTimeWarp):
                self.note(place, f"speed change ({effect.time_scalar * 100:g}%) dropped: the clip plays at 100%")
            else:
                self.note(place, f"effect '{effect.effect_name or effect.name or 'unnamed'}' dropped")
        ref = clip.media_reference
        path = self.media_path(ref, clip.name)
        if path is None:
            kind = getattr(ref, "generator_kind", None) or type(ref).__name__
            if kind == "black" and not clip.effects:  # an EDL's BL event: black and silent, a gap
                length = self.frames(clip.trimmed_range().duration, place)
                return _Event(None, 0, length, start, place) if length > 0 else None
            self.note(place, f"{kind} is not a media file: dropped")
            return None
        try:
            trimmed = clip.trimmed_range()
        except Exception:
            self.note(place, "clip without a source range dropped")
            return None
        first = self.frames(trimmed.start_time, place)
        available = ref.available_range if ref is not None else None
        if available is not None:
            first -= self.frames(available.start_time, place)
        length = self.frames(trimmed.duration, place)
        if length <= 0:
            self.note(place, "empty clip dropped")
            return None
        if first < 0:
            self.note(place, f"starts {-first} frames before its media: moved to the first frame")
            first = 0
        hint = _plain(ref.metadata.get(META)) if ref is not None else None
        media_id = hint.get("media") if isinstance(hint, dict) else None
        gain_db, mute = _sound(_plain(clip.metadata.get(META)))
        source_start = self.frames(trimmed.start_time, place)
        markers = []
        for marker in clip.markers:  # in the clip's source time
            frame = start + self.frames(marker.marked_range.start_time, place) - source_start
            if start <= frame < start + length:
                markers.append((frame, str(marker.name or "")))
            else:
                self.note(place, f"marker '{marker.name}' outside its clip dropped")
        return _Event(
            path,
            first,
            first + length,
            start,
            place,
            media_id if isinstance(media_id, str) else None,
            tuple(markers),
            gain_db,
            mute,
        )

    def audio_losses(self, track: Any, label: str, kept: set[tuple[Path, int, int, int]]) -> None:
        """Audio that is not the kept video clips' own sound is noted clip by clip."""
        # the audio track's own transitions and gaps are noted too; clips that mirror the video are no loss
        for event in list(self.events(track, label, audio=True)):
            if event.media is not None and (event.media, event.in_, event.out, event.start) not in kept:
                self.note(event.place, "audio clip dropped (livecut plays the sound of its video clips)")


def _sound(meta: Any) -> tuple[float, bool]:
    """Gain and mute livecut wrote on a clip (anything else: the defaults)."""
    if not isinstance(meta, dict):
        return 0.0, False
    gain = meta.get("gain_db", 0.0)
    ok = isinstance(gain, (int, float)) and not isinstance(gain, bool) and MIN_GAIN_DB <= gain <= MAX_GAIN_DB
    return (float(gain) if ok else 0.0), meta.get("mute") is True


def _looks_windows(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[2] in "\\/"


def _path_from_url(url: str) -> str:
    """A file path from a ``file:`` URL or a plain path; other schemes give their last name only."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = urllib.parse.unquote(parsed.path)
        if parsed.netloc not in ("", "localhost"):
            path = f"//{parsed.netloc}{path}"
        return path[1:] if len(path) > 3 and path[0] == "/" and _looks_windows(path[1:]) else path
    if len(parsed.scheme) > 1:  # http:, s3:, ... are never fetched: relink by file name instead
        return Path(urllib.parse.unquote(parsed.path)).name
    return url


def _plain(value: Any, depth: int = 0) -> Any:
    """OTIO's AnyDictionary/AnyVector as plain dicts and lists (strings and numbers as they are)."""
    if depth > 8:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    try:
        return [_plain(v, depth + 1) for v in value]
    except TypeError:
        return None


def _meta(timeline: Any) -> dict[str, Any]:
    try:
        value = _plain(timeline.metadata.get(META))
    except Exception:  # metadata of the wrong shape is simply ignored
        return {}
    return value if isinstance(value, dict) else {}


def _meta_int(meta: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        return None
    return int(value)


def _track_label(index: int, track: Any) -> str:
    return f"track {index + 1} '{track.name}'" if track.name else f"track {index + 1}"


def _project_rate(otio: Any, timeline: Any, meta: dict[str, Any], fps: Fraction | None, source: Path) -> Fraction:
    if fps is not None:
        return fps
    text = meta.get("fps")
    if isinstance(text, str):
        try:
            return parse_fps(text)
        except ValueError:
            pass
    # the sequence's own rate (FCP XML sets it), else the first timed item's, video tracks first
    rates: list[float] = []
    if timeline.global_start_time is not None:
        rates.append(float(timeline.global_start_time.rate))
    ordered = sorted(timeline.tracks, key=lambda t: t.kind != otio.schema.TrackKind.Video)
    rates.extend(
        float(item.source_range.duration.rate)
        for track in ordered
        for item in track
        if getattr(item, "source_range", None) is not None
    )
    for rate in rates[:1]:
        try:
            return parse_fps(rate)
        except ValueError:
            raise InterchangeError(f"{source}: {rate!r} is not a frame rate livecut knows (0 < fps ≤ 1000)") from None
    return DEFAULT_EDL_FPS


def from_otio(
    timeline: Any,
    target: Path,
    *,
    source: Path,
    fps: Fraction | None = None,
    media_dir: Path | None = None,
    base: Path | None = None,
) -> tuple[Project, tuple[ImportNote, ...]]:
    """Convert an OTIO timeline to a project to be saved at ``target`` (not written here)."""
    from core.interchange.formats import otio_module

    otio = otio_module()
    meta = _meta(timeline)
    rate = _project_rate(otio, timeline, meta, fps, source)
    conv = _Converter(otio, source, rate, base or source.resolve().parent, media_dir)
    tracks = list(timeline.tracks)
    video = [t for t in tracks if t.kind == otio.schema.TrackKind.Video and t.enabled]
    for i, t in enumerate(tracks):
        if not t.enabled:
            conv.note(_track_label(i, t), f"disabled {t.kind.lower()} track dropped")
    main = video[0] if video else next((t for t in tracks if t.enabled), None)
    events: list[_Event] = []
    main_label = "track"
    if main is not None:
        label = main_label = _track_label(tracks.index(main), main)
        if main.kind != otio.schema.TrackKind.Video:
            conv.note(label, f"no video track: this {main.kind.lower()} track is imported as the clips")
        events = list(conv.events(main, label))
    for t in video[1:]:
        count = sum(1 for _ in t.find_clips())
        conv.note(
            _track_label(tracks.index(t), t),
            f"extra video track ({count} clips) dropped (livecut edits one video track)",
        )
    kept = {(e.media, e.in_, e.out, e.start) for e in events if e.media is not None}
    for i, t in enumerate(tracks):
        if t is not main and t.enabled and t.kind == otio.schema.TrackKind.Audio:
            conv.audio_losses(t, _track_label(i, t), kept)

    target = target.resolve()
    folder = target.parent
    refs: list[MediaRef] = []
    by_path: dict[Path, MediaRef] = {}

    def add(path: Path, wanted_id: str | None) -> MediaRef:
        used = {r.id for r in refs}
        mid = wanted_id if wanted_id and wanted_id.strip() and wanted_id not in used else None
        mid = mid or proj.next_media_id(Timeline(rate, tuple(refs)))
        ref = proj.media_ref(mid, _relative(path, folder), folder)
        refs.append(ref)
        by_path[path] = ref
        return ref

    # livecut's own files list every media (used or not) in order: keep the ids and the order,
    # but take each used one's path from its clips (a bundle's media were unpacked elsewhere)
    path_for_id: dict[str, Path] = {}
    for event in events:
        if event.hint is not None and event.media is not None:
            path_for_id.setdefault(event.hint, event.media)
    listed = meta.get("media")
    for entry in listed if isinstance(listed, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("id"), str):
            found = path_for_id.get(entry["id"]) or conv.media_path(
                otio.schema.ExternalReference(target_url=entry["path"]), ""
            )
            if found is not None and found not in by_path:
                add(found, entry["id"])
    clips: list[Clip] = []
    for event in events:
        if event.media is None:
            clips.append(gap(event.out))
            continue
        ref = by_path.get(event.media) or add(event.media, event.hint)
        length = ref.length(rate)
        in_, out = event.in_, event.out
        if length is not None and in_ >= length:
            conv.note(event.place, f"starts at frame {in_}, past the end of {ref.name} ({length} frames): dropped")
            continue
        if length is not None and out > length:
            conv.note(event.place, f"ends {out - length} frames past the end of {ref.name}: shortened")
            out = length
        clips.append(Clip(ref.id, in_, out, event.gain_db, event.mute))

    marks: list[tuple[int, str, str]] = []
    for where, holder in (("sequence", timeline.tracks), (main_label, main)):
        for marker in holder.markers if holder is not None else []:
            marks.append((conv.frames(marker.marked_range.start_time, where), str(marker.name or ""), where))
    marks.extend((frame, name, e.place) for e in events for frame, name in e.markers)
    markers = _markers(marks, conv)
    name = meta.get("name") if isinstance(meta.get("name"), str) else None
    width, height = _size(meta, refs)
    project = Project(
        name=name or timeline.name or target.stem,
        timeline=Timeline(rate, tuple(refs), tuple(clips), markers),
        width=width,
        height=height,
        preview_height=_meta_int(meta, "preview_height", 1, 2160) or 360,
        cell_frames=_meta_int(meta, "cell_frames", 1, 100_000),
        path=target,
    )
    return project, tuple(conv.notes)


def _markers(found: list[tuple[int, str, str]], conv: _Converter) -> tuple[Marker, ...]:
    """Livecut markers: one per frame, names on one line and at most ``MAX_MARKER_NAME`` long."""
    by_frame: dict[int, Marker] = {}
    for frame, raw, where in sorted(found, key=lambda f: f[0]):
        name = " ".join(raw.split())
        if len(name) > MAX_MARKER_NAME:
            conv.note(where, f"marker name at {conv.tc(frame)} cut to {MAX_MARKER_NAME} characters")
            name = name[:MAX_MARKER_NAME].rstrip()
        if frame < 0:
            conv.note(where, f"marker '{name}' before the start dropped")
        elif frame in by_frame:
            conv.note(where, f"marker '{name}' dropped: '{by_frame[frame].name}' is at the same frame")
        else:
            by_frame[frame] = Marker(frame, name)
    return tuple(by_frame.values())


def _size(meta: dict[str, Any], refs: list[MediaRef]) -> tuple[int, int]:
    width, height = _meta_int(meta, "width", 2, 8192), _meta_int(meta, "height", 2, 8192)
    if width and height:
        return width, height
    video = next((r.info.video for r in refs if r.info and r.info.video), None)
    if video is None:
        return 1920, 1080
    w, h = video.display_size
    scale = min(1.0, 4096 / w, 4096 / h)
    w, h = max(2, int(w * scale)), max(2, int(h * scale))
    return w + w % 2, h + h % 2


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path, folder)
    except ValueError:
        return str(path)


def default_project_path(source: str | os.PathLike[str]) -> Path:
    """Where an import of ``source`` goes when nobody says: beside it, never over an existing file
    (``cut.edl`` → ``cut.toml``, else ``cut-2.toml``, ...)."""
    src = Path(source).expanduser().resolve()
    candidate = src.with_suffix(".toml")
    n = 2
    while candidate.exists():
        candidate = src.with_name(f"{src.stem}-{n}.toml")
        n += 1
    return candidate


def import_timeline(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    fmt: str | Format | None = None,
    media_dir: str | os.PathLike[str] | None = None,
    fps: str | Fraction | None = None,
    strict: bool = False,
    save: bool = True,
) -> ImportResult:
    """Read ``source`` and write the project ``target`` (validated exactly as ``livecut`` loads it).

    ``fps`` is the rate of an EDL (default 24) and, for other formats, converts to that rate.
    With ``strict`` anything livecut cannot represent is an error instead of a note.
    """
    src = Path(source)
    chosen = fmt if isinstance(fmt, Format) else format_for(src, fmt)
    rate: Fraction | None = None
    if fps is not None:
        try:
            rate = parse_fps(fps)
        except ValueError as exc:
            raise InterchangeError(f"--fps: {exc}") from None
    if chosen.name == "edl" and rate is None:
        rate = DEFAULT_EDL_FPS
    relink = Path(os.path.abspath(Path(media_dir).expanduser())) if media_dir is not None else None
    if relink is not None and not relink.is_dir():
        raise InterchangeError(f"{relink}: the media folder does not exist")
    out = Path(target).resolve()
    extract = out.parent / f"{out.stem}-media" if chosen.name == "otioz" else None
    made = extract is not None and not os.path.lexists(extract)
    try:
        otl = read_timeline(src, chosen, rate, extract)
        base = extract if extract is not None else src.resolve().parent
        project, notes = from_otio(otl, out, source=src, fps=rate, media_dir=relink, base=base)
        if strict and notes:
            raise InterchangeError(
                f"{src}: {len(notes)} item(s) livecut cannot represent, first {notes[0]} "
                "(without --strict they are dropped or flattened and listed)"
            )
        try:  # validated exactly as a load would see it, before anything is written
            project = proj.from_dict(proj.to_dict(project, out.parent), out)
        except ProjectError as exc:
            raise InterchangeError(f"{src}: makes a project livecut cannot load: {'; '.join(exc.problems)}") from None
        if save:
            project = proj.save(project, out)
    except BaseException:
        if made and extract is not None:  # the bundle's media unpacked for a project never written
            shutil.rmtree(extract, ignore_errors=True)
        raise
    for note in notes:
        log.warning("import %s: %s", src, note)
    return ImportResult(project, notes, src, chosen)
