"""Preview cells as cluster tasks: a Scheduler with a DaskExecutor fills a store the engine can use."""

from __future__ import annotations

import io
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from core.cells.encode import PreviewProfile, encode_run
from core.cells.plan import CellRef
from core.cells.store import CellStore
from core.engine.cell_task import cell_tasks
from core.engine.dask_executor import DaskExecutor
from core.engine.scheduler import Scheduler
from core.model import project as proj
from core.synthetic.testpattern import make_source
from tests.core.helpers import picture_index

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        yield c


def frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.mark.slow
def test_cells_encoded_on_the_cluster_show_the_right_frames(client: distributed.Client, tmp_path: Path) -> None:
    src = make_source(tmp_path / "a.mp4", frames=100, width=160, height=120, fps=30, audio=False)
    info = proj.media_ref("a", str(src), tmp_path).info
    assert info is not None
    profile = PreviewProfile(160, 120, Fraction(30))
    cells = [CellRef(f"{i:032x}", "a", i, min(30, 100 - 30 * i)) for i in range(4)]
    executor = DaskExecutor(client, cell_tasks([profile], 30, {"a": info}.get))
    store = CellStore(tmp_path / "cache")
    with Scheduler(store, executor, share=False) as scheduler:
        scheduler.update(cells)
        assert scheduler.wait_idle(60)
        assert scheduler.failures() == {}
    assert sorted(executor.submitted) == sorted(c.key for c in cells)
    local = dict(encode_run(info, 0, 3, 30, profile))
    for cell in cells:
        data = store.get(cell.key)
        assert data is not None
        remote = frames(data)
        assert [picture_index(f, (160, 120)) for f in remote] == list(
            range(30 * cell.index, 30 * cell.index + cell.frames)
        )
        assert len(remote) == len(frames(local[cell.index]))


def test_an_offline_media_fails_its_cell(client: distributed.Client, tmp_path: Path) -> None:
    profile = PreviewProfile(160, 120, Fraction(30))
    cell = CellRef("f" * 32, "gone", 0, 30)
    executor = DaskExecutor(client, cell_tasks([profile], 30, {}.get))
    with Scheduler(CellStore(tmp_path / "cache"), executor, share=False) as scheduler:
        scheduler.update([cell])
        assert scheduler.wait_idle(30)
        assert "offline" in scheduler.failures()[cell.key]
