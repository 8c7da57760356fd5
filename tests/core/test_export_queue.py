"""The background export queue: order, one at a time, cancel and drop, failures, priority.

Most tests stand in for the render with a function that waits on the job's cancel event or on a
gate, so the order of events is exact; one runs the real export on tiny media.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.errors import Cancelled, LivecutError
from core.export.queue import (
    EXPORT_NICE,
    ExportQueue,
    JobCancelled,
    JobEvent,
    JobFailed,
    JobFinished,
    JobProgressed,
    JobStarted,
)
from core.export.render import ExportOptions, ExportProgress, ExportResult
from core.media.info import probe
from core.model import project as proj
from core.model.project import Project
from core.synthetic.testpattern import make_source
from tests.tui.conftest import three_clips


class Recorder:
    """Collects the queue's events; ``wait_for`` blocks until a condition on them holds."""

    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: JobEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[list[JobEvent]], bool], timeout: float = 10.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: condition(self.events), timeout), self.events

    def names(self) -> list[tuple[str, int]]:
        return [(type(e).__name__, e.job.id) for e in self.events]


def result(output: Path) -> ExportResult:
    return ExportResult(output, 1, 0.1, 1, 1, 0, 0.0, "libx264", 2, 2, 1)


class Gated:
    """A render that reports once, then waits for its gate (or its cancel event)."""

    def __init__(self) -> None:
        self.gates: dict[Path, threading.Event] = {}
        self.rendered: list[tuple[str, Path]] = []
        self.overlap = False
        self._active = 0

    def __call__(
        self,
        project: Project,
        output: str | os.PathLike[str],
        options: ExportOptions | None = None,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportResult:
        assert cancel is not None and on_progress is not None
        path = Path(output)
        self._active += 1
        self.overlap |= self._active > 1
        try:
            self.rendered.append((project.name, path))
            on_progress(ExportProgress("encode", 1, 2))
            gate = self.gates.setdefault(path, threading.Event())
            while not gate.wait(0.01):
                if cancel.is_set():
                    raise Cancelled
            if path.name.startswith("bad"):
                raise LivecutError(f"{path}: cannot write the export here")
            return result(path)
        finally:
            self._active -= 1

    def open(self, name: str) -> None:
        self.gates.setdefault(Path(name), threading.Event()).set()


def test_jobs_run_one_at_a_time_in_order_each_on_its_own_project() -> None:
    events, render = Recorder(), Gated()
    queue = ExportQueue(events, render=render)
    first = queue.submit(three_clips(), Path("one.mp4"))
    events.wait_for(lambda ev: any(isinstance(e, JobProgressed) for e in ev))
    later = three_clips()
    second = queue.submit(Project("edited", later.timeline), Path("two.mp4"))
    assert queue.running == first and queue.waiting == (second,)
    assert queue.outputs() == {Path("one.mp4"), Path("two.mp4")}
    render.open("one.mp4")
    events.wait_for(lambda ev: any(isinstance(e, JobProgressed) and e.job == second for e in ev))
    render.open("two.mp4")
    events.wait_for(lambda ev: sum(isinstance(e, JobFinished) for e in ev) == 2)
    assert events.names() == [
        ("JobStarted", 1),
        ("JobProgressed", 1),
        ("JobFinished", 1),
        ("JobStarted", 2),
        ("JobProgressed", 2),
        ("JobFinished", 2),
    ]
    assert render.rendered == [("three", Path("one.mp4")), ("edited", Path("two.mp4"))]
    assert not render.overlap and not queue.busy
    assert queue.close(timeout=5)


def test_cancel_stops_the_running_job_and_drops_a_waiting_one() -> None:
    events, render = Recorder(), Gated()
    queue = ExportQueue(events, render=render)
    first = queue.submit(three_clips(), Path("one.mp4"))
    second = queue.submit(three_clips(), Path("two.mp4"))
    third = queue.submit(three_clips(), Path("three.mp4"))
    events.wait_for(lambda ev: any(isinstance(e, JobStarted) for e in ev))
    assert queue.cancel(second.id) == second  # dropped before it starts: reported at once
    assert JobCancelled(second, started=False) in events.events
    assert queue.cancel() == first  # the running one
    events.wait_for(lambda ev: any(isinstance(e, JobStarted) and e.job == third for e in ev))
    assert JobCancelled(first, started=True) in events.events
    assert [path for _name, path in render.rendered] == [Path("one.mp4"), Path("three.mp4")]
    assert queue.cancel(99) is None
    queue.cancel_all()
    events.wait_for(lambda ev: JobCancelled(third, started=True) in ev)
    assert not queue.busy and queue.cancel() is None
    assert queue.close(timeout=5)


def test_a_failed_job_is_reported_and_the_next_one_runs() -> None:
    events, render = Recorder(), Gated()
    queue = ExportQueue(events, render=render)
    bad = queue.submit(three_clips(), Path("bad.mp4"))
    good = queue.submit(three_clips(), Path("good.mp4"))
    render.open("bad.mp4")
    render.open("good.mp4")
    events.wait_for(lambda ev: any(isinstance(e, JobFinished) for e in ev))
    failed = [e for e in events.events if isinstance(e, JobFailed)]
    assert [f.job for f in failed] == [bad] and str(failed[0].error) == "bad.mp4: cannot write the export here"
    assert isinstance(events.events[-1], JobFinished) and events.events[-1].job == good
    assert queue.close(timeout=5)


def test_close_cancels_and_waits_and_refuses_new_jobs() -> None:
    events, render = Recorder(), Gated()
    queue = ExportQueue(events, render=render)
    running = queue.submit(three_clips(), Path("one.mp4"))
    waiting = queue.submit(three_clips(), Path("two.mp4"))
    events.wait_for(lambda ev: any(isinstance(e, JobProgressed) for e in ev))
    assert queue.close(timeout=5)
    assert JobCancelled(waiting, started=False) in events.events
    assert JobCancelled(running, started=True) in events.events
    with pytest.raises(RuntimeError):
        queue.submit(three_clips(), Path("three.mp4"))
    assert ExportQueue(events).close(timeout=0)  # never started: nothing to wait for


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux's")
def test_the_export_and_the_threads_it_starts_run_below_normal_priority() -> None:
    seen: dict[str, int] = {}

    def render(
        project: Project,
        output: str | os.PathLike[str],
        options: ExportOptions | None = None,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportResult:
        def child() -> None:  # as the scheduler's encoders and x264's threads are started
            seen["child"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        thread = threading.Thread(target=child)
        thread.start()
        thread.join()
        seen["export"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return result(Path(output))

    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    events = Recorder()
    queue = ExportQueue(events, render=render)
    queue.submit(three_clips(), Path("one.mp4"))
    events.wait_for(lambda ev: any(isinstance(e, JobFinished) for e in ev))
    assert queue.close(timeout=5)
    expected = min(19, base + EXPORT_NICE)
    assert seen == {"export": expected, "child": expected}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # this thread kept its own


def test_real_exports_one_finished_one_cancelled_leave_only_the_film(tmp_path: Path) -> None:
    a = make_source(tmp_path / "a.mp4", frames=30, width=160, height=120, fps=30, label="A")
    project = proj.new_from_media(tmp_path / "p.toml", [str(a)])
    events = Recorder()
    queue = ExportQueue(events)
    done = queue.submit(project, tmp_path / "film.mp4", ExportOptions(height=120))
    stopped = queue.submit(project, tmp_path / "stopped.mp4", ExportOptions(height=720))
    events.wait_for(lambda ev: any(isinstance(e, JobProgressed) and e.job == stopped for e in ev), timeout=60)
    t0 = time.monotonic()
    assert queue.cancel() == stopped
    events.wait_for(lambda ev: JobCancelled(stopped, started=True) in ev, timeout=10)
    assert time.monotonic() - t0 < 2.0
    finished = [e for e in events.events if isinstance(e, JobFinished)]
    assert [f.job for f in finished] == [done]
    info = probe(tmp_path / "film.mp4")
    assert info.video is not None and info.video.frame_count == 30
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in {".mp4", ".part"}) == ["a.mp4", "film.mp4"]
    assert queue.close(timeout=5)
