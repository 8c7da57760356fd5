"""Project → OpenTimelineIO → a file (OTIO, OTIO bundle, EDL, FCP 7 XML).

Every time is a whole frame at the project rate (``RationalTime(frames, rate)``), so nothing is
rounded on the way out; the exact rational rate, the media ids and the project settings also
travel as ``livecut`` metadata so that an OTIO round trip gives back the same project. Media
references carry absolute paths (``file://`` URLs; plain paths in an EDL, where finishing tools
read them as text). A video track holds the cut (gaps as OTIO gaps); an audio track mirrors it
for the tools that import picture and sound separately (livecut plays each clip's own audio);
markers are sequence markers (in an EDL, LOC comments on the clip under them); gain and mute are
``livecut`` clip metadata. Reel names in an EDL are the file names cut to 8 letters and digits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from core.atomic import write_atomic
from core.interchange.errors import InterchangeError
from core.interchange.formats import Format, adapter_for, format_for
from core.model.project import Project
from core.model.timeline import GAP
from core.text import printable
from core.timebase import frames_to_timecode

log = logging.getLogger(__name__)

META = "livecut"
"""The metadata namespace livecut writes and reads back."""


@dataclass(frozen=True)
class ConvertResult:
    """What ``export_timeline`` wrote."""

    path: Path
    format: Format
    clips: int
    """Clips written (gaps not counted)."""
    frames: int
    markers_left_out: int = 0
    """Markers an EDL could not carry (over a gap or past the end: an EDL has only clip markers)."""


def fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def to_otio(
    project: Project,
    *,
    plain_paths: bool = False,
    audio: bool = True,
    clip_markers: bool = False,
    clean: Callable[[str], str] = str,
) -> Any:
    """The project as an ``opentimelineio.schema.Timeline`` (frames at the project rate).

    Gaps become OTIO gaps; markers become sequence markers, or with ``clip_markers`` markers on
    the clip under them (what an EDL can carry: markers over a gap are then left out). ``clean``
    is applied to every name and plain path: ``core.text.printable`` for formats that cannot hold
    control characters (an EDL is lines of text; XML 1.0 cannot hold most C0 controls at all)."""
    from core.interchange.formats import otio_module

    otio = otio_module()
    tl = project.timeline
    rate = float(tl.fps)

    def rt(frames: int) -> Any:
        return otio.opentime.RationalTime(frames, rate)

    def reference(media_id: str) -> Any:
        ref = tl.media_by_id(media_id)
        if plain_paths:
            target = clean(str(ref.resolved))
        else:  # OTIO's URL keeps control characters raw: percent-encoded, the URL still names the file
            target = url_controls_quoted(otio.url_utils.url_from_filepath(str(ref.resolved)))
        length = ref.length(tl.fps)
        if length is None:  # offline: at least as long as its clips use (FCP XML needs a length)
            length = max((c.out for c in tl.clips if c.media == media_id), default=1)
        available = otio.opentime.TimeRange(rt(0), rt(length))
        out = otio.schema.ExternalReference(target_url=target, available_range=available)
        out.name = clean(ref.name)
        out.metadata[META] = {"media": ref.id}
        return out

    out = otio.schema.Timeline(name=clean(project.name))
    if all(c.media == GAP for c in tl.clips):
        # no clip to carry the rate: FCP XML then writes it in the sequence timecode (setting it
        # always would make the FCP XML writer misplace clips that repeat a file)
        out.global_start_time = rt(0)
    out.metadata[META] = {
        "fps": fps_text(tl.fps),
        "width": project.width,
        "height": project.height,
        "preview_height": project.preview_height,
        "cell_frames": project.cell_frames or 0,
        "media": [{"id": m.id, "path": clean(str(m.resolved))} for m in tl.media],
    }
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for placed in tl.placed():
        clip = placed.clip
        if clip.media == GAP:  # black and silent: a gap in both tracks
            video.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(clip.length))))
            sound.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(clip.length))))
            continue
        source = otio.opentime.TimeRange(rt(clip.in_), rt(clip.length))
        ref = tl.media_by_id(clip.media)
        name = clean(ref.resolved.stem)
        picture = otio.schema.Clip(name=name, media_reference=reference(clip.media), source_range=source)
        picture.metadata["cmx_3600"] = {"reel": reel_name(name)}
        # each clip distinct: the FCP XML writer turns equal items into back-references, which
        # its own reader then misplaces (a repeated shot became a gap)
        sound_meta = {"gain_db": clip.gain_db, "mute": clip.mute}  # the clip's sound, as livecut plays it
        picture.metadata[META] = {"clip": placed.index, **sound_meta}
        if clip_markers:  # an EDL has no sequence markers: LOC comments on the clip, in source time
            for marker in tl.markers:
                if placed.start <= marker.frame < placed.end:
                    at = otio.opentime.TimeRange(rt(clip.in_ + marker.frame - placed.start), rt(0))
                    picture.markers.append(otio.schema.Marker(name=clean(marker.name), marked_range=at))
        video.append(picture)
        if ref.info is None or ref.info.audio is not None:
            own_sound = otio.schema.Clip(name=name, media_reference=reference(clip.media), source_range=source)
            own_sound.metadata[META] = {"clip": placed.index, "sound": True, **sound_meta}
            sound.append(own_sound)
        else:  # silent media: keep the later sound in place
            sound.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(clip.length))))
    if not clip_markers:  # sequence markers, at timeline frames
        for marker in tl.markers:
            at = otio.opentime.TimeRange(rt(marker.frame), rt(0))
            out.tracks.markers.append(otio.schema.Marker(name=clean(marker.name), marked_range=at))
    if clip_markers and len(video) and isinstance(video[0], otio.schema.Gap):
        # an EDL starts at its first event: black at the start is a BL (black) event
        black = otio.schema.Clip(
            name="BL",
            media_reference=otio.schema.GeneratorReference(generator_kind="black"),
            source_range=otio.opentime.TimeRange(rt(0), video[0].source_range.duration),
        )
        black.metadata["cmx_3600"] = {"reel": "BL"}
        video[0] = black
    out.tracks.append(video)
    if audio and any(isinstance(item, otio.schema.Clip) for item in sound):
        out.tracks.append(sound)
    return out


def url_controls_quoted(url: str) -> str:
    """``url`` with its control characters percent-encoded (``%1B``), as RFC 3986 wants them."""
    return "".join(f"%{ord(ch):02X}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in url)


def reel_name(stem: str) -> str:
    """An EDL reel: at most 8 letters and digits (the adapter would keep spaces, which split the
    event line into too many fields); ``AX`` (unknown source) when nothing is left."""
    return re.sub(r"[^A-Za-z0-9_]", "", stem)[:8] or "AX"


def export_timeline(project: Project, path: str | os.PathLike[str], fmt: str | Format | None = None) -> ConvertResult:
    """Write ``project``'s timeline to ``path`` as ``fmt`` (default: from the suffix); atomic."""
    target = Path(path)
    chosen = fmt if isinstance(fmt, Format) else format_for(target, fmt)
    otio = adapter_for(chosen)
    edl = chosen.name == "edl"
    text_only = chosen.name in ("edl", "xml")  # OTIO's JSON escapes control characters itself
    timeline = to_otio(project, plain_paths=edl, audio=not edl, clip_markers=edl, clean=printable if text_only else str)
    tl = project.timeline
    if chosen.name == "otioz":
        _write_bundle(otio, timeline, target)
    else:
        kwargs: dict[str, Any] = {"rate": float(tl.fps)} if chosen.name == "edl" else {}
        try:
            if chosen.name == "edl" and not tl.clips:
                text = f"TITLE: {printable(project.name)}\n"  # the adapter cannot write an empty track
            else:
                text = otio.adapters.write_to_string(timeline, chosen.adapter, **kwargs)
        except Exception as exc:  # the adapters raise their own types (and plain ValueErrors)
            raise InterchangeError(f"{target}: cannot write {chosen.description} ({_reason(exc)})") from None
        if chosen.name == "edl":
            text = _with_fcm(_loc_without_drop_frame(otio, text, tl.fps), tl.fps)
        try:
            write_atomic(target, text.encode("utf-8"))
        except OSError as exc:
            raise InterchangeError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    clips = [p for p in tl.placed() if p.clip.media != GAP]
    left_out = sum(1 for m in tl.markers if not any(p.start <= m.frame < p.end for p in clips)) if edl else 0
    log.info("exported %d clips to %s (%s)", len(clips), target, chosen.name)
    return ConvertResult(target, chosen, len(clips), tl.duration, left_out)


