"""A Dask distributed executor: the scheduler's cells and export segments encoded on a cluster.

Why it is shaped like this:

* **An existing distributed engine, not a home-made one.** Dask's scheduler already places work,
  orders it by ``priority=``, matches ``resources=``, retries a task whose worker died and
  deduplicates tasks by key; livecut only describes the work.
* **One Dask task per cell or segment, keyed by its content key** (``livecut-<key>``): two
  clients (two users, an editor and an export) asking for the same content while it is on the
  cluster share one computation. A run's cells are submitted together and come back in order.
* **Priority is the run's place in the plan** (the scheduler's order is nearest-the-playhead
  first), so Dask starts the most urgent work first when the cluster is busy.
* **Hardware-encoder jobs carry ``resources={"hwenc": 1}``**: only workers started with
  ``--resources hwenc=1`` take them (a cluster with none fails the job at once instead of
  leaving it waiting forever).
* **A task is one cell or segment, not a run**: each decodes from the source keyframe before
  its first frame, so a task costs at most one GOP of extra decode; that buys placement of
  every piece on any worker and dedup by content key.
* **Bytes come back to the client; workers need no cache.** A worker reads the sources by the
  same path as the client (a shared filesystem for media, mounted at the same place) and returns
  the encoded cell; the client's scheduler stores it, with its usual atomic writes, claims and
  LRU accounting. A shared *store* path would save one network copy of a result (a 10 s
  segment is a few MB, small next to the encode), but would need every worker to write the
  client's cache with its index and claims coherent across machines; returning bytes needs
  nothing beyond the media being reachable.
* **Failures.** A task that raises is retried once (``retries=1``) and its second error is that
  cell's error, as a local failure would be; a worker that dies mid-task has it rescheduled on
  another worker by Dask (``distributed.scheduler.allowed-failures``). Cancelling a job (Ctrl-C,
  a playhead move) cancels its futures on the cluster.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from core import locations
from core.engine.executor import ProgressFn, Run, TaskFn
from core.errors import Cancelled, EncodeError, LivecutError

log = logging.getLogger(__name__)

ENV = locations.CLUSTER_ENV
"""Environment variable naming the Dask scheduler (``tcp://HOST:8786``) when no option does."""
HWENC = "hwenc"
"""The Dask worker resource a hardware-encoder job asks for."""
KEY_PREFIX = "livecut-"
_POLL_S = 0.1
_CONNECT_S = 10.0

__all__ = ["ENV", "HWENC", "KEY_PREFIX", "ClusterError", "DaskExecutor", "connect"]


class ClusterError(LivecutError):
    """The Dask cluster cannot be reached or used."""


def connect(address: str, timeout: float = _CONNECT_S) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``; ``ClusterError`` when it cannot be had."""
    try:
        import distributed
    except ImportError:
        raise ClusterError(
            "the Dask cluster backend needs the optional extra: pip install 'livecut[cluster]'"
        ) from None
    client: Any = distributed.Client  # untyped
    try:
        return client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc})") from None


class DaskExecutor:
    """Sends each cell of a job to a Dask cluster; ``close()`` disconnects (when it connected)."""

    def __init__(
        self,
        cluster: str | Any,
        task_for: TaskFn,
        *,
        slots: int | None = None,
        retries: int = 1,
    ) -> None:
        """``cluster``: a scheduler address or a connected ``Client``. ``slots``: jobs at once
        (default: the cluster's worker threads when connecting, at least 2)."""
        self._task_for = task_for
        self._retries = retries
        self._own = isinstance(cluster, str)
        self.client: Any = connect(cluster) if isinstance(cluster, str) else cluster  # distributed is untyped
        threads = sum(self.client.nthreads().values())
        self._slots = max(1, slots) if slots is not None else max(2, threads)
        self.submitted: list[str] = []
        """Content keys sent to the cluster, in order (what was not cached)."""
        self._lock = threading.Lock()
        log.info(
            "Dask cluster %s: %d worker threads, %d jobs at once", self.client.scheduler.address, threads, self._slots
        )

    @property
    def slots(self) -> int:
        return self._slots

    def execute(
        self, run: Run, priority: int, cancel: threading.Event, progress: ProgressFn
    ) -> Iterator[tuple[int, bytes]]:
        total = sum(c.frames for c in run.cells)
        futures: list[Any] = []  # distributed.Future
        for cell in run.cells:
            task = self._task_for(cell)
            if task.hardware:
                self._check_hardware()
            resources: dict[str, Any] | None = {HWENC: 1} if task.hardware else None
            futures.append(
                self.client.submit(
                    task.call,
                    key=KEY_PREFIX + cell.key,
                    priority=priority,
                    resources=resources,
                    retries=self._retries,
                    pure=False,
                )
            )
            with self._lock:
                self.submitted.append(cell.key)
        done = 0
        try:
            for cell, future in zip(run.cells, futures, strict=True):
                data = self._result(future, cancel)
                done += cell.frames
                progress(done, total)
                yield cell.index, data
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:  # cancelled, failed or abandoned: the cluster need not finish them for us
                self.client.cancel(pending)
            for f in futures:
                f.release()

    def _check_hardware(self) -> None:
        """A job needing a hardware encoder would wait forever on a cluster without one: fail it."""
        workers = self.client.scheduler_info().get("workers", {})
        if not any(w.get("resources", {}).get(HWENC) for w in workers.values()):
            raise EncodeError(
                f"no worker of the Dask cluster offers a hardware encoder (start one with "
                f"`dask worker ADDRESS --resources {HWENC}=1`), or use --encoder libx264"
            )

    def _result(self, future: Any, cancel: threading.Event) -> bytes:
        """The future's bytes once it is done; polled with ``done()``, never ``result(timeout=)``:
        a timed-out ``result`` racing the task's completion can raise ``UnboundLocalError`` from
        inside distributed (its ``sync`` helper misses a ``CancelledError``), seen in a bench run."""
        finished = threading.Event()
        future.add_done_callback(lambda _f: finished.set())
        while not finished.wait(_POLL_S):
            if cancel.is_set():
                raise Cancelled
        if cancel.is_set():
            raise Cancelled
        try:
            data = future.result()
        except LivecutError:
            raise  # the job's own error (a damaged source, an encoder failure), as a local one
        except Exception as exc:  # a worker died too often, the task was lost or cancelled, ...
            if cancel.is_set():
                raise Cancelled from None
            raise EncodeError(f"the cluster could not encode this part ({type(exc).__name__}: {exc})") from None
        if not isinstance(data, bytes):
            raise EncodeError(f"the cluster returned {type(data).__name__}, not encoded bytes")
        return data

    def close(self) -> None:
        """Disconnect from the scheduler (a client passed in stays open: it is the caller's)."""
        if self._own:
            self.client.close()
