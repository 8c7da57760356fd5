"""Headless engine commands: encode, encoders, cache, preview.

They drive the same core engine as the editor, print progress on stderr (a bar on a TTY,
plain lines otherwise), and with ``--json`` print one object of figures on stdout.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from core.errors import LivecutError
from tui.cli import UsageError, command, emit_json, say


class _Progress:
    """Coalesced progress on stderr: rewritten in place on a TTY, a line every 2 s otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._lock = threading.Lock()

    def show(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < (0.1 if self.tty else 2.0):
                return
            self._last = now
            if self.tty:
                sys.stderr.write(f"\r\x1b[K{text}")
            else:
                sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\n")


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / max(1, total))
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def _setup_encode(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("--workers", type=int, default=None, help="encoder threads (default: CPU count)")
    p.add_argument("--json", action="store_true", help="print figures as JSON")
    p.add_argument("--encoder", default=None, help="force an encoder (default: auto-detect)")


def _run_engine(project_path: str, workers: int | None, encoder: str | None, progress: _Progress):
    from core import project as proj
    from core.engine import Engine

    if workers is not None and workers < 1:
        raise UsageError("--workers must be at least 1")
    project = proj.load(project_path)
    holder: list[Engine] = []
    engine = Engine(project, workers=workers, encoder=encoder,
                    on_event=lambda _e: progress.show(_status(holder[0])) if holder else None)
    holder.append(engine)
    return project, engine


def _status(engine) -> str:
    snap = engine.snapshot()
    return f"{_bar(snap.ready, snap.total)} {snap.summary()}"


@command("encode", "fill the preview cache for the whole timeline", _setup_encode)
def cmd_encode(args: argparse.Namespace) -> int:
    progress = _Progress(quiet=args.json)
    t0 = time.perf_counter()
    _project, engine = _run_engine(args.project, args.workers, args.encoder, progress)
    try:
        before = engine.snapshot()
        cells_total = len({s.key for s in before.segments if s.key})
        cached = {s.key for s, st in zip(before.segments, before.states, strict=True) if st.value == "ready"}
        frames_needed = _frames_needed(before, cached)
        while not engine.wait_ready(0.2):
            progress.show(_status(engine))
        progress.show(_status(engine), force=True)
        progress.done()
        snap = engine.snapshot()
    finally:
        engine.close()
    failed = dict(snap.errors)
    result = {
        "cells_total": cells_total,
        "cells_encoded": engine.scheduler.stats["cells_encoded"],
        "cells_reused": len(cached),
        "cells_failed": len(failed),
        "frames_needed": frames_needed,
        "frames_decoded": engine.decode_stats.frames_decoded,
        "seconds": round(time.perf_counter() - t0, 3),
        "workers": engine.scheduler.workers,
        "encoder": engine.profile.encoder,
        "errors": sorted(set(failed.values())),
    }
    if args.json:
        emit_json(result)
    else:
        say(f"{result['cells_encoded']} cells encoded, {result['cells_reused']} reused, "
            f"{result['cells_failed']} failed in {result['seconds']} s ({result['encoder']}, {result['workers']} workers)")
    for message in result["errors"]:
        sys.stderr.write(f"livecut: {message}\n")
    return 1 if failed else 0


def _frames_needed(snap, cached: set[str]) -> int:
    seen: set[str] = set()
    total = 0
    for seg in snap.segments:
        if seg.key and seg.key not in cached and seg.key not in seen:
            seen.add(seg.key)
            total += seg.cell.frames
    return total


def _setup_encoders(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


@command("encoders", "show the H.264 encoders considered and the one chosen", _setup_encoders)
def cmd_encoders(args: argparse.Namespace) -> int:
    from core.hwenc import detect_encoders

    choice = detect_encoders()
    if args.json:
        emit_json(choice.to_dict())
        return 0
    for cand in choice.candidates:
        mark = "*" if cand.name == choice.name else (" " if not cand.available else "+")
        say(f"{mark} {cand.name:<18} {'available' if cand.available else 'unavailable'}: {cand.reason}")
    say(f"chosen: {choice.name} ({'forced' if choice.forced else 'auto-detected'} in {choice.seconds * 1000:.0f} ms)")
    return 0


def _setup_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["stats", "verify", "clear"])
    p.add_argument("--json", action="store_true")


@command("cache", "show, verify or clear the preview and export caches", _setup_cache)
def cmd_cache(args: argparse.Namespace) -> int:
    from core.export import export_store
    from core.store import CellStore

    stores = {"preview": CellStore(), "export": export_store()}
    data: dict[str, dict[str, object]] = {}
    for name, store in stores.items():
        if args.action == "stats":
            st = store.stats()
            data[name] = {"root": st.root, "entries": st.entries, "bytes": st.bytes, "limit": st.limit}
            line = f"{name}: {st.root}: {st.entries} entries, {st.bytes / 1e6:.1f} MB of {st.limit / 1e9:.1f} GB"
        elif args.action == "verify":
            rep = store.verify()
            data[name] = {"checked": rep.checked, "removed": rep.removed}
            line = f"{name}: {rep.checked} entries checked, {rep.removed} corrupt removed"
        else:
            data[name] = {"removed": store.clear()}
            line = f"{name}: {data[name]['removed']} entries removed"
        if not args.json:
            say(line)
    if args.json:
        emit_json(data)
    return 0


def _setup_preview(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True, help="where to write the assembled preview stream (.mp4)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")


@command("preview", "encode missing cells and write the assembled preview stream to a file", _setup_preview)
def cmd_preview(args: argparse.Namespace) -> int:
    from core.assembler import Assembler
    from core.atomic import write_atomic
    from core.bytestream import GrowingStream

    out = Path(args.output)
    if out.exists() and not args.force:
        raise UsageError(f"{out} already exists (use --force to overwrite)")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder")
    progress = _Progress(quiet=args.json)
    t0 = time.perf_counter()
    project, engine = _run_engine(args.project, args.workers, None, progress)
    try:
        if not project.timeline.clips:
            raise LivecutError(f"{args.project}: the timeline is empty, nothing to preview")
        while not engine.wait_ready(0.2):
            progress.show(_status(engine))
        progress.done()
        encode_s = time.perf_counter() - t0
        assembler = Assembler(engine.store, project.fps)
        sink = GrowingStream()
        t1 = time.perf_counter()
        session = assembler.session(engine.timeline, engine.segments, 0, sink, engine.resolve)
        session.run()
        assemble_ms = (time.perf_counter() - t1) * 1000
        assembler.close()
        snap = engine.snapshot()
    finally:
        engine.close()
    write_atomic(out, sink.getvalue())
    tl = project.timeline
    result = {
        "output": str(out),
        "frames": tl.duration,
        "duration_s": round(float(tl.duration / project.fps), 3),
        "bytes": sink.size,
        "assemble_ms": round(assemble_ms, 1),
        "first_fragment_ms": round(session.first_fragment_ms or 0, 2),
        "encode_seconds": round(encode_s, 3),
        "cells_encoded": engine.scheduler.stats["cells_encoded"],
        "cells_failed": len(snap.errors),
        "frames_decoded": engine.decode_stats.frames_decoded,
        "errors": sorted(set(snap.errors.values())),
    }
    if args.json:
        emit_json(result)
    else:
        say(f"wrote {out}: {result['frames']} frames, {result['duration_s']} s, {sink.size / 1e6:.1f} MB "
            f"(assembled in {result['assemble_ms']} ms)")
    for message in result["errors"]:
        sys.stderr.write(f"livecut: {message} (shown as black)\n")
    return 0
