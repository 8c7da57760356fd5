"""``livecut preview PROJECT --realtime --json``: would playback keep up? A headless 1× playout.

The timeline plays from the start at 1× through the real assembler and the engine's rung-aware
resolver (``core.preview.realtime``), against the cache as it is (cold or warm), with quality
adaptation on unless ``--quality`` pins a rung. It reports the first frame, the stalls and the
seconds played at each rung. ``-o OUT.mp4`` writes what a viewer would have seen: one file when
one rung played throughout, else one file per session (``OUT.1.mp4``, ``OUT.2.mp4``…, each at
its own picture size, in order).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import LivecutError
from tui.cli.engine_run import start_engine
from tui.cli.output import Progress, emit_json, say


def session_paths(out: Path, count: int) -> list[Path]:
    """Where the sessions of a playout go: ``out`` itself for one, numbered beside it for more."""
    if count <= 1:
        return [out]
    return [out.with_name(f"{out.stem}.{n}{out.suffix or '.mp4'}") for n in range(1, count + 1)]


def cmd_realtime(args: argparse.Namespace) -> int:
    from core.atomic import write_atomic
    from core.preview.realtime import play_realtime

    progress = Progress(quiet=args.json)
    project, engine = start_engine(args.project, args.workers, None, progress)
    try:
        if not project.timeline.clips:
            raise LivecutError(f"{args.project}: the timeline is empty, nothing to preview")
        engine.set_quality(args.quality)
        report = play_realtime(engine, keep_streams=args.output is not None)
        stats = engine.stats()
    finally:
        engine.close()
    result = report.as_dict()
    result["quality"] = args.quality
    result["cells_encoded"] = stats.cells_encoded
    if args.output is not None:
        paths = session_paths(Path(args.output), len(report.sessions))
        try:
            for path, played in zip(paths, report.sessions, strict=True):
                write_atomic(path, played.stream)
        except OSError as exc:
            raise LivecutError(f"{args.output}: cannot be written ({exc.strerror or exc})") from None
        result["outputs"] = [str(p) for p in paths]
    if args.json:
        emit_json(result)
    else:
        say(
            f"first frame {result['first_frame_ms']} ms, {result['stalls']} stalls "
            f"({result['stall_seconds']} s), rungs {result['rungs_used']}"
        )
    if report.frames < project.timeline.duration:
        sys.stderr.write(f"livecut: the playout stopped at frame {report.frames} of {project.timeline.duration}\n")
        return 1
    return 0
