"""What the editor says about its background exports: the status line's part and the outcomes.

Why plain functions: the export queue (``core.export.queue``) reports frozen events; the editor
screen keeps the running job's latest progress and asks these for its words, so the texts are
tested without an app and the screen only wires them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.errors import LivecutError
from core.export.queue import ExportJob, JobCancelled, JobFailed, JobFinished
from core.export.render import ExportProgress, OutputExistsError

log = logging.getLogger(__name__)

ENCODE_SHARE = 90
"""Per cent of the bar the encode stage fills when there is something to encode; the join
(a remux, no codec work) fills the rest."""


def percent(progress: ExportProgress | None) -> int:
    """How far the whole export is, 0–100, from the report of its current stage."""
    if progress is None:
        return 0
    share = progress.done / progress.total if progress.total else 1.0
    if progress.stage == "encode":
        return int(ENCODE_SHARE * share) if progress.total else 0
    base = ENCODE_SHARE if progress.segments_encoding else 0
    return min(100, int(base + (100 - base) * share))


def shown_path(path: Path, folder: Path) -> str:
    """``film.mp4`` for a file in the project's folder, else the path as typed out in full."""
    return str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)


def job_text(running: ExportJob | None, progress: ExportProgress | None, waiting: int, folder: Path) -> str:
    """The status line's export part: ``export 42% → film.mp4 · 1 queued``; empty when idle."""
    queued = f" · {waiting} queued" if waiting else ""
    if running is None:
        return f"export{queued}" if waiting else ""
    return f"export {percent(progress)}% → {shown_path(running.output, folder)}{queued}"


def finished_text(event: JobFinished, folder: Path) -> str:
    """``exported film.mp4: 12.0 s, 1280×720, in 3.1 s; …``; a smart export adds what it copied
    (``300 frames copied, 60 encoded``), or why it copied nothing."""
    r = event.result
    smart = ""
    if r.smart is not None:
        s = r.smart
        smart = (
            f"smart copied nothing: {s.reason}; "
            if s.reason
            else f"{s.frames_copied} frames copied, {s.frames_encoded} encoded; "
        )
    return (
        f"exported {shown_path(r.output, folder)}: {r.duration_s:.1f} s, {r.width}×{r.height}, "
        f"in {r.seconds:.1f} s; {smart}{r.sound}"
    )


def cancelled_text(event: JobCancelled, folder: Path) -> str:
    where = shown_path(event.job.output, folder)
    if event.started:
        return f"export cancelled: {where} was not written"
    return f"queued export of {where} dropped"


def failed_text(event: JobFailed, folder: Path) -> str:
    """The sentence for an export that failed (the editor shows it on the status line and in a toast)."""
    error, where = event.error, shown_path(event.job.output, folder)
    if isinstance(error, OutputExistsError):
        return f"export of {where} failed: the file appeared meanwhile; export again to replace it"
    if isinstance(error, LivecutError):
        return f"export of {where} failed: {error}"
    return f"export of {where} failed: {type(error).__name__}: {error}"


def running_text(running: ExportJob | None, progress: ExportProgress | None, waiting: int, folder: Path) -> str:
    """What the quit question says is under way: ``film.mp4 is 42 % exported and 1 more is queued``."""
    parts = []
    if running is not None:
        parts.append(f"{shown_path(running.output, folder)} is {percent(progress)} % exported")
    if waiting:
        parts.append(f"{waiting} more export{'s' if waiting != 1 else ''} {'are' if waiting != 1 else 'is'} queued")
    return " and ".join(parts)
