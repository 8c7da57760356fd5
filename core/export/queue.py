"""Exports in the background: a queue of renders run one at a time on one thread.

Why it is shaped like this:

* **A job is a value taken when it is asked for.** ``submit`` stores the ``Project`` as it is at
  that moment (projects are immutable values), so edits made while the job waits or runs never
  change the film it writes; a second export asked for during the first renders what was on the
  timeline when it was asked for.
* **One worker thread, jobs in order.** Exports already use every core for their segments; two
  at once would only halve each one's speed and double the memory. The thread
  (``livecut-export-queue``) starts with the first job and waits for the next one until
  ``close``.
* **Below the preview.** On Linux the worker lowers its own scheduling priority
  (``EXPORT_NICE``) before the first render; the threads an export starts (its segment encoders,
  its audio encoder, x264's own threads) inherit it, so when the preview and an export both want
  the two cores the preview's encoders and the UI win, and the export takes what is left.
* **Reports go through one callback**, called on the worker thread (or on the caller's thread
  for a job dropped from the queue), with one frozen event per change: ``JobStarted``,
  ``JobProgressed``, ``JobFinished``, ``JobFailed``, ``JobCancelled``. A front end turns them into
  its own messages (the editor posts Textual messages); nothing here knows about a UI.
* **Cancelling is the render's own cancel event**: ``core.export.render.export`` removes its
  staged file and raises ``Cancelled``, so a cancelled job leaves nothing at or beside its output.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from core.errors import Cancelled, LivecutError
from core.export.render import ExportOptions, ExportProgress, ExportResult, export
from core.model.project import Project

log = logging.getLogger(__name__)

EXPORT_NICE = 10
"""How much the export thread (and every thread it starts) lowers its priority, on Linux."""

__all__ = [
    "EXPORT_NICE",
    "ExportJob",
    "ExportQueue",
    "JobCancelled",
    "JobEvent",
    "JobFailed",
    "JobFinished",
    "JobProgressed",
    "JobStarted",
]


class Render(Protocol):
    """What renders one job: ``core.export.render.export`` (tests pass a stand-in that waits)."""

    def __call__(
        self,
        project: Project,
        output: str | os.PathLike[str],
        options: ExportOptions | None = None,
        *,
        cancel: threading.Event | None = None,
        on_progress: Callable[[ExportProgress], None] | None = None,
    ) -> ExportResult: ...


@dataclass(frozen=True)
class ExportJob:
    """One export asked for: the project as it was then, where to write it, and how."""

    id: int
    project: Project
    output: Path
    options: ExportOptions = field(default_factory=ExportOptions)


@dataclass(frozen=True)
class JobStarted:
    job: ExportJob


@dataclass(frozen=True)
class JobProgressed:
    job: ExportJob
    progress: ExportProgress


@dataclass(frozen=True)
class JobFinished:
    job: ExportJob
    result: ExportResult


@dataclass(frozen=True)
class JobFailed:
    job: ExportJob
    error: Exception


@dataclass(frozen=True)
class JobCancelled:
    job: ExportJob
    started: bool
    """False: dropped from the queue before it began."""


JobEvent = JobStarted | JobProgressed | JobFinished | JobFailed | JobCancelled


class ExportQueue:
    """Runs submitted exports one after another on one background thread; thread-safe."""

    def __init__(
        self, on_event: Callable[[JobEvent], None], *, render: Render | None = None, nice: int = EXPORT_NICE
    ) -> None:
        self._on_event = on_event
        self._render = render
        self._nice = nice
        self._lock = threading.Condition()
        self._waiting: collections.deque[ExportJob] = collections.deque()
        self._running: ExportJob | None = None
        self._cancel = threading.Event()
        """The running job's cancel event."""
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- asking ----------------------------------------------------------------------------------
    def submit(self, project: Project, output: Path, options: ExportOptions | None = None) -> ExportJob:
        """Queue an export of ``project`` (as it is now) to ``output``; it starts when the ones
        before it are done."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the export queue is closed")
            job = ExportJob(next(self._ids), project, output, options or ExportOptions())
            self._waiting.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="livecut-export-queue", daemon=True)
                self._thread.start()
            self._lock.notify_all()
        log.info("export %d of %s queued: %s", job.id, project.name, output)
        return job

    def cancel(self, job_id: int | None = None) -> ExportJob | None:
        """Cancel job ``job_id`` (None: the running one): a running job stops and removes its
        staged file; a waiting one is dropped. Returns the job, or None when there was none."""
        dropped: ExportJob | None = None
        with self._lock:
            running = self._running
            if running is not None and job_id in (None, running.id):
                self._cancel.set()
                return running
            for job in self._waiting:
                if job.id == job_id:
                    self._waiting.remove(job)
                    dropped = job
                    break
        if dropped is not None:
            self._emit(JobCancelled(dropped, started=False))
        return dropped

    def cancel_all(self) -> None:
        """Drop every waiting job and cancel the running one."""
        with self._lock:
            dropped = list(self._waiting)
            self._waiting.clear()
            if self._running is not None:
                self._cancel.set()
        for job in dropped:
            self._emit(JobCancelled(job, started=False))

    def close(self, timeout: float | None = 10.0) -> bool:
        """Cancel everything and wait up to ``timeout`` s for the running job to clean up; True
        when the worker stopped."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self.cancel_all()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # -- reading ---------------------------------------------------------------------------------
    @property
    def running(self) -> ExportJob | None:
        with self._lock:
            return self._running

    @property
    def waiting(self) -> tuple[ExportJob, ...]:
        """Jobs not started yet, in the order they will run."""
        with self._lock:
            return tuple(self._waiting)

    @property
    def busy(self) -> bool:
        """A job runs or waits."""
        with self._lock:
            return self._running is not None or bool(self._waiting)

    def outputs(self) -> frozenset[Path]:
        """The files the running and waiting jobs will write."""
        with self._lock:
            jobs = [*self._waiting, *([self._running] if self._running else [])]
        return frozenset(job.output for job in jobs)

    # -- the worker ------------------------------------------------------------------------------
    def _work(self) -> None:
        _lower_priority(self._nice)
        while True:
            with self._lock:
                while not self._waiting and not self._closed:
                    self._lock.wait()
                if not self._waiting:
                    return
                job = self._running = self._waiting.popleft()
                self._cancel = cancel = threading.Event()
            try:
                outcome = self._run(job, cancel)
            finally:
                with self._lock:
                    self._running = None
            self._emit(outcome)  # after the job left ``running``: a listener reads the queue as it is

    def _run(self, job: ExportJob, cancel: threading.Event) -> JobEvent:
        """Render ``job``, reporting its start and progress; returns its outcome."""
        self._emit(JobStarted(job))

        def progressed(progress: ExportProgress) -> None:
            self._emit(JobProgressed(job, progress))

        render = self._render or export  # looked up now, so a test can stand in for the engine
        try:
            result = render(job.project, job.output, job.options, cancel=cancel, on_progress=progressed)
        except Cancelled:
            log.info("export %d cancelled: %s was not written", job.id, job.output)
            return JobCancelled(job, started=True)
        except Exception as exc:  # the front end says it; the next job still runs
            log.warning("export %d failed: %s", job.id, exc, exc_info=not isinstance(exc, LivecutError))
            return JobFailed(job, exc)
        log.info("export %d done: %s", job.id, job.output)
        return JobFinished(job, result)

    def _emit(self, event: JobEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # a front end that went away must not stop the queue
            log.exception("the export queue's listener failed on %s", type(event).__name__)


def _lower_priority(nice: int) -> None:
    """Raise this thread's nice value by ``nice`` (Linux: priority is per thread and inherited by
    the threads it starts). Elsewhere, or when refused, the export runs at the normal priority."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
