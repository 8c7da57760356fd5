"""Export on a Dask cluster (``LocalCluster``, 2 worker processes started here): the same film.

The cluster is real: worker processes import livecut, decode the sources by path and return
the encoded segments' bytes to this process, which stores and joins them.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from core.cells.plan import CellRef
from core.cells.store import CellStore
from core.engine.dask_executor import DaskExecutor
from core.engine.executor import Task
from core.engine.scheduler import Scheduler
from core.errors import Cancelled, EncodeError
from core.export.render import ExportOptions, ExportResult, export
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.synthetic.testpattern import make_source
from tests.core.helpers import picture_index

distributed = pytest.importorskip("distributed")

OPTS = ExportOptions(segment_frames=30, gop_frames=15, workers=2)
SIZES = {"a": (320, 240), "b": (320, 180)}


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.LocalCluster]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster: distributed.LocalCluster) -> Iterator[distributed.Client]:
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> proj.Project:
    d = tmp_path_factory.mktemp("cluster-src")
    make_source(d / "a.mp4", frames=150, width=320, height=240, fps=30, tone_hz=440)
    make_source(d / "b.mp4", frames=90, width=320, height=180, fps=30, tone_hz=660)
    p = proj.new_from_media(d / "p.toml", [str(d / "a.mp4"), str(d / "b.mp4")])
    clips = (Clip("a", 10, 130), Clip("b", 0, 1), Clip("b", 5, 77), Clip("a", 0, 2))
    return replace(p, timeline=Timeline(p.timeline.fps, p.timeline.media, clips), width=320, height=240)


@pytest.fixture(scope="module")
def local(project: proj.Project, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    d = tmp_path_factory.mktemp("local-out")
    return export(project, d / "film.mp4", OPTS, store=CellStore(d / "cache"))


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="yuv420p") for f in c.decode(video=0)]


def expected(project: proj.Project) -> list[int]:
    return [p.clip.in_ + i for p in project.timeline.placed() for i in range(p.clip.length)]


def indices(path: Path, project: proj.Project) -> list[int | None]:
    media = [p.clip.media for p in project.timeline.placed() for _ in range(p.clip.length)]
    with av.open(str(path)) as c:
        rgbs = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return [picture_index(rgb, SIZES[m]) for rgb, m in zip(rgbs, media, strict=True)]


@pytest.mark.slow
def test_cluster_export_is_frame_exact_and_equal_to_the_local_one(
    project: proj.Project, local: ExportResult, cluster: distributed.LocalCluster, tmp_path: Path
) -> None:
    result = export(
        project,
        tmp_path / "film.mp4",
        replace(OPTS, cluster=cluster.scheduler_address),
        store=CellStore(tmp_path / "cache"),
    )
    assert result.segments_sent == result.segments_encoded == local.segments_encoded > 0
    assert indices(result.output, project) == expected(project)
    ours, theirs = frames_of(result.output), frames_of(local.output)
    assert len(ours) == len(theirs) == project.timeline.duration
    for n, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert np.array_equal(a, b), f"frame {n} differs from the local export"


@pytest.mark.slow
def test_cached_segments_are_not_sent(project: proj.Project, cluster: distributed.LocalCluster, tmp_path: Path) -> None:
    store = CellStore(tmp_path / "cache")
    opts = replace(OPTS, cluster=cluster.scheduler_address)
    first = export(project, tmp_path / "one.mp4", opts, store=store)
    assert first.segments_sent == first.segments_encoded
    again = export(project, tmp_path / "two.mp4", opts, store=store)
    assert again.segments_sent == again.segments_encoded == 0
    clips = list(project.timeline.clips)
    clips[2] = Clip("b", 5, 50)  # trim one clip's tail: only its last segment changes
    trimmed = replace(project, timeline=replace(project.timeline, clips=tuple(clips)))
    third = export(trimmed, tmp_path / "three.mp4", opts, store=store)
    assert third.segments_sent == third.segments_encoded == 1
    assert indices(third.output, trimmed) == expected(trimmed)


@pytest.mark.slow
def test_a_worker_killed_mid_export_does_not_stop_it(
    project: proj.Project, cluster: distributed.LocalCluster, client: distributed.Client, tmp_path: Path
) -> None:
    client.wait_for_workers(2, timeout=60)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = export(
                project,
                tmp_path / "film.mp4",
                replace(OPTS, cluster=cluster.scheduler_address),
                store=CellStore(tmp_path / "cache"),
            )
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and thread.is_alive() and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]
        victim = busy[0] if busy else None
        time.sleep(0.01)
    assert victim is not None, "no segment was ever processing on the cluster"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)  # the worker process dies at once, mid-segment
    thread.join(100)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert isinstance(result, ExportResult)
    assert indices(result.output, project) == expected(project)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the other tests


def _fail_once_per_attempt(marker: str) -> bytes:
    with open(marker, "a") as fh:
        fh.write("x")
    raise EncodeError("this source is damaged at 1.00 s")


def test_a_job_failing_twice_is_that_cells_error(client: distributed.Client, tmp_path: Path) -> None:
    marker = tmp_path / "attempts"
    cell = CellRef("k" * 32, "m", 0, 10)

    def task(_cell: CellRef) -> Task:
        return Task(functools.partial(_fail_once_per_attempt, str(marker)))

    executor = DaskExecutor(client, task)
    with Scheduler(CellStore(tmp_path / "cache"), executor, share=False) as scheduler:
        scheduler.update([cell])
        assert scheduler.wait_idle(60)
        assert scheduler.failures() == {cell.key: "this source is damaged at 1.00 s"}
    assert marker.read_text() == "xx"  # tried, retried once, then reported


def _slow(seconds: float) -> bytes:
    time.sleep(seconds)
    return b"late"


def test_cancel_cancels_the_cluster_jobs(client: distributed.Client, tmp_path: Path) -> None:
    cells = [CellRef(f"{i:032x}", "m", i, 10) for i in range(4)]
    executor = DaskExecutor(client, lambda _c: Task(functools.partial(_slow, 30.0)), slots=1)
    cancel = threading.Event()
    from core.engine.executor import Run

    gen = executor.execute(Run("m", tuple(cells)), 0, cancel, lambda _d, _t: None)
    threading.Timer(0.5, cancel.set).start()
    with pytest.raises(Cancelled):
        next(gen)
    deadline = time.monotonic() + 20
    keys = {f"livecut-{c.key}" for c in cells}
    while time.monotonic() < deadline and keys & set(client.run_on_scheduler(_task_keys)):
        time.sleep(0.1)
    assert not keys & set(client.run_on_scheduler(_task_keys))


def _task_keys(dask_scheduler: object) -> list[str]:
    return [str(k) for k in dask_scheduler.tasks]  # type: ignore[attr-defined]


def _bytes(text: str) -> bytes:
    return text.encode()


def test_a_hardware_job_on_a_cluster_without_one_fails_at_once(client: distributed.Client, tmp_path: Path) -> None:
    cell = CellRef("h" * 32, "m", 0, 10)
    executor = DaskExecutor(client, lambda _c: Task(functools.partial(_bytes, "x"), hardware=True))
    with Scheduler(CellStore(tmp_path / "cache"), executor, share=False) as scheduler:
        scheduler.update([cell])
        assert scheduler.wait_idle(30)
        assert "hwenc=1" in scheduler.failures()[cell.key]


def test_a_hardware_job_goes_to_a_worker_that_offers_one(tmp_path: Path) -> None:
    with (
        distributed.LocalCluster(
            n_workers=1, processes=False, resources={"hwenc": 1}, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as c,
    ):
        cell = CellRef("g" * 32, "m", 0, 10)
        executor = DaskExecutor(c, lambda _c: Task(functools.partial(_bytes, "made"), hardware=True))
        store = CellStore(tmp_path / "cache")
        with Scheduler(store, executor, share=False) as scheduler:
            scheduler.update([cell])
            assert scheduler.wait_idle(30)
            assert scheduler.failures() == {}
        assert store.get(cell.key) == b"made"
