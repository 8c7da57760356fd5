"""Projects as versioned TOML files.

The file is the user's work, so loading is strict about structure but forgiving about media:
every structural problem is reported with its place (``clips[3].out: ...``) and all of them at
once, while a missing or unreadable media file only marks its clips offline, so a project
moved to another machine still opens. Saving is atomic. Paths are written relative to the
project file when they can be, so a project folder can move as a whole.

Versions: a file is brought up to ``VERSION`` by ``MIGRATIONS`` (one step per version) before it
is validated, so the validation below only knows the newest shape. Version 2 added
``[[markers]]``, gap clips (``[[clips]] gap = 30``: a gap is only its length) and a clip's sound
(``gain_db = -6.0``, ``mute = true``, written only when not the default); a version 1 file is a
version 2 file without them and loads unchanged.
Saving always writes the newest version, in one stable layout (``blocks``), and carries the
user's comments from the file it replaces (``core.model.comments`` has the rules).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from core.atomic import write_atomic
from core.errors import MediaError, ProjectError
from core.media.info import probe
from core.model import comments
from core.model.timeline import GAP, MAX_GAIN_DB, MAX_MARKER_NAME, MIN_GAIN_DB, Clip, Marker, MediaRef, Timeline, gap
from core.timebase import parse_fps, parse_time, project_rate

log = logging.getLogger(__name__)

VERSION = 2
OLDEST_VERSION = 1
MAX_FRAMES = 10**9
"""Largest position accepted (about 1 year at 30 fps): anything bigger is a typo."""
MAX_SIZE = 8192
"""Largest export width or height: what H.264 (level 6.2) and the scaler can honour."""
MAX_AREA = 8192 * 4352
"""Largest export picture in pixels (H.264 level 6.2: 139264 macroblocks)."""
MAX_PREVIEW_HEIGHT = 2160
"""Largest preview height: previews are meant to be cheap; the export has the full size."""
MAX_OFFLINE_SECONDS = 24 * 3600
"""Longest clip of offline media (its real length is unknown): plans and memory stay bounded."""
MAX_PROJECT_BYTES = 64 * 1024 * 1024
"""A project file larger than this is refused before it is read (a real one is kilobytes)."""
MAX_KEY_PARTS = 256
"""Most parts of one dotted TOML key (``a.b.c`` has 3): ``tomllib`` takes time quadratic in them
(a 50,000-part key, 100 KB of text, took 38-50 s), and a real project's keys have two or three."""
_LONG_KEY = re.compile(r"""(?:(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')[ \t]*\.[ \t]*)""" + f"{{{MAX_KEY_PARTS}}}")


@dataclass(frozen=True)
class Project:
    """A project: settings plus the timeline (which carries its media)."""

    name: str
    timeline: Timeline
    width: int = 1920
    """Export width."""
    height: int = 1080
    """Export height."""
    preview_height: int = 360
    cell_frames: int | None = None
    """Frames per cell; None means 2 s worth at the project rate."""
    path: Path | None = field(default=None, compare=False)
    """Where the project was loaded from or last saved; None for a new unsaved project."""

    @property
    def fps(self) -> Fraction:
        return self.timeline.fps

    @property
    def cell_size(self) -> int:
        return self.cell_frames or max(1, round(2 * self.fps))

    def offline_media(self) -> list[MediaRef]:
        return [m for m in self.timeline.media if not m.online]


def autosave_path(path: Path) -> Path:
    """Where the autosave of ``path`` lives (beside it, hidden)."""
    return path.with_name(f".{path.name}.autosave")


def new_project(name: str = "untitled", fps: Fraction | str = "30") -> Project:
    return Project(name=name, timeline=Timeline(parse_fps(fps)))


def media_ref(media_id: str, path_text: str, base: Path) -> MediaRef:
    """Probe ``path_text`` (relative to ``base``); an unusable file gives an offline ref."""
    joined = Path(os.path.abspath(base / os.path.expanduser(path_text)))
    try:
        resolved = resolve_media_path(joined)
        info = probe(resolved)
    except MediaError as exc:
        return MediaRef(media_id, path_text, joined, None, exc.problem)
    return MediaRef(media_id, path_text, resolved, info)


