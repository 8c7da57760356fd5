"""``livecut preview``: encode what is missing and write the assembled preview stream to a file."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from core.errors import LivecutError
from tui.cli.command import Command
from tui.cli.engine_run import start_engine, status
from tui.cli.output import Progress, UsageError, emit_json, say, warn


def _setup_preview(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("-o", "--output", help="where to write the assembled preview stream (.mp4)")
    p.add_argument("--realtime", action="store_true", help="play at 1x without a display: would playback keep up?")
    p.add_argument("--quality", choices=("auto", "full", "half", "quarter"), default="auto", help="with --realtime")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")


def cmd_preview(args: argparse.Namespace) -> int:
    from core.atomic import write_atomic
    from core.stream.assembler import Assembler
    from core.stream.bytestream import GrowingStream

    if args.realtime:
        from tui.cli.preview_realtime import cmd_realtime

        return cmd_realtime(args)
    if args.output is None:
        raise UsageError("-o OUTPUT is required (or --realtime)")
    out = Path(args.output)
    if out.is_dir():
        raise UsageError(f"{out} is a folder; give a file name such as {out / 'preview.mp4'}")
    if out.exists() and not args.force:
        raise UsageError(f"{out} already exists (use --force to overwrite)")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder")
    progress = Progress(quiet=args.json)
    t0 = time.perf_counter()
    project, engine = start_engine(args.project, args.workers, None, progress)
    try:
        if not project.timeline.clips:
            raise LivecutError(f"{args.project}: the timeline is empty, nothing to preview")
        while not engine.wait_ready(0.2):
            progress.show(status(engine))
        progress.done()
        encode_s = time.perf_counter() - t0
        assembler = Assembler(engine.store, project.fps)
        sink = GrowingStream()
        t1 = time.perf_counter()
        session = assembler.session(engine.timeline, engine.segments, 0, sink, engine.resolve)
        session.run()
        if not session.state.done:  # aborted (the log says why): never write half a stream
            raise LivecutError(f"{args.project}: the preview stream could not be assembled (see the log)")
        assemble_ms = (time.perf_counter() - t1) * 1000
        assembler.close()
        snap = engine.snapshot()
        stats = engine.stats()
    finally:
        engine.close()
    try:
        write_atomic(out, sink.getvalue())
    except OSError as exc:  # a full disk, a read-only folder: nothing half-written is left behind
        raise LivecutError(f"{out}: cannot be written ({exc.strerror or exc})") from None
    tl = project.timeline
    errors = sorted(set(snap.errors.values()))
    result = {
        "output": str(out),
        "frames": tl.duration,
        "duration_s": round(float(tl.duration / project.fps), 3),
        "bytes": sink.size,
        "assemble_ms": round(assemble_ms, 1),
        "first_fragment_ms": round(session.first_fragment_ms or 0, 2),
        "encode_seconds": round(encode_s, 3),
        "cells_encoded": stats.cells_encoded,
        "cells_failed": len(snap.errors),
        "frames_decoded": stats.frames_decoded,
        "errors": errors,
    }
    if args.json:
        emit_json(result)
    else:
        say(
            f"wrote {out}: {result['frames']} frames, {result['duration_s']} s, {sink.size / 1e6:.1f} MB "
            f"(assembled in {result['assemble_ms']} ms)"
        )
    for message in errors:
        warn(f"{message} (shown as black)")
    return 0


COMMAND = Command(
    "preview", "encode missing cells and write the assembled preview stream to a file", _setup_preview, cmd_preview
)
