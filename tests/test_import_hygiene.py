"""core and the headless CLI run without a terminal UI: importing them never loads textual or rich.

Every module is found by walking the packages recursively (a module moved into a subpackage
stays covered), and each is imported in a fresh interpreter so that nothing imported earlier in
the test session can hide a dependency.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core
import tui.cli
import tui.settings

ROOT = Path(__file__).resolve().parent.parent


def _walk(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    path = package.__path__  # type: ignore[attr-defined]
    found = (m.name for m in pkgutil.walk_packages(path, prefix=name + "."))
    return [name, *sorted(m for m in found if not m.endswith(".__main__"))]  # __main__ would run the CLI


CORE_MODULES = _walk(core)
HEADLESS_MODULES = [
    *_walk(tui.cli),
    *_walk(tui.settings),
    "tui.draw.blockwriter",
    "tui.draw.latest",
    "tui.draw.scale",
    "tui.logsetup",
]
"""What ``livecut probe|info|new|demo|encode|encoders|cache|preview|play|export`` import."""


def _imports_no_ui(module: str) -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_walk_finds_the_subpackages() -> None:
    assert {"core.cells.store", "core.player.player", "core.stream.assembler", "core.export.render"} <= set(
        CORE_MODULES
    )
    assert {"tui.cli.encode", "tui.cli.play", "tui.settings.config"} <= set(HEADLESS_MODULES)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_never_imports_textual(module: str) -> None:
    result = _imports_no_ui(module)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_command_never_imports_textual(module: str) -> None:
    result = _imports_no_ui(module)
    assert result.returncode == 0, result.stderr


def test_core_never_imports_tui() -> None:
    code = (
        "import sys\n"
        f"for m in {CORE_MODULES!r}: __import__(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'tui')\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_headless_commands_run_without_textual(tmp_path: Path) -> None:
    """Running a command end to end (not only importing it) leaves textual unloaded."""
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "rc = main(['encoders', '--json'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "assert rc == 0 and not bad, (rc, bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
