"""Part files of killed exports are removed by the next export in that folder and by cache clear."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.export import leftovers
from core.export.leftovers import ORPHAN_S, STALE_S, Tag, clean, marker_path, my_tag, part_prefix, stale_parts

ROOT = Path(__file__).resolve().parents[1]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def age(path: Path, seconds: float) -> Path:
    t = time.time() - seconds
    os.utime(path, (t, t))
    return path


def touch(path: Path, seconds_old: float = 0.0) -> Path:
    path.write_bytes(b"half a film")
    return age(path, seconds_old) if seconds_old else path


def test_part_named_after_its_owner(tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    dead = Tag(dead_pid(), my_tag().host)
    mine = touch(tmp_path / f"{part_prefix(out)}abcd1234.part")
    gone = touch(tmp_path / f".film.mp4.{dead.text()}.abcd1234.part")
    far_fresh = touch(tmp_path / ".film.mp4.lc1@elsewhere.abcd1234.part")
    far_old = age(touch(tmp_path / ".film.mp4.lc2@elsewhere.abcd1234.part"), STALE_S + 60)
    assert stale_parts(tmp_path) == sorted([gone, far_old])
    assert clean(tmp_path) == sorted([gone, far_old])
    assert mine.exists() and far_fresh.exists()


def test_unnamed_part_follows_the_markers_of_its_output(tmp_path: Path) -> None:
    out = tmp_path / "film.mp4"
    dead = Tag(dead_pid(), my_tag().host)
    dead_marker = age(touch(marker_path(out, dead)), 30)
    left = age(touch(tmp_path / ".film.mp4.k2j4_x9q.part"), 31)  # written until its owner died
    other = touch(tmp_path / ".other.mp4.a1b2c3d4.part")  # another output, no marker, fresh
    assert stale_parts(tmp_path) == sorted([left, dead_marker])
    # a running export to the same output keeps every part file of it
    live = touch(marker_path(out))
    assert stale_parts(tmp_path) == [dead_marker]
    live.unlink()
    clean(tmp_path)
    assert not left.exists() and not dead_marker.exists() and other.exists()


def test_ownerless_part_needs_age_and_nobody_holding_it(tmp_path: Path) -> None:
    young = touch(tmp_path / ".a.mp4.abcdefgh.part")
    old = touch(tmp_path / ".b.mp4.abcdefgh.part", ORPHAN_S + 60)
    held = touch(tmp_path / ".c.mp4.abcdefgh.part", ORPHAN_S + 60)
    not_ours = touch(tmp_path / ".notes.txt.part", ORPHAN_S + 60)  # not an export's name
    with held.open("rb"):
        assert stale_parts(tmp_path) == [old]
    assert young.exists() and not_ours.exists()


def test_exporting_keeps_a_marker_and_remembers_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out" / "film.mp4"
    out.parent.mkdir()
    with leftovers.exporting(out, tmp_path / "cache"):
        assert marker_path(out).exists()
        assert stale_parts(out.parent) == []
    assert not marker_path(out).exists()
    assert leftovers.known_folders(tmp_path / "cache") == [out.parent.resolve()]


@pytest.fixture(scope="module")
def film_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from core.model import project as proj
    from core.synthetic.testpattern import make_source

    d = tmp_path_factory.mktemp("leftover-src")
    make_source(d / "a.mp4", frames=600, width=160, height=120, fps=30)
    proj.save(proj.new_from_media(d / "p.toml", [str(d / "a.mp4")]))
    return d / "p.toml"


def livecut_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}


def kill_during_join(project: Path, out: Path, env: dict[str, str]) -> Path:
    """Start an export, SIGKILL it as soon as its part file exists; the part file left behind."""
    cmd = [sys.executable, "-m", "tui.cli", "export", str(project), "-o", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 100
    try:
        while time.monotonic() < deadline:
            parts = list(out.parent.glob(f".{out.name}.*.part"))
            if parts:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                return parts[0]
            assert proc.poll() is None, "the export ended before its join could be interrupted"
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    raise AssertionError("no part file appeared")


@pytest.mark.slow
def test_kill_9_during_join_then_the_next_export_in_the_folder_cleans_up(film_project: Path, tmp_path: Path) -> None:
    env = livecut_env(tmp_path)
    part = kill_during_join(film_project, tmp_path / "film.mp4", env)
    time.sleep(0.2)
    assert part.exists() and not (tmp_path / "film.mp4").exists()
    run = subprocess.run(
        [sys.executable, "-m", "tui.cli", "export", str(film_project), "-o", str(tmp_path / "other.mp4"), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert run.returncode == 0, run.stderr
    assert not part.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert "left by an export that was killed" in run.stderr
    assert json.loads(run.stdout)["frames"] == 600


@pytest.mark.slow
def test_cache_clear_cleans_the_folders_exported_to(film_project: Path, tmp_path: Path) -> None:
    env = livecut_env(tmp_path)
    out_dir = tmp_path / "films"
    out_dir.mkdir()
    part = kill_during_join(film_project, out_dir / "film.mp4", env)
    run = subprocess.run(
        [sys.executable, "-m", "tui.cli", "cache", "clear", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["leftovers"]["removed"] == [str(part)]
    assert list(out_dir.iterdir()) == []