def resolve_media_path(path: Path) -> Path:
    """``path`` made absolute with symlinks followed; ``MediaError`` for a path no file can have."""
    if "\x00" in str(path):
        raise MediaError(str(path).replace("\x00", "\\0"), "the path contains a NUL character")
    try:
        resolved = path.resolve()
        resolved.stat()
    except FileNotFoundError:
        return path.resolve(strict=False)
    except RuntimeError:  # Python 3.11 reports symlink loops so
        raise MediaError(path, "the path is a symbolic link loop") from None
    except OSError as exc:  # ELOOP, ENAMETOOLONG, EACCES, ...
        raise MediaError(path, f"cannot be opened ({_reason(exc)})") from None
    return resolved


# -- loading -------------------------------------------------------------------------------------
class _Problems:
    """Collects every problem with its place so the user can fix them all in one go."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")


def _get(
    table: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: str,
    problems: _Problems,
    default: Any = None,
    required: bool = False,
) -> Any:
    if key not in table:
        if required:
            problems.add(where, f"missing key '{key}'")
        return default
    value = table[key]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        problems.add(f"{where}.{key}" if where else key, f"expected {want}, got {type(value).__name__} {value!r}")
        return default
    return value


_KNOWN = {
    "": {"version", "project", "preview", "media", "clips", "markers"},
    "markers": {"frame", "name"},
    "project": {"name", "fps", "width", "height"},
    "preview": {"height", "cell_frames"},
    "media": {"id", "path"},
    "clips": {"media", "in", "out", "gap", "gain_db", "mute"},
}


def _unknown_keys(table: dict[str, Any], section: str, where: str, problems: _Problems) -> None:
    """A typo such as ``outt = 5`` should be reported, not silently ignored."""
    for key in table:
        if key not in _KNOWN[section]:
            problems.add(
                f"{where}.{key}" if where else key,
                f"unknown key (expected one of: {', '.join(sorted(_KNOWN[section]))})",
            )


def _positive_int(value: Any, where: str, problems: _Problems, limit: int = MAX_SIZE) -> int | None:
    if value is None:
        return None
    if not 0 < value <= limit:
        problems.add(where, f"{value} is not between 1 and {limit}")
        return None
    return int(value)


def load(path: str | os.PathLike[str]) -> Project:
    """Load and validate a project; ``ProjectError`` lists every problem with its place."""
    p = Path(path)
    try:
        # stat first: a FIFO would block an open, /dev/zero would never end a read
        info = p.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ProjectError(p, ["is a folder, not a project file"])
        if not stat.S_ISREG(info.st_mode):
            raise ProjectError(p, ["is not a regular file (a device, pipe or socket?)"])
        if info.st_size > MAX_PROJECT_BYTES:
            raise ProjectError(
                p, [f"is {info.st_size} bytes, too large for a project file (limit {MAX_PROJECT_BYTES})"]
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProjectError(p, ["file not found"]) from None
    except (OSError, ValueError) as exc:  # symlink loop, name too long, NUL in the name, ...
        raise ProjectError(p, [f"cannot be read ({_reason(exc)})"]) from None
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 BOM is simply accepted
        if _LONG_KEY.search(text):
            raise ProjectError(p, [f"a dotted key has more than {MAX_KEY_PARTS} parts"])
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ProjectError(p, ["not a text file (expected TOML)"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(p, [f"TOML syntax error: {exc}"]) from None
    except RecursionError:
        raise ProjectError(p, ["arrays or tables are nested too deeply"]) from None
    return from_dict(data, p)


def _v1_to_v2(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Version 2 only added ``[[markers]]`` and gaps: a version 1 file is used as it is."""
    if "markers" in data:
        raise ProjectError(path, ["markers: not part of a version 1 file (write version = 2)"])
    clips = data.get("clips")
    new_keys = ("gap", "gain_db", "mute")
    if isinstance(clips, list) and any(isinstance(c, dict) and any(k in c for k in new_keys) for c in clips):
        raise ProjectError(path, ["clips: gaps, gain_db and mute are not part of a version 1 file (write version = 2)"])
    return {**data, "version": 2}


MIGRATIONS = {1: _v1_to_v2}
"""``MIGRATIONS[n]`` turns a parsed version ``n`` file into version ``n + 1``."""


