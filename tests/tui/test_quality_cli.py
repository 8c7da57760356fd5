"""``livecut preview --realtime --json``: a headless 1x playout reports its figures and writes what played."""

from __future__ import annotations

import json
from pathlib import Path

import av

from core.synthetic.testpattern import make_source
from tests.test_cli import livecut
from tui.cli.preview_realtime import session_paths


def test_session_paths_number_the_sessions() -> None:
    assert session_paths(Path("/o/v.mp4"), 1) == [Path("/o/v.mp4")]
    assert session_paths(Path("/o/v.mp4"), 2) == [Path("/o/v.1.mp4"), Path("/o/v.2.mp4")]


def test_realtime_playout_reports_figures_and_writes_the_stream(tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=30, width=64, height=48, fps=30)
    assert livecut("new", str(tmp_path / "p.toml"), str(src)).returncode == 0
    out = tmp_path / "seen.mp4"
    result = livecut("preview", str(tmp_path / "p.toml"), "--realtime", "--json", "--quality", "half", "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["frames"] == 30 and data["quality"] == "half"
    assert set(data["rungs_used"]) == {"half"} and data["first_frame_ms"] > 0
    assert {"stalls", "stall_seconds", "sessions"} <= set(data)
    assert data["outputs"] == [str(out)]
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 30
