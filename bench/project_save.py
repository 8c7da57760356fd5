"""What saving a big project costs (issue 14): 1000 clips, with and without the user's comments.

A save reads the file it replaces, carries its comments (``core.model.comments``: scan, match the
entries, render) and writes atomically (fsync included). Figures: a save over a comment-free file
(the old cost: nothing to carry), over a file with three comments per clip (a line above the
header, one on it and one on ``out``), unchanged and after edits (a clip deleted, two swapped,
every later clip trimmed: all three matching passes run), and the comment carrying alone (no
write). Goal: well under a second for 1000 clips.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.common import figure, timed
from core.model import comments
from core.model import project as proj
from core.model.timeline import Clip, MediaRef, Timeline

CLIPS = 1000
RUNS = 7


def _project(clips: list[Clip], path: Path) -> proj.Project:
    media = tuple(MediaRef(m, f"{m}.mp4", path.parent / f"{m}.mp4", None, "offline") for m in "abc")
    return proj.Project("big", Timeline(Fraction(30), media, tuple(clips)), 1920, 1080, 360, None, path)


def _comment_every_clip(path: Path) -> None:
    out = []
    for line in path.read_text().splitlines():
        if line == "[[clips]]":
            out.extend((f"# clip {len(out)}", "[[clips]]  # its header"))
        else:
            out.append(line + "  # where it ends" if line.startswith("out =") else line)
    path.write_text("\n".join(out) + "\n")


def run() -> dict[str, Any]:
    clips = [Clip("abc"[i % 3], i, i + 10 + i % 7) for i in range(CLIPS)]
    edited = clips[: CLIPS // 2] + [replace(c, out=c.out - 1) for c in clips[CLIPS // 2 + 1 :]]
    edited[10], edited[20] = edited[20], edited[10]
    with tempfile.TemporaryDirectory(prefix="livecut-bench-save-") as tmp:
        path = Path(tmp) / "big.toml"
        plain = _project(clips, path)
        proj.save(plain)
        bare, bare_runs, _ = timed(lambda: proj.save(plain), RUNS)
        _comment_every_clip(path)
        original = path.read_bytes()
        same, same_runs, _ = timed(lambda: proj.save(plain), RUNS)

        def after_edits() -> None:
            path.write_bytes(original)
            proj.save(_project(edited, path))

        edits, edit_runs, _ = timed(after_edits, RUNS)
        path.write_bytes(original)
        keep = comments.read(path, proj.MAX_PROJECT_BYTES)
        layout = proj.blocks(_project(edited, path), path.parent)
        carry, carry_runs, _ = timed(lambda: comments.render(layout, comments.read(path, proj.MAX_PROJECT_BYTES)), RUNS)
        assert keep is not None and len(keep.notes) >= 2 * CLIPS
        return {
            "clips": CLIPS,
            "file_bytes": len(original),
            "save_no_comments_s": figure(bare, "s", RUNS, runs_s=[round(t, 4) for t in bare_runs]),
            "save_commented_unchanged_s": figure(same, "s", RUNS, runs_s=[round(t, 4) for t in same_runs]),
            "save_commented_after_edits_s": figure(edits, "s", RUNS, runs_s=[round(t, 4) for t in edit_runs]),
            "carry_comments_only_s": figure(carry, "s", RUNS, runs_s=[round(t, 4) for t in carry_runs]),
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
