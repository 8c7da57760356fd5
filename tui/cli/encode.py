"""``livecut encode``: fill the preview cache for the whole timeline.

"Reused" means "in the cache and not encoded by this run": a cell found bad while this run reads
it is encoded again and counted as encoded, not reused. By default a run trusts the cache's index
and reads nothing, so encoding an already cached project stays instant (a damaged cell is then
found and re-encoded by the first preview or export that reads it, or by ``cache verify``);
``--verify`` reads every cached cell of the timeline first and re-encodes the bad ones in this run.

Cells another process encoded meanwhile (a second ``encode``, an open editor: they share the work
through claims) count as reused. Ready means "in the cache when the run ends": when the cache
limit is smaller than the timeline's cells, the cells that did not fit are reported as evicted,
never as ready, and the command exits 1 naming the limit to raise.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from core import locations
from tui.cli.command import Command
from tui.cli.engine_run import start_engine, status
from tui.cli.output import Progress, emit_json, say, warn

if TYPE_CHECKING:
    from core.engine import EngineSnapshot


def _setup_encode(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--workers", type=int, default=None, help="encoder threads (default: CPU count)")
    p.add_argument("--json", action="store_true", help="print figures as JSON")
    p.add_argument("--encoder", default=None, help="force an encoder (default: auto-detect)")
    p.add_argument(
        "--cluster",
        metavar="tcp://HOST:8786",
        default=locations.cluster(),
        help=f"encode the cells on this Dask scheduler (default: ${locations.CLUSTER_ENV}; needs livecut[cluster])",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="check every cached cell's checksum first and re-encode bad ones (reads the whole cache)",
    )


def cmd_encode(args: argparse.Namespace) -> int:
    from core.engine.quality import LADDER

    progress = Progress(quiet=args.json)
    t0 = time.perf_counter()
    project, engine = start_engine(args.project, args.workers, args.encoder, progress, args.cluster)
    offline = project.offline_media()
    try:
        before = engine.snapshot()
        cells_total = len({s.key for s in before.segments if s.key})
        cached = {s.key for s, st in zip(before.segments, before.states, strict=True) if st.value == "ready"}
        damaged = engine.verify_cells() if args.verify else 0
        while not engine.wait_ready(0.2):
            progress.show(status(engine))
        progress.show(status(engine), force=True)
        progress.done()
        snap = engine.snapshot()
        stats = engine.stats()
        evicted = engine.missing_keys()
        ready = {s.key for s, st in zip(snap.segments, snap.states, strict=True) if st.value == "ready"}
        # in the cache and not encoded here (a cached cell found bad and re-encoded is not reused)
        reused = (cached | ready) - engine.encoded_keys() - evicted
        limit = engine.store.limit
    finally:
        engine.close()
    failed = dict(snap.errors)
    errors = sorted(set(failed.values()))
    result = {
        "cells_total": cells_total,
        "cells_encoded": stats.cells_encoded,
        "cells_reused": len(reused),
        "cells_failed": len(failed),
        "cells_ready": len(ready),
        "cells_evicted": len(evicted),
        "cells_damaged": damaged,
        "cells_per_rung": {rung.name: n for rung, n in zip(LADDER, stats.cells_per_rung, strict=False)},
        "frames_needed": _frames_needed(before, reused),
        "frames_decoded": stats.frames_decoded,
        "seconds": round(time.perf_counter() - t0, 3),
        "workers": stats.workers,
        "encoder": stats.encoder,
        "errors": errors,
    }
    if args.json:
        emit_json(result)
    else:
        say(
            f"{result['cells_encoded']} cells encoded, {result['cells_reused']} reused, "
            f"{result['cells_failed']} failed in {result['seconds']} s ({result['encoder']}, {result['workers']} workers)"
        )
    for message in errors:
        warn(message)
    if evicted:
        from core.cells.limits import ENV, cache_limits, format_size

        limits = cache_limits()
        sys.stderr.write(
            f"livecut: {len(evicted)} of {cells_total} cells did not fit the preview cache "
            f"({format_size(limit)} of the {format_size(limits.total)} limit, from {limits.source}) "
            f"and were evicted; raise {ENV} or [cache] limit in the config\n"
        )
    for ref in offline:  # their clips cannot be encoded: the cache is not full, say why
        warn(f"media {ref.id!r} is offline ({ref.error}: expected at {ref.resolved})")
    return 1 if failed or evicted or offline else 0


def _frames_needed(snap: EngineSnapshot, cached: set[str]) -> int:
    seen: set[str] = set()
    total = 0
    for seg in snap.segments:
        if seg.key and seg.key not in cached and seg.key not in seen:
            seen.add(seg.key)
            total += seg.cell.frames
    return total


COMMAND = Command("encode", "fill the preview cache for the whole timeline", _setup_encode, cmd_encode)
