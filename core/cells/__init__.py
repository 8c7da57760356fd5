"""Cells: the plan that maps a timeline onto content-addressed cells, their encode, and their store.

``plan`` is pure (timeline → segments); ``encode`` turns a run of source frames into all-intra
fMP4 cells with the encoder ``encoders`` chose; ``store`` keeps them on disk, verified and LRU.
"""

from __future__ import annotations

from core.cells.encode import PreviewProfile, encode_black, encode_run, preview_canvas
from core.cells.encoders import EncoderChoice, detect_encoders
from core.cells.plan import CellRef, PlanSettings, Segment, SegmentState, plan, segment_at
from core.cells.store import CellStore

__all__ = [
    "CellRef",
    "CellStore",
    "EncoderChoice",
    "PlanSettings",
    "PreviewProfile",
    "Segment",
    "SegmentState",
    "detect_encoders",
    "encode_black",
    "encode_run",
    "plan",
    "preview_canvas",
    "segment_at",
]