_LOC = re.compile(r"^(\* LOC: )(\d\d:\d\d:\d\d;\d\d)", re.MULTILINE)


def _loc_without_drop_frame(otio: Any, text: str, fps: Fraction) -> str:
    """The EDL reader only knows ``HH:MM:SS:FF`` in a LOC comment (a drop-frame ``;`` would make it
    skip the marker), so marker times are written as non-drop timecode of the same frame."""

    def plain(m: re.Match[str]) -> str:
        frames = int(otio.opentime.from_timecode(m.group(2), float(fps)).value)
        return m.group(1) + frames_to_timecode(frames, fps)

    return _LOC.sub(plain, text)


def _with_fcm(text: str, fps: Fraction) -> str:
    """Say whether the timecode drops frames (the adapter does not; readers ignore it or use it)."""
    drop = fps.denominator == 1001 and fps.numerator % 30000 == 0
    fcm = "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME"
    head, _, rest = text.partition("\n")
    return f"{head}\n{fcm}\n{rest}" if head.startswith("TITLE:") else f"{fcm}\n{text}"


def _write_bundle(otio: Any, timeline: Any, target: Path) -> None:
    """An .otioz zips the media too; offline media stay as missing references."""
    folder = target.resolve().parent
    policy = otio.adapters.file_bundle_utils.MediaReferencePolicy.MissingIfNotFile
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".otioz", dir=folder)
    os.close(fd)
    os.unlink(tmp_name)  # the adapter refuses to overwrite
    try:
        otio.adapters.write_to_file(timeline, tmp_name, adapter_name="otioz", media_policy=policy)
        os.replace(tmp_name, target)
    except OSError as exc:
        raise InterchangeError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    except Exception as exc:
        raise InterchangeError(f"{target}: cannot write an OTIO bundle ({_reason(exc)})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
