"""Which formats exist, how a file name picks one, and loading OpenTimelineIO on demand.

OTIO is imported only here and only when a conversion runs, through ``importlib`` so the rest
of livecut (and its start-up) never depends on the optional extra; a missing package becomes
one line naming ``livecut[interchange]``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.interchange.errors import InterchangeError

EXTRA_HINT = "install the interchange extra: pip install 'livecut[interchange]'"


@dataclass(frozen=True)
class Format:
    """One interchange format."""

    name: str
    """What ``--format`` takes."""
    suffix: str
    """The file suffix that picks it."""
    adapter: str
    """The OTIO adapter name."""
    package: str
    """The Python package that provides the adapter (for the missing-extra message)."""
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("otio", ".otio", "otio_json", "opentimelineio", "OpenTimelineIO JSON"),
        Format("otioz", ".otioz", "otioz", "opentimelineio", "OpenTimelineIO bundle with its media"),
        Format("edl", ".edl", "cmx_3600", "otio-cmx3600-adapter", "CMX 3600 EDL"),
        Format("xml", ".xml", "fcp_xml", "otio-fcp-adapter", "Final Cut Pro 7 XML"),
    )
}


def format_for(path: str | Path, explicit: str | None = None) -> Format:
    """The format named by ``explicit``, else by the suffix of ``path``."""
    if explicit:
        key = explicit.lower().lstrip(".")
        if key not in FORMATS:
            raise InterchangeError(f"unknown format {explicit!r} (expected one of: {', '.join(FORMATS)})")
        return FORMATS[key]
    suffix = Path(path).suffix.lower()
    for fmt in FORMATS.values():
        if fmt.suffix == suffix:
            return fmt
    raise InterchangeError(
        f"{path}: cannot tell the format from the suffix {suffix or '(none)'!r} "
        f"(use {', '.join(f.suffix for f in FORMATS.values())} or --format)"
    )


def otio_module() -> Any:
    """The ``opentimelineio`` module (typed ``Any``: it ships no type information)."""
    try:
        return importlib.import_module("opentimelineio")
    except ImportError:
        raise InterchangeError(f"OpenTimelineIO is not installed: {EXTRA_HINT}") from None


def adapter_for(fmt: Format) -> Any:
    """OTIO with ``fmt``'s adapter checked to be present (the EDL and XML ones are plug-ins)."""
    otio = otio_module()
    try:
        otio.adapters.from_name(fmt.adapter).module()  # the plug-in is found and imports
    except Exception:  # OTIO reports an unknown adapter with its own exception types
        raise InterchangeError(
            f"the {fmt.description} adapter ({fmt.package}) is not installed: {EXTRA_HINT}"
        ) from None
    return otio
