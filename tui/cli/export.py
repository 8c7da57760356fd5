"""``livecut export``: render the film to one MP4 (H.264 + AAC, faststart), or one per clip.

``--split DIR`` writes each clip as a film of its own (``core.export.split``): the same export,
run once per one-clip project, so each file is staged, renamed and permission-set like the single
film. All names are checked before the first file is written, so a refusal writes nothing.

The export runs on a worker thread so that the main thread, which receives Ctrl-C, only waits:
an interrupt sets the export's cancel event and waits for the engine to stop and remove its
temp file (within about a second), then exits 130 with one line; SIGTERM does the same (exit 143). Progress goes to stderr (a bar
on a TTY, a line every 2 s otherwise) through the same helper as ``encode`` and ``preview``.

A ``kill -9`` cannot be cleaned up after by the process itself: each run first removes the part
files that killed exports left in the output's folder, and marks its own (``core.export.leftovers``)
so that the next run can tell a dead export's file from a running one's.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import locations
from core.export.limits import CRF_RANGE, DEFAULT_CRF, HEIGHT_RANGE, LOUDNESS_RANGE, X264_PRESETS
from tui.cli.command import Command

if TYPE_CHECKING:
    from core.export.render import ExportOptions, ExportProgress, ExportResult

from tui.cli.output import Progress, UsageError, bar, check_workers, emit_json, say, warn

CLUSTER_ENV = locations.CLUSTER_ENV
"""Names the Dask scheduler when ``--cluster`` is not given (``core.locations.cluster``)."""
_CLEANUP_WAIT_S = 10.0
"""How long an interrupted export may take to clean up before the command gives up waiting."""


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file")
    p.add_argument("-o", "--output", default=None, help="the MP4 file to write")
    p.add_argument(
        "--split",
        default=None,
        metavar="DIR",
        help="instead of -o: write each clip to a file of its own in DIR (01-a.mp4, 02-b.mp4, …; gaps skipped)",
    )
    p.add_argument(
        "--height", type=int, default=None, help="output height (width follows the aspect; default: the project's size)"
    )
    p.add_argument(
        "--crf",
        type=int,
        default=DEFAULT_CRF,
        help=f"x264 quality, {CRF_RANGE.start}-{CRF_RANGE.stop - 1}, lower is better (default: {DEFAULT_CRF})",
    )
    p.add_argument("--preset", choices=X264_PRESETS, default="veryfast", help="x264 speed preset (default: veryfast)")
    p.add_argument("--encoder", default=None, help="force an H.264 encoder (default: auto-detect)")
    p.add_argument("--workers", type=int, default=None, help="segments encoded at once (default: CPU count)")
    p.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    p.add_argument("--allow-offline", action="store_true", help="render offline media as black instead of failing")
    p.add_argument(
        "--cluster",
        default=locations.cluster(),
        metavar="tcp://HOST:8786",
        help=f"encode the segments on this Dask scheduler (default: ${CLUSTER_ENV}; needs livecut[cluster])",
    )
    p.add_argument(
        "--loudness",
        type=float,
        default=None,
        metavar="LUFS",
        help="normalise the sound to this integrated loudness (BS.1770): -14 for streaming, -23 for broadcast",
    )
    p.add_argument(
        "--smart",
        action="store_true",
        help="copy the H.264 sources' whole GOPs as they are; encode only the frames at each cut",
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")


def _options(args: argparse.Namespace) -> ExportOptions:
    from core.export.render import ExportOptions

    check_workers(args.workers)
    if args.crf not in CRF_RANGE:
        raise UsageError(f"--crf must be between {CRF_RANGE.start} and {CRF_RANGE.stop - 1}")
    if args.height is not None and args.height not in HEIGHT_RANGE:
        raise UsageError(f"--height must be between {HEIGHT_RANGE.start} and {HEIGHT_RANGE.stop - 1}")
    low, high = LOUDNESS_RANGE
    if args.loudness is not None and not low <= args.loudness <= high:
        raise UsageError(f"--loudness must be between {low:g} and {high:g} LUFS (e.g. -14 for streaming)")
    return ExportOptions(
        loudness=args.loudness,
        height=args.height,
        crf=args.crf,
        preset=args.preset,
        encoder=args.encoder,
        workers=args.workers,
        force=args.force,
        allow_offline=args.allow_offline,
        cluster=args.cluster or None,
        smart=args.smart,
    )


def _output(args: argparse.Namespace) -> Path:
    if args.output is None:
        raise UsageError("give the file to write with -o OUT.mp4, or a folder with --split DIR")
    out = Path(args.output)
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give a file name such as {out / 'film.mp4'}")
    if out.exists() and not args.force:
        raise UsageError(f"{out} already exists (use --force to overwrite)")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder")
    return out


def _split_folder(args: argparse.Namespace) -> Path:
    if args.output is not None:
        raise UsageError("give either -o OUT.mp4 (one film) or --split DIR (one file per clip), not both")
    folder = Path(args.split)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is not a folder (--split writes one file per clip into a folder)")
    return folder


def _split_targets(folder: Path, names: list[str], force: bool) -> list[Path]:
    """The files ``--split`` writes; refused before any is written when one exists (without --force)."""
    if not names:
        raise UsageError("the timeline has no clips to split (only gaps)")
    targets = [folder / n for n in names]
    for out in targets:
        if out.is_dir():
            raise UsageError(f"{out} is a folder; remove it or split into another folder")
        if out.exists() and not force:
            raise UsageError(f"{out} already exists (use --force to overwrite)")
    return targets


class _Reporter:
    """Turns engine progress into the stderr line; a stage's start and end always print."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.stage = ""
        self.prefix = ""
        """``2/5 02-b.mp4: `` while ``--split`` writes its second file of five; "" for one film."""

    def __call__(self, event: ExportProgress) -> None:
        verb = "encoding" if event.stage == "encode" else "joining"
        detail = f"{event.segments_encoding} segments to encode, {event.segments_reused} reused"
        force = event.stage != self.stage or event.done == event.total
        if event.total == 0:
            text = f"{verb}: nothing to do, all {event.segments_reused} segments are cached"
        else:
            text = f"{verb} {bar(event.done, event.total)} frames ({detail})"
        self.progress.show(self.prefix + text, force=force)
        self.stage = event.stage


