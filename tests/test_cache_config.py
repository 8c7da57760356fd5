"""The cache limit from the user config (``[cache] limit``), as ``livecut cache stats`` reports it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stats(tmp: Path, config: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp / "cfg").mkdir(exist_ok=True)
    (tmp / "cfg" / "config.toml").write_text(config, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != "LIVECUT_CACHE_LIMIT"}
    environ.update(
        LIVECUT_CONFIG_DIR=str(tmp / "cfg"), LIVECUT_CACHE_DIR=str(tmp / "cache"), PYTHONPATH=str(ROOT), **env
    )
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "cache", "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ,
    )


def test_config_sets_the_limit(tmp_path: Path) -> None:
    result = stats(tmp_path, 'version = 1\n[cache]\nlimit = "300MB"\n')
    data = json.loads(result.stdout)
    assert data["limit"] == {"bytes": 300_000_000, "source": "config"}
    assert data["preview"]["limit"] + data["export"]["limit"] == 300_000_000


def test_the_environment_wins(tmp_path: Path) -> None:
    data = json.loads(stats(tmp_path, 'version = 1\n[cache]\nlimit = "300MB"\n', LIVECUT_CACHE_LIMIT="1GiB").stdout)
    assert data["limit"]["bytes"] == 1024**3 and data["limit"]["source"] != "config"


def test_a_bad_limit_is_reported_and_the_default_used(tmp_path: Path) -> None:
    result = stats(tmp_path, 'version = 1\n[cache]\nlimit = "lots"\n')
    assert result.returncode == 0
    assert "cache.limit" in result.stderr and "warning" in result.stderr
    assert json.loads(result.stdout)["limit"]["source"] == "default"
