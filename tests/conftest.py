"""Shared test set-up: every test gets its own cache and log dirs; real media lives in ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_MEDIA = ROOT.parent / "shared" / "media"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.mktemp("livecut-env")
    monkeypatch.setenv("LIVECUT_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("LIVECUT_LOG_DIR", str(base / "log"))
    monkeypatch.setenv("LIVECUT_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))


def shared_media_files() -> list[Path]:
    if not SHARED_MEDIA.is_dir():
        return []
    return sorted(p for p in SHARED_MEDIA.iterdir() if p.is_file() and p.suffix != ".md")


@pytest.fixture
def shared_media() -> Path:
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"real test media folder {SHARED_MEDIA} is absent")
    return SHARED_MEDIA