def cmd_export(args: argparse.Namespace) -> int:
    from core.cells.store import default_cache_dir
    from core.errors import Cancelled
    from core.export import leftovers
    from core.export.render import OutputExistsError, export
    from core.export.split import segments
    from core.model import project as proj

    options = _options(args)
    if args.split is not None:
        folder = _split_folder(args)
        project = proj.load(args.project)
        parts = segments(project)
        jobs = list(
            zip(_split_targets(folder, [s.name for s in parts], args.force), [s.project for s in parts], strict=True)
        )
        folder.mkdir(parents=True, exist_ok=True)
    else:
        out = _output(args)
        jobs = [(out, proj.load(args.project))]
    progress = Progress(quiet=args.json)
    report = _Reporter(progress)
    for path in leftovers.clean(jobs[0][0].parent):
        if path.suffix == ".part":
            warn(f"removed {path}, left by an export that was killed")
    results: list[ExportResult] = []
    for n, (out, project) in enumerate(jobs, start=1):
        cancel = threading.Event()
        report.prefix = f"{n}/{len(jobs)} {out.name}: " if args.split is not None else ""
        report.stage = ""

        def work(out: Path = out, project: proj.Project = project, cancel: threading.Event = cancel) -> ExportResult:
            with leftovers.exporting(out, default_cache_dir()):
                return export(project, out, options, cancel=cancel, on_progress=report)

        try:
            with _sigterm_as_interrupt() as received:
                result = _in_thread(work, cancel)
        except Cancelled:
            progress.done()
            written = f" ({len(results)} of {len(jobs)} files were written)" if args.split is not None else ""
            warn(f"export cancelled; {out} was not written{written}")
            return 128 + received[0] if received else 130
        except OutputExistsError as exc:
            raise UsageError(str(exc)) from None
        progress.done()
        where = f"{out.name}: " if args.split is not None else ""  # a split file's own clip is its clip 1
        for text in result.warnings:
            warn(f"{where}warning: {text}")
        if result.smart is not None:
            for text in result.smart.messages:
                warn(where + text)
        if not args.json:
            say(_summary(out, result, args))
        results.append(result)
    if args.json:
        if args.split is None:
            emit_json(results[0].to_dict())
        else:
            emit_json({"folder": str(folder), "files": [r.to_dict() for r in results]})
    return 0


def _summary(out: Path, result: ExportResult, args: argparse.Namespace) -> str:
    """``wrote film.mp4: 75 frames, …``: one line per written file."""
    head = (
        f"wrote {out}: {result.frames} frames, {result.duration_s:.2f} s, {result.bytes / 1e6:.1f} MB, "
        f"{result.width}x{result.height} {result.encoder}; "
    )
    smart = result.smart
    if smart is not None and not smart.reason:
        return (
            head + f"{smart.frames_copied} frames copied, {smart.frames_encoded} encoded in {result.seconds:.1f} s "
            f"({smart.bytes_copied / 1e6:.1f} of {smart.video_bytes / 1e6:.1f} MB of video are the sources' own); "
            f"{result.sound}"
        )
    return (
        head + f"{result.segments_encoded} segments encoded, {result.segments_reused} reused "
        f"in {result.seconds:.1f} s"
        + (f" ({result.segments_sent} on the cluster {args.cluster})" if args.cluster else "")
        + f"; {result.sound}"
    )


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[list[int]]:
    """SIGTERM (``kill``, a closing terminal, a service manager) cancels like Ctrl-C: the export
    cleans up its part file and its lock instead of dying with them on disk. The list yielded
    receives the signal's number, for the exit status (143 after SIGTERM)."""
    received: list[int] = []

    def interrupt(signum: int, _frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _in_thread(work: Callable[[], ExportResult], cancel: threading.Event) -> ExportResult:
    """Run ``work`` on a thread; Ctrl-C sets ``cancel`` and waits for it to finish cleaning up."""
    outcome: dict[str, Any] = {}  # "result": ExportResult, or "error": BaseException
    finished = threading.Event()
    # an Event, not Thread.is_alive: a join() cut short by Ctrl-C can leave is_alive() False
    # while the thread still runs, and the command would exit before the export cleaned up

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=target, name="livecut-export", daemon=True)
    worker.start()
    try:
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        cancel.set()
        _wait_cleanup(finished)
    error = outcome.get("error")
    if error is not None:
        raise error
    if cancel.is_set() and "result" not in outcome:
        from core.errors import Cancelled

        raise Cancelled
    result: ExportResult = outcome["result"]
    return result


def _wait_cleanup(finished: threading.Event) -> None:
    """Wait for the cancelled export to finish; further Ctrl-Cs do not cut its clean-up short."""
    deadline = time.monotonic() + _CLEANUP_WAIT_S
    while not finished.is_set() and time.monotonic() < deadline:
        try:
            finished.wait(0.1)
        except KeyboardInterrupt:
            continue


COMMAND = Command("export", "render the project to an MP4 file (H.264 + AAC)", _setup, cmd_export)
