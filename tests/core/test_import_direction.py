"""``core.media`` sits below ``core.model``: the model imports media (a ``MediaRef`` carries its
``MediaInfo``, a project probes its files, ``playout`` reads a timeline's media), media never
imports the model. Read from the source, imports inside functions and ``TYPE_CHECKING`` blocks
included, so a circle cannot come back through a lazy import."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)  # ``from core import model``
    return found


def test_media_never_imports_the_model() -> None:
    found = {
        f"{path.relative_to(CORE.parent)} imports {name}"
        for path in sorted((CORE / "media").glob("*.py"))
        for name in _imports(path)
        if name == "core.model" or name.startswith("core.model.")
    }
    assert not found, f"core.media must not import core.model (the model sits above media): {sorted(found)}"
