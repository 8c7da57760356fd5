"""core and the headless CLI run without a terminal UI: importing them never loads textual or rich;
the browser preview and the seam run without libmpv.

Every module is found by walking the packages recursively (a module moved into a subpackage
stays covered), and each is imported in a fresh interpreter so that nothing imported earlier in
the test session can hide a dependency. The Textual-free packages are ``core`` and, in ``tui``,
``cli``, ``settings``, ``editor`` and ``terminal``; what they import from ``tui`` is read from
their source (imports inside functions too, which is how ``livecut play`` loads its picture
writers), so a lazy import of a Textual module fails here, not on a user's machine without a
list kept by hand.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core
import tui.cli
import tui.editor
import tui.settings
import tui.terminal

ROOT = Path(__file__).resolve().parent.parent


def _walk(package: object) -> list[str]:
    name = package.__name__  # type: ignore[attr-defined]
    path = package.__path__  # type: ignore[attr-defined]
    found = (m.name for m in pkgutil.walk_packages(path, prefix=name + "."))
    return [name, *sorted(m for m in found if not m.endswith(".__main__"))]  # __main__ would run the CLI


CORE_MODULES = _walk(core)
HEADLESS_PACKAGES = (tui.cli, tui.settings, tui.editor, tui.terminal)
HEADLESS_MODULES = [m for package in HEADLESS_PACKAGES for m in _walk(package)]
"""Every module of the Textual-free packages: what the headless commands and ``livecut play`` use."""
EDITOR_ENTRY = ("tui.cli.main", "tui.app")
"""The one way from the command line into Textual: ``livecut [PROJECT]`` opens the editor."""


def _source(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _tui_imports(module: str) -> set[str]:
    """Every ``tui`` module that ``module``'s source imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(_source(module).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "tui")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tui":
            found.add(node.module)
            # ``from tui.editor import editing`` imports a module; ``from tui.terminal import Graphics`` a name.
            found.update(f"{node.module}.{a.name}" for a in node.names if _source(f"{node.module}.{a.name}").exists())
    return found


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
    assert {"tui.cli.encode", "tui.cli.play", "tui.settings.config", "tui.editor.editing"} <= set(HEADLESS_MODULES)
    assert {"tui.terminal.termcaps", "tui.terminal.graphics", "tui.terminal.encode"} <= set(HEADLESS_MODULES)


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_module_imports_only_headless_tui(module: str) -> None:
    """Lazy imports count: ``play`` imports its picture writers inside functions."""
    headless = set(HEADLESS_MODULES)
    outside = sorted(m for m in _tui_imports(module) if m not in headless and (module, m) != EDITOR_ENTRY)
    assert not outside, f"{module} imports {outside}, outside the Textual-free packages"


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


LIBMPV_FREE = ("core.web.server", "core.preview.seam", "core.playback", "core.preview", "tui.bridge.bridge")
"""What must work on a machine without libmpv: the browser preview (it streams the assembler's
bytes to the page, no player involved), the seam and its events, and the editor's bridge."""


@pytest.mark.parametrize("module", LIBMPV_FREE)
def test_the_browser_preview_and_the_seam_never_load_libmpv(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m == 'mpv' or m.startswith('core.player'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
