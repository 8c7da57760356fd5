"""Two processes on one cache encode each cell once: claims, take-over of dead or stale owners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.cells.claims import Claims, Owner, pid_alive
from core.cells.plan import CellRef, SegmentState
from core.cells.store import CellStore
from core.engine.scheduler import CLAIMS_DIR, Run, Scheduler

ROOT = Path(__file__).resolve().parents[2]


def cells(n: int) -> list[CellRef]:
    return [CellRef(f"m{k:031d}", "m", k, 5) for k in range(n)]


class Counting:
    """An encoder that takes ``per_cell`` seconds a cell and counts what it encoded (shared by both)."""

    def __init__(self, counts: Counter[str], lock: threading.Lock, per_cell: float = 0.02) -> None:
        self.counts, self.lock, self.per_cell = counts, lock, per_cell

    def __call__(
        self, run: Run, cancel: threading.Event, progress: Callable[[int, int], None]
    ) -> Iterator[tuple[int, bytes]]:
        for c in run.cells:
            time.sleep(self.per_cell)
            with self.lock:
                self.counts[c.key] += 1
            yield c.index, f"cell {c.index}".encode()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def write_claim(folder: Path, key: str, host: str, pid: int, age_s: float = 0.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.claim"
    path.write_bytes(json.dumps({"host": host, "pid": pid, "token": "x"}).encode())
    if age_s:
        t = time.time() - age_s
        os.utime(path, (t, t))
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_two_schedulers_on_one_cache_encode_each_cell_once(tmp_path: Path, workers: int) -> None:
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    plan = cells(24)
    # two stores over one folder: what two processes see (each its own index)
    a = Scheduler(CellStore(tmp_path), Counting(counts, lock), workers=workers)
    b = Scheduler(CellStore(tmp_path), Counting(counts, lock), workers=workers)
    try:
        a.update(plan)
        b.update(plan)
        assert a.wait_idle(30) and b.wait_idle(30)
        assert all(a.store.has(c.key) and b.store.has(c.key) for c in plan)
    finally:
        a.close()
        b.close()
    assert set(counts) == {c.key for c in plan}
    assert max(counts.values()) == 1, f"cells encoded twice: {[k for k, n in counts.items() if n > 1]}"
    assert a.stats["cells_encoded"] + b.stats["cells_encoded"] == len(plan)
    assert not list((tmp_path / "cells" / CLAIMS_DIR).glob("*.claim"))  # all released


def test_claim_of_a_dead_process_is_taken_over_at_once(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    plan = cells(3)
    store = CellStore(tmp_path)
    write_claim(store.root / CLAIMS_DIR, plan[1].key, Claims(tmp_path).owner.host, dead_pid())
    with Scheduler(store, Counting(counts, threading.Lock())) as sched:
        sched.update(plan)
        assert sched.wait_idle(10)
    assert counts == Counter({c.key: 1 for c in plan})


def test_live_claim_elsewhere_is_waited_for_then_adopted(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    plan = cells(3)
    store = CellStore(tmp_path)
    claim = write_claim(store.root / CLAIMS_DIR, plan[2].key, "another-machine", 4242)
    with Scheduler(store, Counting(counts, threading.Lock())) as sched:
        sched.update(plan)
        assert not sched.wait_idle(1.0)  # the other machine is still at it
        assert sched.state(plan[2].key) == SegmentState.ENCODING
        assert counts == Counter({plan[0].key: 1, plan[1].key: 1})
        CellStore(tmp_path).put(plan[2].key, b"made elsewhere")  # the other machine's entry
        claim.unlink()
        assert sched.wait_idle(10)
        assert store.get(plan[2].key) == b"made elsewhere"
    assert plan[2].key not in counts


def test_claim_with_a_stale_heartbeat_is_taken_over(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    plan = cells(2)
    store = CellStore(tmp_path)
    write_claim(store.root / CLAIMS_DIR, plan[0].key, "another-machine", 4242, age_s=3600)
    with Scheduler(store, Counting(counts, threading.Lock())) as sched:
        sched.update(plan)
        assert sched.wait_idle(10)
    assert counts == Counter({c.key: 1 for c in plan})


def test_claim_going_stale_while_waited_for_is_taken_over(tmp_path: Path) -> None:
    counts: Counter[str] = Counter()
    plan = cells(1)
    store = CellStore(tmp_path)
    write_claim(store.root / CLAIMS_DIR, plan[0].key, "another-machine", 4242)
    with Scheduler(store, Counting(counts, threading.Lock())) as sched:
        assert sched.claims is not None
        sched.claims.stale_s = 0.5  # the other machine stops beating
        sched.update(plan)
        assert sched.wait_idle(10)
    assert counts == Counter({plan[0].key: 1})


def test_held_claims_are_kept_alive_and_a_fresh_claim_is_not_stolen(tmp_path: Path) -> None:
    mine = Claims(tmp_path, heartbeat_s=0.0)
    theirs = Claims(tmp_path, stale_s=0.5)
    assert mine.acquire("k") and not theirs.acquire("k")
    old = time.time() - 3600
    os.utime(tmp_path / "k.claim", (old, old))
    mine.heartbeat()
    assert not theirs.acquire("k")  # touched again: alive
    state = theirs.holder("k")
    assert state is not None and state.owner == mine.owner and not state.stale
    mine.release("k")
    assert theirs.acquire("k")
    mine.release("k")  # not ours any more: left alone
    assert (tmp_path / "k.claim").exists()
    assert Owner.from_bytes((tmp_path / "k.claim").read_bytes()) == theirs.owner


def test_half_written_claim_is_not_taken_over_while_young(tmp_path: Path) -> None:
    (tmp_path / "k.claim").write_bytes(b"")  # created, not yet written by its owner
    claims = Claims(tmp_path)
    assert not claims.acquire("k")
    old = time.time() - 3600
    os.utime(tmp_path / "k.claim", (old, old))
    assert claims.acquire("k")


@pytest.mark.slow
def test_two_encode_commands_on_one_project_and_cache_share_the_work(tmp_path: Path) -> None:
    from core.model import project as proj
    from core.synthetic.testpattern import make_source

    make_source(tmp_path / "a.mp4", frames=240, width=320, height=240, fps=30)
    proj.save(proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")]))
    env = {**os.environ, "LIVECUT_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "tui.cli", "encode", str(tmp_path / "p.toml"), "--json", "--workers", "1"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    results = [json.loads(p.communicate(timeout=110)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    total = results[0]["cells_total"]
    assert sum(r["cells_encoded"] for r in results) == total
    assert all(r["cells_encoded"] + r["cells_reused"] == total for r in results)


def test_claims_left_by_dead_processes_are_swept(tmp_path: Path) -> None:
    host = Claims(tmp_path).owner.host
    dead = write_claim(tmp_path, "a", host, dead_pid())
    old = write_claim(tmp_path, "b", "another-machine", 4242, age_s=3600)
    live = write_claim(tmp_path, "c", host, os.getpid())
    assert Claims(tmp_path).sweep() == 2
    assert not dead.exists() and not old.exists() and live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.claim"]
