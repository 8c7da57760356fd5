"""Preview cells as cluster tasks: the picklable call an ``Executor`` ships to another process.

The engine's own encode function closes over its live state (media table, decode statistics,
lock), which cannot leave the process. A cell's work needs only plain values: the media's
``MediaInfo``, the cell index and size, and the rung's ``PreviewProfile``; ``cell_tasks`` turns
a ``CellRef`` into that call, so the engine can hand ``DaskExecutor`` a ``TaskFn``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from core.cells.encode import PreviewProfile, encode_black, encode_run
from core.cells.encoders import SOFTWARE
from core.cells.plan import BLACK, CellRef
from core.engine.executor import Task, TaskFn
from core.errors import EncodeError
from core.media.info import MediaInfo

__all__ = ["cell_tasks", "encode_cell"]


def encode_cell(info: MediaInfo, cell: int, cell_frames: int, profile: PreviewProfile) -> bytes:
    """One cell's fMP4 bytes (one decode from the keyframe before it, one codec thread)."""
    for _index, data in encode_run(info, cell, cell, cell_frames, profile, threads=1):
        return data
    raise EncodeError(f"{info.path}: cell {cell} produced nothing")


def cell_tasks(
    profiles: Sequence[PreviewProfile], cell_frames: int, info_of: Callable[[str], MediaInfo | None]
) -> TaskFn:
    """The ``TaskFn`` of an engine: ``profiles`` by rung, ``info_of`` the media table's lookup."""

    def task(cell: CellRef) -> Task:
        profile = profiles[cell.rung]
        hardware = profile.encoder != SOFTWARE
        if cell.media == BLACK:
            return Task(functools.partial(encode_black, profile, cell.frames), hardware)
        info = info_of(cell.media)
        if info is None:
            raise EncodeError(f"media {cell.media!r} is offline")
        return Task(functools.partial(encode_cell, info, cell.index, cell_frames, profile), hardware)

    return task