def migrate(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """``data`` brought to ``VERSION``; ``ProjectError`` for a missing or unknown version."""
    version = data.get("version")
    if version is None:
        raise ProjectError(path, [f"missing 'version' (this livecut writes version = {VERSION})"])
    if isinstance(version, bool) or not isinstance(version, int) or not OLDEST_VERSION <= version <= VERSION:
        raise ProjectError(
            path,
            [f"version: {version!r} is not supported (this livecut reads versions {OLDEST_VERSION} to {VERSION})"],
        )
    while data["version"] < VERSION:
        data = MIGRATIONS[data["version"]](data, path)
    return data


def _markers(entries: list[Any], fps: Fraction, problems: _Problems) -> list[Marker]:
    markers: list[Marker] = []
    for i, entry in enumerate(entries):
        where = f"markers[{i}]"
        if not isinstance(entry, dict):
            problems.add(where, "expected a table with 'frame' and an optional 'name'")
            continue
        _unknown_keys(entry, "markers", where, problems)
        name = _get(entry, "name", str, where, problems, "")
        if "frame" not in entry:
            problems.add(where, "missing key 'frame'")
            continue
        try:
            frame = parse_time(entry["frame"], fps)
        except ValueError as exc:
            problems.add(f"{where}.frame", str(exc))
            continue
        if not 0 <= frame <= MAX_FRAMES:
            problems.add(f"{where}.frame", f"{frame} is out of range (0..{MAX_FRAMES})")
            continue
        if len(name) > MAX_MARKER_NAME:
            problems.add(f"{where}.name", f"longer than {MAX_MARKER_NAME} characters")
            continue
        if any(m.frame == frame for m in markers):
            problems.add(f"{where}.frame", f"a second marker at frame {frame}")
            continue
        markers.append(Marker(frame, " ".join(name.split())))
    return markers


def _gap(entry: dict[str, Any], where: str, fps: Fraction, problems: _Problems) -> int | None:
    """The length of a ``[[clips]] gap = ...`` entry (frames, seconds or a timecode)."""
    extra = sorted(k for k in entry if k in ("media", "in", "out"))
    if extra:
        problems.add(where, f"a gap has only a length ('gap'), not {', '.join(extra)}")
        return None
    try:
        frames = parse_time(entry["gap"], fps)
    except ValueError as exc:
        problems.add(f"{where}.gap", str(exc))
        return None
    if not 0 < frames <= MAX_FRAMES:
        problems.add(f"{where}.gap", f"{frames} is out of range (1..{MAX_FRAMES})")
        return None
    return frames


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def from_dict(data: dict[str, Any], path: Path) -> Project:
    """Validate parsed TOML ``data``; media paths are relative to ``path``'s folder."""
    problems = _Problems()
    data = migrate(data, path)

    _unknown_keys(data, "", "", problems)
    proj = _get(data, "project", dict, "", problems, {}, required=True)
    _unknown_keys(proj, "project", "project", problems)
    name = _get(proj, "name", str, "project", problems, path.stem)
    fps_raw = _get(proj, "fps", (str, int, float), "project", problems, "30")
    try:
        fps = parse_fps(fps_raw)
    except ValueError as exc:
        problems.add("project.fps", str(exc))
        fps = Fraction(30)
    width = _positive_int(_get(proj, "width", int, "project", problems, 1920), "project.width", problems) or 1920
    height = _positive_int(_get(proj, "height", int, "project", problems, 1080), "project.height", problems) or 1080
    preview = _get(data, "preview", dict, "", problems, {})
    _unknown_keys(preview, "preview", "preview", problems)
    if width * height > MAX_AREA:
        problems.add("project", f"{width}x{height} is larger than H.264 can encode (at most {MAX_AREA} pixels)")
    preview_height = (
        _positive_int(
            _get(preview, "height", int, "preview", problems, 360), "preview.height", problems, MAX_PREVIEW_HEIGHT
        )
        or 360
    )
    cell_frames = _positive_int(
        _get(preview, "cell_frames", int, "preview", problems), "preview.cell_frames", problems, 100_000
    )

    base = path.parent
    refs: list[MediaRef] = []
    media_list = _get(data, "media", list, "", problems, [])
    for i, entry in enumerate(media_list):
        where = f"media[{i}]"
        if not isinstance(entry, dict):
            problems.add(where, "expected a table with 'id' and 'path'")
            continue
        _unknown_keys(entry, "media", where, problems)
        mid = _get(entry, "id", str, where, problems, required=True)
        mpath = _get(entry, "path", str, where, problems, required=True)
        if mid is None or mpath is None:
            continue
        if not mid.strip():
            problems.add(f"{where}.id", "must not be empty")
            continue
        if any(r.id == mid for r in refs):
            problems.add(f"{where}.id", f"{mid!r} is used twice")
            continue
        refs.append(media_ref(mid, mpath, base))
    by_id = {r.id: r for r in refs}

    clips: list[Clip] = []
    markers = _markers(_get(data, "markers", list, "", problems, []), fps, problems)
    for i, entry in enumerate(_get(data, "clips", list, "", problems, [])):
        where = f"clips[{i}]"
        if not isinstance(entry, dict):
            problems.add(where, "expected a table with 'media', 'in' and 'out'")
            continue
        _unknown_keys(entry, "clips", where, problems)
        if "gap" in entry:
            length = _gap(entry, where, fps, problems)
            if length is not None:
                clips.append(gap(length))
            continue
        mid = _get(entry, "media", str, where, problems, required=True)
        if mid is not None and mid not in by_id:
            problems.add(f"{where}.media", f"unknown media id {mid!r}")
            mid = None
        bounds: list[int | None] = []
        for key in ("in", "out"):
            value = entry.get(key)
            if value is None:
                problems.add(where, f"missing key '{key}'")
                bounds.append(None)
                continue
            try:
                frames = parse_time(value, fps)
            except ValueError as exc:
                problems.add(f"{where}.{key}", str(exc))
                bounds.append(None)
                continue
            if not 0 <= frames <= MAX_FRAMES:
                problems.add(f"{where}.{key}", f"{frames} is out of range (0..{MAX_FRAMES})")
                bounds.append(None)
                continue
            bounds.append(frames)
        start, end = bounds
        if mid is None or start is None or end is None:
            continue
        if end <= start:
            problems.add(where, f"out ({end}) must be after in ({start})")
            continue
        length = by_id[mid].length(fps)
        if length is not None and end > length:
            problems.add(f"{where}.out", f"{end} is past the end of media {mid!r} ({length} frames)")
            continue
        if length is None and end - start > MAX_OFFLINE_SECONDS * fps:
            problems.add(
                f"{where}.out",
                f"{end - start} frames of offline media {mid!r} is longer than {MAX_OFFLINE_SECONDS // 3600} h "
                "(its real length is unknown: relink the file or shorten the clip)",
            )
            continue
        gain = _get(entry, "gain_db", (int, float), where, problems, 0.0)
        if not MIN_GAIN_DB <= gain <= MAX_GAIN_DB:  # NaN fails this too
            problems.add(f"{where}.gain_db", f"{gain} is not between {MIN_GAIN_DB:g} and {MAX_GAIN_DB:g} dB")
            continue
        mute = _get(entry, "mute", bool, where, problems, False)
        clips.append(Clip(mid, start, end, float(gain), mute))
    if problems.items:
        raise ProjectError(path, problems.items)
    for ref in refs:
        if not ref.online:
            log.warning("media %r offline: %s (%s)", ref.id, ref.resolved, ref.error)
    timeline = Timeline(fps, tuple(refs), tuple(clips), tuple(sorted(markers)))
    return Project(name, timeline, width, height, preview_height, cell_frames, path)


# -- saving --------------------------------------------------------------------------------------
def _fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def _relative(ref: MediaRef, base: Path) -> str:
    """Relative under the project's folder (the folder moves as one), absolute elsewhere: a
    ``../../footage`` path breaks as soon as the project file moves without the footage."""
    try:
        return ref.resolved.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(ref.resolved)


def to_dict(project: Project, base: Path) -> dict[str, Any]:
    preview: dict[str, Any] = {"height": project.preview_height}
    if project.cell_frames:
        preview["cell_frames"] = project.cell_frames
    data: dict[str, Any] = {
        "version": VERSION,
        "project": {
            "name": project.name,
            "fps": _fps_text(project.fps),
            "width": project.width,
            "height": project.height,
        },
        "preview": preview,
        "media": [{"id": m.id, "path": _relative(m, base)} for m in project.timeline.media],
        "clips": [_clip_dict(c) for c in project.timeline.clips],
    }
    if project.timeline.markers:
        data["markers"] = [{"frame": m.frame, "name": m.name} for m in project.timeline.markers]
    return data


def _clip_dict(clip: Clip) -> dict[str, Any]:
    if clip.media == GAP:
        return {"gap": clip.length}
    out: dict[str, Any] = {"media": clip.media, "in": clip.in_, "out": clip.out}
    if clip.gain_db:
        out["gain_db"] = clip.gain_db
    if clip.mute:
        out["mute"] = True
    return out


def blocks(project: Project, base: Path) -> list[comments.Block]:
    """The file's sections in the stable layout: ``version``, ``[project]``, ``[preview]``, then
    ``[[media]]``, ``[[clips]]`` and ``[[markers]]`` as tables, whatever they hold, so two saves of
    similar projects read alike and diff cleanly."""
    data = to_dict(project, base)
    out = [comments.Block(None, {"version": data["version"]})]
    out.extend(comments.Block(table, data[table]) for table in ("project", "preview"))
    for array in ("media", "clips", "markers"):
        out.extend(comments.Block(array, item, entry=True) for item in data.get(array, ()))
    return out


def dumps(project: Project, base: Path, keep: comments.Comments | None = None) -> str:
    """The project as TOML in the stable layout (``blocks``); with ``keep``, an old file's comments
    carried beside what they describe (``core.model.comments``). The values are always the model's."""
    layout = blocks(project, base)
    if keep is not None:
        try:
            return comments.render(layout, keep)
        except Exception:  # a comment must never cost the save: write without them
            log.warning("%s: its comments could not be carried; saved without them", keep.source, exc_info=True)
    return comments.render(layout)


def save(project: Project, path: str | os.PathLike[str] | None = None) -> Project:
    """Write ``project`` atomically to ``path`` (default: its own path); returns it with that path.

    The user's comments are carried from the project's own file (its ``path``; so "save as" and
    the autosave keep them too), or, for a project without one, from the file being replaced.
    """
    target = Path(path) if path is not None else project.path
    if target is None:
        raise ProjectError("(unsaved project)", ["no file name given: use save as"])
    target = target.resolve()
    keep = _comments_for(project, target)
    try:
        write_atomic(target, dumps(project, target.parent, keep).encode("utf-8"))
    except OSError as exc:
        raise ProjectError(
            target, [f"cannot be saved ({exc.strerror or exc}); the previous file is unchanged"]
        ) from None
    return replace(project, path=target)


def _comments_for(project: Project, target: Path) -> comments.Comments | None:
    """The comments to carry into ``target``: the project's own file's when it has one (so a save
    as or an autosave keeps them), else those of the file being replaced."""
    source = target
    with contextlib.suppress(OSError, ValueError):  # ValueError: a NUL in the name
        if project.path is not None and project.path.is_file():
            source = project.path.resolve()
    keep = comments.read(source, MAX_PROJECT_BYTES)
    if keep is not None and source != target:
        keep = replace(keep, report_dropped=False)  # the file that holds them stays
    return keep


def new_from_media(path: str | os.PathLike[str], media: list[str], fps: str | None = None) -> Project:
    """A project with one whole clip per file (``livecut new``); the rate follows the first video
    (snapped to the common rate it is measured just off, ``core.timebase.project_rate``)."""
    target = Path(path).resolve()
    base = target.parent
    refs: list[MediaRef] = []
    for i, item in enumerate(media):
        rel = os.path.relpath(resolve_media_path(Path(item)), base)
        ref = media_ref(_media_id(i), rel, base)
        if not ref.online:
            raise MediaError(ref.resolved, ref.error or "cannot be used")
        refs.append(ref)
    first_video = next((r.info.video for r in refs if r.info and r.info.video), None)
    rate = parse_fps(fps) if fps else (project_rate(first_video.fps) if first_video else Fraction(30))
    width, height = fit_export_size(*(first_video.display_size if first_video else (1920, 1080)))
    timeline = Timeline(rate, tuple(refs))
    for ref in refs:
        timeline = timeline.append(Clip(ref.id, 0, ref.length(rate) or 1))
    return Project(target.stem, timeline, width + width % 2, height + height % 2, 360, None, target)


def _media_id(i: int) -> str:
    """a, b, ..., z, aa, ab, ..."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(97 + r) + letters
    return letters


def next_media_id(timeline: Timeline) -> str:
    used = {m.id for m in timeline.media}
    i = 0
    while _media_id(i) in used:
        i += 1
    return _media_id(i)


def fit_export_size(width: int, height: int) -> tuple[int, int]:
    """``width``×``height`` scaled down (keeping the aspect) to what an export can honour."""
    scale = min(1.0, MAX_SIZE / max(width, height, 1), (MAX_AREA / max(1, width * height)) ** 0.5)
    return max(2, int(width * scale)), max(2, int(height * scale))
