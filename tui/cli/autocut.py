"""``livecut autocut``: remove silences and split at scene changes, written as a new project.

The analysis is ``core.analysis`` (cached by media content, so a second run decodes nothing) and the
edit is ``core.model.cuts.autocut`` (one new timeline value); this module only reads the options,
reports progress and saves. The result is a normal project whose clips show parts of the frames
the original showed, so after ``encode`` of the original, the result needs no new cells.

``--silence`` and ``--scenes`` take an optional value, and ``--silence -40:0.5`` must read
``-40:0.5`` as that value: argparse takes a word that starts with ``-`` (and is not a plain negative
number) for an option, so ``_prepare`` joins ``--silence VALUE`` into ``--silence=VALUE`` before
argparse sees it when ``VALUE`` looks like a number (or is any word that is not an option or the
project: then a typo is refused in one line), and makes a bare ``--silence`` explicit
(``--silence=``) so it never takes the next word (the project) as its value.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cli.command import Command
from tui.cli.output import Progress, UsageError, emit_json, say

if TYPE_CHECKING:
    from core.analysis.silence import SilenceSettings

_VALUED = ("--silence", "--scenes")
_NUMBERISH = re.compile(r"^-?[\d.]")


def _is_value(word: str) -> bool:
    """Whether the word after ``--silence``/``--scenes`` is meant as its value: a number-like word
    (``-40:0.5``), or any word that is neither an option nor the project (so a mistyped value is
    read, and refused in one line, rather than left over for argparse's usage screen)."""
    if _NUMBERISH.match(word):
        return True
    return not (word.startswith("-") or word.endswith(".toml") or os.path.exists(word))


def _prepare(argv: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            out.extend(argv[i:])
            break
        if word in _VALUED:
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if nxt is not None and _is_value(nxt):
                out.append(f"{word}={nxt}")
                i += 2
                continue
            out.append(f"{word}=")
        else:
            out.append(word)
        i += 1
    return out


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", help="project TOML file to read")
    p.add_argument("-o", "--output", required=True, help="project TOML file to write")
    p.add_argument(
        "--silence",
        nargs="?",
        const="",
        metavar="DB[:SECONDS]",
        help="remove stretches quieter than DB dBFS (default -40) lasting at least SECONDS (default 0.5)",
    )
    p.add_argument(
        "--scenes",
        nargs="?",
        const="",
        metavar="THRESHOLD",
        help="split clips at scene changes (PySceneDetect's content threshold, default 27)",
    )
    p.add_argument("--margin", default="0.2", help="seconds of silence kept beside sound (default 0.2)")
    p.add_argument("--min-clip", default="0.2", help="shortest piece kept between two cuts, seconds (default 0.2)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--json", action="store_true", help="print what was cut as JSON")


def _number(text: str, option: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise UsageError(f"{option}: {text} is outside {low:g}..{high:g}")
    return value


def _silence_options(text: str, margin: float, min_clip: float) -> SilenceSettings:
    from core.analysis.silence import DEFAULT_DB, DEFAULT_SECONDS, SilenceSettings

    db_text, _, seconds_text = text.partition(":")
    db = _number(db_text, "--silence DB", -200.0, 0.0) if db_text else DEFAULT_DB
    seconds = _number(seconds_text, "--silence SECONDS", 0.01, 3600.0) if seconds_text else DEFAULT_SECONDS
    return SilenceSettings(db=db, min_silence=seconds, margin=margin, min_clip=min_clip)


def cmd_autocut(args: argparse.Namespace) -> int:
    if args.silence is None and args.scenes is None:
        raise UsageError("say what to cut: --silence, --scenes or both")
    margin = _number(args.margin, "--margin", 0.0, 3600.0)
    min_clip = _number(args.min_clip, "--min-clip", 0.0, 3600.0)
    silence = _silence_options(args.silence, margin, min_clip) if args.silence is not None else None
    threshold = None
    if args.scenes is not None:
        from core.analysis.scenes import DEFAULT_THRESHOLD

        threshold = _number(args.scenes, "--scenes", 0.01, 255.0) if args.scenes else DEFAULT_THRESHOLD
    target = Path(args.output)
    if target.suffix != ".toml":
        raise UsageError(f"{target}: a project file should end in .toml")
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists (use --force to overwrite)")

    from dataclasses import replace

    from core.analysis.scenes import find_scene_cuts
    from core.analysis.silence import find_silences, has_sound
    from core.cells.store import default_cache_dir
    from core.errors import LivecutError
    from core.model import project as proj
    from core.model.cuts import autocut

    project = proj.load(args.project)
    timeline = project.timeline
    if silence is not None and not has_sound(timeline):
        raise UsageError(f"--silence needs sound: no clip of {args.project} has audio (or every one is muted)")
    folder = default_cache_dir()
    progress = Progress(quiet=args.json)
    splits: tuple[int, ...] = ()
    removed: tuple[tuple[int, int], ...] = ()
    decoded = {"scenes": 0, "silence": 0}
    if threshold is not None:
        found = find_scene_cuts(timeline, threshold, folder, progress=lambda f: progress.show(f"scenes {f:4.0%}"))
        splits, decoded["scenes"] = found.frames, found.decoded
    if silence is not None:
        quiet = find_silences(timeline, silence, folder, progress=lambda f: progress.show(f"silence {f:4.0%}"))
        removed, decoded["silence"] = quiet.ranges, quiet.decoded
    progress.done()
    result = autocut(timeline, splits, removed)
    if not result.clips:
        raise LivecutError(f"nothing would be left of {args.project}: every part of it is under the silence level")
    proj.save(replace(project, timeline=result), target)
    fps = project.fps
    if args.json:
        emit_json(
            {
                "project": str(args.project),
                "output": str(target),
                "fps": str(fps),
                "before": {"frames": timeline.duration, "seconds": float(timeline.duration / fps)},
                "after": {"frames": result.duration, "seconds": float(result.duration / fps)},
                "removed": [{"start": a, "end": b, "seconds": float((b - a) / fps)} for a, b in removed],
                "splits": list(splits),
                "clips": len(result.clips),
                "decoded": decoded,
            }
        )
        return 0
    said = []
    if threshold is not None:
        said.append(f"split at {len(splits)} scene changes")
    if silence is not None:
        said.append(f"removed {len(removed)} silences ({float(sum(b - a for a, b in removed) / fps):.2f} s)")
    say(
        f"{', '.join(said)}: {float(timeline.duration / fps):.2f} s → {float(result.duration / fps):.2f} s, "
        f"{len(result.clips)} clips; wrote {target}"
    )
    return 0


COMMAND = Command(
    "autocut", "remove silences and split at scene changes into a new project", _setup, cmd_autocut, _prepare
)
