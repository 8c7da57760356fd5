"""Every private Textual name the preview pane relies on still exists.

``tui/widgets/preview_pane.py`` writes pictures past Textual's segments (see its docstring), which
needs a few of Textual's internals that have no public counterpart. ``pyproject.toml`` pins
Textual to a tested range; when an upgrade inside or past it removes one of these, this test says
which name and where the pane uses it, instead of the pane quietly degrading (``_backlog`` reads
the writer's queue with ``getattr`` and would report no backlog forever).

The last test reads the pane's source: a private attribute it uses that is neither its own nor
listed here fails, so a new reliance cannot slip in unchecked.
"""

from __future__ import annotations

import ast
import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import TypeGuard

from textual.app import App
from textual.drivers._writer_thread import WriterThread
from textual.drivers.linux_driver import LinuxDriver
from textual.widget import Widget

import tui.widgets.preview_pane as pane_module

PANE = Path(pane_module.__file__)


def _app_driver() -> bool:
    return hasattr(App(), "_driver")


def _driver_writer_thread() -> bool:
    async def build() -> bool:
        return hasattr(LinuxDriver(App(), debug=False, mouse=False, size=None), "_writer_thread")

    return asyncio.run(build())


def _writer_queue() -> bool:
    return callable(getattr(getattr(WriterThread(io.StringIO()), "_queue", None), "qsize", None))


def _styles_cache_clear() -> bool:
    return callable(getattr(getattr(Widget(), "_styles_cache", None), "clear", None))


def _styles_cache_lines() -> bool:
    return isinstance(getattr(getattr(Widget(), "_styles_cache", None), "_cache", None), dict)


def _border_title_descriptor() -> bool:
    found = Widget.__dict__.get("border_title")
    return hasattr(found, "__get__") and hasattr(found, "__set__")


RELIED_ON: dict[str, tuple[str, Callable[[], bool]]] = {
    "_driver": (
        "App._driver, the driver the pane writes picture bytes through (PreviewPane._terminal_driver)",
        _app_driver,
    ),
    "_writer_thread": (
        "LinuxDriver._writer_thread, whose queue tells the pane the terminal is behind (PreviewPane._backlog)",
        _driver_writer_thread,
    ),
    "_queue": (
        "WriterThread._queue.qsize(), the writes not yet taken by the terminal (PreviewPane._backlog)",
        _writer_queue,
    ),
    "_styles_cache": (
        "Widget._styles_cache.clear(), dropping lines cached from an older frame (PreviewPane.render_lines)",
        _styles_cache_clear,
    ),
    "_cache": (
        "StylesCache._cache, the cached strips whose reference cycles the pane breaks (PreviewPane._drop_strips)",
        _styles_cache_lines,
    ),
    "border_title": (
        "Widget.__dict__['border_title'], a data descriptor the pane wraps to skip repaints (PreviewPane.border_title)",
        _border_title_descriptor,
    ),
}


def test_each_private_name_the_pane_uses_exists() -> None:
    missing = [f"{where}: gone in this Textual" for where, check in RELIED_ON.values() if not check()]
    assert not missing, "tui/widgets/preview_pane.py relies on " + "; ".join(missing)


def _is_getattr(node: ast.AST) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
    )


def _private_names_used(tree: ast.AST) -> set[str]:
    """``x._name`` attribute reads and ``getattr(x, "_name", ...)`` strings (dunders excepted)."""
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif _is_getattr(node) and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            used.add(node.args[1].value)
    return {n for n in used if n.startswith("_") and not n.startswith("__")}


def _own_names(tree: ast.AST) -> set[str]:
    """What the pane module defines itself: its functions, classes, module names and ``self.x`` attributes."""
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Name):
                        own.add(part.id)
                    elif (
                        isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name) and part.value.id == "self"
                    ):
                        own.add(part.attr)
    return own


def test_the_list_covers_every_private_name_in_the_pane() -> None:
    tree = ast.parse(PANE.read_text(encoding="utf-8"))
    unlisted = sorted(_private_names_used(tree) - _own_names(tree) - set(RELIED_ON))
    assert not unlisted, (
        f"tui/widgets/preview_pane.py uses private names {unlisted} that are not its own: "
        "add each to RELIED_ON with a check, or use a public Textual API"
    )
