"""The headless CLI: real subprocesses, so exit codes and stderr are what a user sees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.synthetic.testpattern import make_source

ROOT = Path(__file__).resolve().parent.parent


def livecut(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=_env()
    )


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_version() -> None:
    result = livecut("--version")
    assert result.returncode == 0 and result.stdout.startswith("livecut ")


def test_probe_json_and_errors(tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=10, width=64, height=48, fps=25)
    result = livecut("probe", str(src), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["video"]["fps"] == "25" and data["has_audio"] is True
    assert_one_line_error(livecut("probe", str(tmp_path / "nope.mp4")), "nope.mp4", "file not found")


def test_new_then_info(tmp_path: Path) -> None:
    a = make_source(tmp_path / "a.mp4", frames=30, width=64, height=48, fps=30)
    b = make_source(tmp_path / "b.mp4", frames=20, width=64, height=48, fps=25, video=True, audio=False)
    result = livecut("new", str(tmp_path / "p.toml"), str(a), str(b))
    assert result.returncode == 0, result.stderr
    info = json.loads(livecut("info", str(tmp_path / "p.toml"), "--json").stdout)
    assert info["clips"] == 2 and info["duration_frames"] == 30 + 24 and info["offline"] == []
    text = livecut("info", str(tmp_path / "p.toml"))
    assert "2 clips" in text.stdout
    assert_one_line_error(livecut("new", str(tmp_path / "p.toml"), str(a)), "already exists")
    assert_one_line_error(livecut("new", str(tmp_path / "q.toml"), str(tmp_path / "zz.mp4")), "zz.mp4")


def test_info_reports_gain_mute_and_markers(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=30, width=64, height=48, fps=30)
    (tmp_path / "p.toml").write_text(
        'version = 2\n[project]\nfps = "30"\n[[media]]\nid = "a"\npath = "a.mp4"\n'
        '[[clips]]\nmedia = "a"\nin = 0\nout = 10\ngain_db = -6.0\n'
        '[[clips]]\nmedia = "a"\nin = 10\nout = 20\nmute = true\n'
        '[[markers]]\nframe = 15\nname = "chorus"\n'
    )
    info = json.loads(livecut("info", str(tmp_path / "p.toml"), "--json").stdout)
    assert [(c["gain_db"], c["mute"]) for c in info["timeline"]] == [(-6.0, False), (0.0, True)]
    assert info["markers"] == [{"frame": 15, "name": "chorus"}]
    text = livecut("info", str(tmp_path / "p.toml")).stdout
    assert "gain -6.0 dB" in text and "muted" in text and "marker 00:00:00:15: chorus" in text


def test_info_reports_offline_and_validation_errors(tmp_path: Path) -> None:
    (tmp_path / "o.toml").write_text(
        'version = 1\n[project]\n[[media]]\nid = "a"\npath = "x.mp4"\n[[clips]]\nmedia = "a"\nin = 0\nout = 5\n'
    )
    result = livecut("info", str(tmp_path / "o.toml"))
    assert result.returncode == 0 and "OFFLINE" in result.stdout and "x.mp4" in result.stdout
    (tmp_path / "bad.toml").write_text("version = 1\n[project]\nfps = 'x'\n")
    assert_one_line_error(livecut("info", str(tmp_path / "bad.toml")), "bad.toml", "project.fps")
    assert_one_line_error(livecut("info", str(tmp_path / "none.toml")), "none.toml", "file not found")


@pytest.mark.parametrize("argv", [["probe"], ["info"], ["frobnicate"]])
def test_usage_mistakes(argv: list[str]) -> None:
    result = livecut(*argv)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_encode_then_cache_stats_verify_clear(tmp_path: Path) -> None:
    a = make_source(tmp_path / "a.mp4", frames=70, width=64, height=48, fps=30)
    assert livecut("new", str(tmp_path / "p.toml"), str(a)).returncode == 0
    first = json.loads(livecut("encode", str(tmp_path / "p.toml"), "--json").stdout)
    assert first["cells_total"] == 2 and first["cells_encoded"] == 2 and first["frames_needed"] == 70
    again = json.loads(livecut("encode", str(tmp_path / "p.toml"), "--json").stdout)
    assert again["cells_encoded"] == 0 and again["cells_reused"] == 2 and again["frames_decoded"] == 0
    stats = json.loads(livecut("cache", "stats", "--json").stdout)
    assert stats["preview"]["entries"] == 2 and stats["export"]["entries"] == 0
    cell = next(Path(stats["preview"]["root"]).glob("*/*.cell"))
    cell.write_bytes(cell.read_bytes()[:-10])
    assert json.loads(livecut("cache", "verify", "--json").stdout)["preview"] == {"checked": 2, "removed": 1}
    assert json.loads(livecut("cache", "clear", "--json").stdout)["preview"] == {"removed": 1}
    assert json.loads(livecut("cache", "stats", "--json").stdout)["preview"]["entries"] == 0


def _read_indices(path: Path, size: tuple[int, int]) -> list[int | None]:
    import av

    from tests.core.helpers import picture_index

    with av.open(str(path)) as c:
        return [picture_index(f.to_ndarray(format="rgb24"), size) for f in c.decode(video=0)]


def _damage_one_cell(cache_root: Path) -> None:
    cell = sorted(cache_root.glob("*/*.cell"))[0]
    blob = bytearray(cell.read_bytes())
    mid = len(blob) // 2
    blob[mid : mid + 7] = b"\x00" * 7 if blob[mid : mid + 7] != b"\x00" * 7 else b"\xff" * 7
    cell.write_bytes(bytes(blob))


def test_a_damaged_cell_is_reencoded_by_preview_and_by_encode_verify(tmp_path: Path) -> None:
    """Issue #18: a cell damaged between runs used to hang ``preview``; now it is encoded again."""
    a = make_source(tmp_path / "a.mp4", frames=70, width=128, height=96, fps=30)
    assert livecut("new", str(tmp_path / "p.toml"), str(a)).returncode == 0
    first = json.loads(livecut("encode", str(tmp_path / "p.toml"), "--json").stdout)
    assert first["cells_encoded"] == 2
    root = Path(json.loads(livecut("cache", "stats", "--json").stdout)["preview"]["root"])
    _damage_one_cell(root)
    trusting = json.loads(livecut("encode", str(tmp_path / "p.toml"), "--json").stdout)
    assert trusting["cells_encoded"] == 0 and trusting["cells_reused"] == 2  # reads nothing: instant
    out = tmp_path / "out.mp4"
    result = livecut("preview", str(tmp_path / "p.toml"), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["cells_encoded"] == 1 and shown["cells_failed"] == 0
    assert _read_indices(out, (128, 96)) == list(range(70))
    _damage_one_cell(root)
    checked = json.loads(livecut("encode", str(tmp_path / "p.toml"), "--json", "--verify").stdout)
    assert checked["cells_encoded"] == 1 and checked["cells_reused"] == 1 and checked["cells_damaged"] == 1
    assert json.loads(livecut("cache", "verify", "--json").stdout)["preview"] == {"checked": 2, "removed": 0}
