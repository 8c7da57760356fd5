"""livecut's engine: everything that works without a terminal.

Nothing under ``core`` may import ``textual``, ``rich`` or ``tui``; a test enforces it so the
CLI's headless commands, the tests and any later front end drive the same engine.

``__version__``: the one literal is in ``pyproject.toml``; here it is read from the installed
package's metadata (``pip install -e .`` writes it too), so the two can never disagree. It is read
on first use, not at import: ``importlib.metadata`` costs 30-100 ms to import, which every process
that imports ``core`` (CLI commands, cluster workers, the display check) would otherwise pay.
"""

from __future__ import annotations

ENGINE_VERSION = 4
"""Bumped whenever an encode would produce different bytes; part of every cell key."""

UNKNOWN_VERSION = "0+unknown"
"""``__version__`` of a source tree run without installing (no package metadata to read)."""


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("livecut")
        except PackageNotFoundError:
            found = UNKNOWN_VERSION
        globals()["__version__"] = found  # later reads are plain attribute lookups
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
