"""The cache limit: set by LIVECUT_CACHE_LIMIT or the config, never exceeded, honest about evictions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from core.cells import limits
from core.cells.limits import ENV, CacheLimits, cache_limits, parse_size
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.synthetic.testpattern import make_source

ROOT = Path(__file__).resolve().parents[2]
C = 10


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("500MB", 500_000_000),
        ("2GiB", 2 * 1024**3),
        ("2 gib", 2 * 1024**3),
        ("1.5G", 1_500_000_000),
        ("64KiB", 65536),
        ("1048576", 1048576),
        ("5mb", 5_000_000),
        (12345, 12345),
    ],
)
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-5MB", "5 parsecs", "GB", "1.2.3MB"])
def test_parse_size_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_env_beats_config_beats_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert cache_limits() == CacheLimits(limits.DEFAULT_TOTAL, "default")
    assert cache_limits().preview == 2 * 1024**3 and cache_limits().export == 4 * 1024**3
    try:
        limits.configure("300MB")
        assert cache_limits() == CacheLimits(300_000_000, "config")
        monkeypatch.setenv(ENV, "3GiB")
        assert cache_limits() == CacheLimits(3 * 1024**3, ENV)
        assert CellStore(tmp_path).limit == 1024**3  # the preview's third
        monkeypatch.setenv(ENV, "plenty")  # malformed: logged and ignored
        assert cache_limits().source == "config"
    finally:
        limits.configure(None)


def key(i: int) -> str:
    return f"{i:032x}"


def test_pins_shrink_to_fit_a_small_limit(tmp_path: Path) -> None:
    store = CellStore(tmp_path, limit_bytes=3500)
    store.pin([key(i) for i in range(5)])  # nearest the playhead first
    for i in range(5):
        store.put(key(i), b"x" * 1000)
        assert store.total_bytes <= 3500
    assert store.keys() == {key(0), key(1), key(2)}
    store.limit = 500  # smaller than one cell: the nearest one stays (it is being played)
    store.evict()
    assert store.keys() == {key(0)}


def test_unpinned_entries_go_before_pinned_ones(tmp_path: Path) -> None:
    store = CellStore(tmp_path, limit_bytes=3500)
    store.put(key(9), b"x" * 1000)  # another project's cell, used last
    store.pin([key(0), key(1), key(2)])
    for i in range(3):
        store.put(key(i), b"x" * 1000)
    assert store.keys() == {key(0), key(1), key(2)}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("limit-media")
    make_source(d / "a.mp4", frames=150, width=160, height=120, fps=30)
    return d / "a.mp4"


def project(source: Path, tmp: Path) -> proj.Project:
    p = proj.new_from_media(tmp / "p.toml", [str(source)], fps="30")
    return replace(p, width=160, height=120, preview_height=120, cell_frames=C)


def test_small_limit_is_never_exceeded_and_evicted_cells_are_not_ready(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project(source, tmp_path)
    with Engine(p, workers=2, store=CellStore(tmp_path / "big")) as eng:  # how big the cells are
        assert eng.wait_ready(60)
        whole = eng.store.total_bytes
    monkeypatch.setenv(ENV, str(whole))  # the preview gets a third: the 15 cells cannot all fit
    with Engine(p, workers=2, store=CellStore(tmp_path / "small")) as eng:
        limit = eng.store.limit
        assert limit == whole // 3
        assert eng.wait_ready(60)
        assert eng.store.total_bytes <= limit
        assert eng.overflow()
        missing = eng.missing_keys()
        snap = eng.snapshot()
        assert missing and snap.ready == snap.total - len(missing)
        # the cells kept are the nearest the playhead (frame 0)
        kept = [s.key in eng.store.keys() for s in snap.segments]
        assert kept[0] and kept == sorted(kept, reverse=True)


def test_wait_ready_encodes_again_a_cell_evicted_meanwhile(source: Path, tmp_path: Path) -> None:
    p = project(source, tmp_path)
    with Engine(p, workers=2, store=CellStore(tmp_path / "cache")) as eng:
        assert eng.wait_ready(60)
        gone = eng.segments[3].key
        encoded = eng.stats().cells_encoded
        eng.store.discard(gone)  # another process's LRU, ``cache clear`` ...
        assert eng.wait_ready(60)
        assert eng.store.has(gone) and not eng.missing_keys()
        assert eng.stats().cells_encoded == encoded + 1


@pytest.mark.slow
def test_encode_command_reports_evicted_cells_and_cache_stats_show_the_limit(source: Path, tmp_path: Path) -> None:
    proj.save(project(source, tmp_path))
    env = {**os.environ, "LIVECUT_CACHE_DIR": str(tmp_path / "cache"), ENV: "60kB"}

    def livecut(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=100
        )

    run = livecut("encode", str(tmp_path / "p.toml"), "--json")
    assert run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    assert doc["cells_evicted"] > 0 and doc["cells_ready"] + doc["cells_evicted"] == doc["cells_total"]
    assert ENV in run.stderr and "evicted" in run.stderr
    stats = json.loads(livecut("cache", "stats", "--json").stdout)
    assert stats["preview"]["limit"] == 20_000 and stats["export"]["limit"] == 40_000
    assert stats["limit"] == {"bytes": 60_000, "source": ENV}
    assert stats["preview"]["bytes"] <= 20_000


@pytest.mark.parametrize(
    ("size", "text"),
    [(2 * 1024**3, "2 GiB"), (500_000_000, "500 MB"), (1_500_000_000, "1.5 GB"), (0, "0 B"), (2_147_483, "2.15 MB")],
)
def test_format_size_speaks_the_units_given(size: int, text: str) -> None:
    assert limits.format_size(size) == text
