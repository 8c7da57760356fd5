"""The errors a user can act on.

Every failure caused by input (a bad media file, a malformed project, a full disk) surfaces as a
``LivecutError`` whose message is one sentence naming the file and the problem, so the CLI can
print it on one line and the TUI can show it as a notification. Raw PyAV or OS exceptions are
wrapped at the edge where the file name is known.
"""

from __future__ import annotations

from pathlib import Path


class LivecutError(Exception):
    """Base class: ``str(err)`` is the one sentence shown to the user."""


class MediaError(LivecutError):
    """A media file is missing, truncated, corrupt or unsupported."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ProjectError(LivecutError):
    """A project file cannot be used; ``problems`` lists each place that is wrong."""

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        joined = "; ".join(self.problems)
        super().__init__(f"{self.path}: {joined}")


class EditError(LivecutError):
    """An edit that cannot apply (e.g. splitting outside a clip)."""


class EncodeError(LivecutError):
    """Encoding a cell failed; the message names the source file and the time."""


class StoreError(LivecutError):
    """The cell cache cannot be written (e.g. the disk is full)."""


class Cancelled(Exception):
    """Work stopped because its cancel event was set: a decode, a cell encode, an export, the demo.

    The one cancellation type of the whole engine (every layer raises and catches this one, so a
    decode cancelled under an encode job under an export needs no translation on the way up). It
    is not a ``LivecutError``: nothing went wrong, and callers that asked for the cancel expect it.
    """
