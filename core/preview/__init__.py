"""The live preview and the seam a front end drives it through.

``seam`` holds the protocols and frame-unit events (no libmpv needed to import it), ``backend``
the production implementation, ``preview`` the engine + assembler + libmpv player glue, and
``still`` the directly decoded still shown before a cell is ready. Importing this package does
not load libmpv; ``core.preview.preview`` does.
"""

from __future__ import annotations

from core.preview.backend import CoreBackend
from core.preview.seam import (
    Backend,
    Ended,
    EngineChanged,
    EngineHandle,
    Failed,
    Paused,
    Position,
    PreviewEvent,
    PreviewHandle,
    SnapshotView,
    Waiting,
)
from core.preview.still import first_frame

__all__ = [
    "Backend",
    "CoreBackend",
    "Ended",
    "EngineChanged",
    "EngineHandle",
    "Failed",
    "Paused",
    "Position",
    "PreviewEvent",
    "PreviewHandle",
    "SnapshotView",
    "Waiting",
    "first_frame",
]
