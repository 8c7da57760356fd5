"""Paths and environment in one place: ``core.locations`` reads every ``LIVECUT_*`` variable, at
call time, and is the only module that does (or that imports ``platformdirs``); the README's
table lists exactly those variables; the version's one literal is pyproject's."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

import core
from core import locations

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^LIVECUT_[A-Z_]+$")


def _modules() -> list[Path]:
    return sorted(p for package in ("core", "tui") for p in (ROOT / package).rglob("*.py"))


def _imported(node: ast.AST) -> set[str]:
    """Top-level packages an import statement names."""
    if isinstance(node, ast.Import):
        return {a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.module:
        return {node.module.split(".")[0]}
    return set()


def test_each_folder_is_read_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for env, read in (
        (locations.CACHE_DIR_ENV, locations.cache_dir),
        (locations.CONFIG_DIR_ENV, locations.config_dir),
        (locations.LOG_DIR_ENV, locations.log_dir),
    ):
        monkeypatch.setenv(env, str(tmp_path / env))
        assert read() == tmp_path / env
        monkeypatch.delenv(env)
        assert read().name in ("livecut", "log") and read() != tmp_path / env  # the platform folder


def test_each_setting_is_read_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in locations.VARIABLES:
        monkeypatch.delenv(env, raising=False)
    assert (locations.cache_limit_text(), locations.encoder(), locations.cluster()) == ("", "", None)
    assert locations.preview_window_mb_text() == ""
    assert locations.display_check_seconds() == locations.DISPLAY_CHECK_SECONDS
    monkeypatch.setenv(locations.CACHE_LIMIT_ENV, " 2GiB ")
    monkeypatch.setenv(locations.ENCODER_ENV, "libx264")
    monkeypatch.setenv(locations.CLUSTER_ENV, "tcp://h:8786")
    monkeypatch.setenv(locations.PREVIEW_WINDOW_MB_ENV, "96")
    monkeypatch.setenv(locations.DISPLAY_CHECK_SECONDS_ENV, "5")
    assert (locations.cache_limit_text(), locations.encoder(), locations.cluster()) == (
        "2GiB",
        "libx264",
        "tcp://h:8786",
    )
    assert (locations.preview_window_mb_text(), locations.display_check_seconds()) == ("96", 5.0)
    for bad in ("soon", "0", "-1", "nan"):
        monkeypatch.setenv(locations.DISPLAY_CHECK_SECONDS_ENV, bad)
        assert locations.display_check_seconds() == locations.DISPLAY_CHECK_SECONDS, bad


def test_only_locations_names_a_variable_or_imports_platformdirs() -> None:
    """A ``LIVECUT_*`` name as a string (``os.environ.get("LIVECUT_X")``) or a ``platformdirs``
    import anywhere else in core or tui is a variable read outside the one place."""
    found: list[str] = []
    for path in _modules():
        if path == ROOT / "core" / "locations.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
                found.append(f"{where} names {node.value}")
            elif "platformdirs" in _imported(node):
                found.append(f"{where} imports platformdirs")
    assert not found, "read these through core.locations: " + "; ".join(found)


def test_the_readme_table_lists_exactly_the_variables() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(LIVECUT_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    assert rows == set(locations.VARIABLES)


def test_the_version_has_one_literal() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert core.__version__ == pyproject["project"]["version"]
    init = ast.parse((ROOT / "core" / "__init__.py").read_text(encoding="utf-8"))
    literals = [n.value for n in ast.walk(init) if isinstance(n, ast.Constant) and n.value == core.__version__]
    assert not literals, "core/__init__.py repeats the version: read it from the package metadata"
