"""Project → OpenTimelineIO → a file (OTIO, OTIO bundle, EDL, FCP 7 XML).

Every time is a whole frame at the project rate (``RationalTime(frames, rate)``), so nothing is
rounded on the way out; the exact rational rate, the media ids and the project settings also
travel as ``livecut`` metadata so that an OTIO round trip gives back the same project. Media
references carry absolute paths (``file://`` URLs; plain paths in an EDL, where finishing tools
read them as text). A video track holds the cut; an audio track mirrors it for the tools that
import picture and sound separately (livecut plays each clip's own audio).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from core.atomic import write_atomic
from core.interchange.errors import InterchangeError
from core.interchange.formats import Format, adapter_for, format_for
from core.model.project import Project

log = logging.getLogger(__name__)

META = "livecut"
"""The metadata namespace livecut writes and reads back."""


@dataclass(frozen=True)
class ExportResult:
    """What ``export_timeline`` wrote."""

    path: Path
    format: Format
    clips: int
    frames: int


def fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def to_otio(project: Project, *, plain_paths: bool = False, audio: bool = True) -> Any:
    """The project as an ``opentimelineio.schema.Timeline`` (frames at the project rate)."""
    from core.interchange.formats import otio_module

    otio = otio_module()
    tl = project.timeline
    rate = float(tl.fps)

    def rt(frames: int) -> Any:
        return otio.opentime.RationalTime(frames, rate)

    def reference(media_id: str) -> Any:
        ref = tl.media_by_id(media_id)
        target = str(ref.resolved) if plain_paths else otio.url_utils.url_from_filepath(str(ref.resolved))
        length = ref.length(tl.fps)
        if length is None:  # offline: at least as long as its clips use (FCP XML needs a length)
            length = max((c.out for c in tl.clips if c.media == media_id), default=1)
        available = otio.opentime.TimeRange(rt(0), rt(length))
        out = otio.schema.ExternalReference(target_url=target, available_range=available)
        out.name = ref.name
        out.metadata[META] = {"media": ref.id}
        return out

    out = otio.schema.Timeline(name=project.name)
    out.metadata[META] = {
        "fps": fps_text(tl.fps),
        "width": project.width,
        "height": project.height,
        "preview_height": project.preview_height,
        "cell_frames": project.cell_frames or 0,
        "media": [{"id": m.id, "path": str(m.resolved)} for m in tl.media],
    }
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for clip in tl.clips:
        source = otio.opentime.TimeRange(rt(clip.in_), rt(clip.length))
        name = Path(tl.media_by_id(clip.media).resolved).stem
        picture = otio.schema.Clip(name=name, media_reference=reference(clip.media), source_range=source)
        picture.metadata["cmx_3600"] = {"reel": reel_name(name)}
        video.append(picture)
        ref = tl.media_by_id(clip.media)
        if ref.info is None or ref.info.audio is not None:
            sound.append(otio.schema.Clip(name=name, media_reference=reference(clip.media), source_range=source))
        else:  # silent media: keep the later sound in place
            sound.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(rt(0), rt(clip.length))))
    out.tracks.append(video)
    if audio and any(isinstance(item, otio.schema.Clip) for item in sound):
        out.tracks.append(sound)
    return out


def reel_name(stem: str) -> str:
    """An EDL reel: at most 8 letters and digits (the adapter would keep spaces, which split the
    event line into too many fields); ``AX`` (unknown source) when nothing is left."""
    return re.sub(r"[^A-Za-z0-9_]", "", stem)[:8] or "AX"


def export_timeline(project: Project, path: str | os.PathLike[str], fmt: str | Format | None = None) -> ExportResult:
    """Write ``project``'s timeline to ``path`` as ``fmt`` (default: from the suffix); atomic."""
    target = Path(path)
    chosen = fmt if isinstance(fmt, Format) else format_for(target, fmt)
    otio = adapter_for(chosen)
    timeline = to_otio(project, plain_paths=chosen.name == "edl", audio=chosen.name != "edl")
    tl = project.timeline
    if chosen.name == "otioz":
        _write_bundle(otio, timeline, target)
    else:
        kwargs: dict[str, Any] = {"rate": float(tl.fps)} if chosen.name == "edl" else {}
        try:
            if chosen.name == "edl" and not tl.clips:
                text = f"TITLE: {project.name}\n"  # the adapter cannot write an empty track
            else:
                text = otio.adapters.write_to_string(timeline, chosen.adapter, **kwargs)
        except Exception as exc:  # the adapters raise their own types (and plain ValueErrors)
            raise InterchangeError(f"{target}: cannot write {chosen.description} ({_reason(exc)})") from None
        if chosen.name == "edl":
            text = _with_fcm(text, tl.fps)
        try:
            write_atomic(target, text.encode("utf-8"))
        except OSError as exc:
            raise InterchangeError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    log.info("exported %d clips to %s (%s)", len(tl.clips), target, chosen.name)
    return ExportResult(target, chosen, len(tl.clips), tl.duration)


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
