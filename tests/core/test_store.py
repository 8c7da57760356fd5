from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cells.store import CellStore
from core.errors import StoreError

ROOT = Path(__file__).resolve().parents[2]


def key(i: int) -> str:
    return f"{i:032x}"


def test_put_get_survives_restart(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    store.put(key(1), b"abc" * 100)
    assert store.has(key(1)) and store.get(key(1)) == b"abc" * 100
    again = CellStore(tmp_path)
    assert again.get(key(1)) == b"abc" * 100
    assert again.stats().entries == 1 and again.stats().bytes > 300
    assert again.get(key(2)) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty"])
def test_corrupt_entry_is_discarded(tmp_path: Path, damage: str) -> None:
    store = CellStore(tmp_path)
    store.put(key(1), bytes(range(256)) * 10)
    path = next((tmp_path / "cells").glob("*/*.cell"))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:-7]
    elif damage == "flip":
        data[-1] ^= 0xFF
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert store.get(key(1)) is None
    assert not store.has(key(1)) and not path.exists()


def test_verify_removes_bad_entries(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    for i in range(3):
        store.put(key(i), b"x" * 50)
    bad = store._path(key(1))
    bad.write_bytes(bad.read_bytes()[:10])
    report = store.verify()
    assert (report.checked, report.removed) == (3, 1)
    assert store.keys() == {key(0), key(2)}


def test_lru_respects_byte_limit_and_pins(tmp_path: Path) -> None:
    store = CellStore(tmp_path, limit_bytes=3500)
    for i in range(3):
        store.put(key(i), b"x" * 1000)
        time.sleep(0.01)
    store.get(key(0))  # 0 is now the most recent
    store.pin({key(1)})
    store.put(key(3), b"y" * 1000)  # over the limit: evict LRU unpinned = 2
    assert store.keys() == {key(0), key(1), key(3)}
    assert store.total_bytes <= 3500
    store.pin(set())
    store.limit = 1100
    store.evict()
    assert store.keys() == {key(3)}


def test_clear(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    store.put(key(1), b"z")
    assert store.clear() == 1 and store.stats().entries == 0 and store.get(key(1)) is None


def test_write_failure_leaves_nothing(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    (tmp_path / "cells" / key(5)[:2]).write_text("a file where the folder should be")
    with pytest.raises(StoreError, match="cannot write a preview cell"):
        store.put(key(5), b"data")
    assert not store.has(key(5))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is needed to simulate a full disk")
def test_full_disk_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import core.atomic as atomic

    real_fdopen = os.fdopen

    def full_fdopen(fd: int, mode: str = "r", *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        os.close(fd)
        return real_fdopen(os.open("/dev/full", os.O_WRONLY), mode)

    store = CellStore(tmp_path)
    monkeypatch.setattr(atomic.os, "fdopen", full_fdopen)
    with pytest.raises(StoreError, match="disk is full"):
        store.put(key(9), b"q" * 100_000)
    monkeypatch.undo()
    assert not store.has(key(9)) and not list((tmp_path / "cells").glob("*/*"))


WRITER = """
import sys
from pathlib import Path
from core.cells.store import CellStore
store = CellStore(Path(sys.argv[1]))
payload = b"p" * (8 * 1024 * 1024)
print("ready", flush=True)
i = 0
while True:
    store.put(f"{i % 4:032x}", payload)
    i += 1
"""


def test_kill_during_write_leaves_no_partial_entry(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    store = CellStore(tmp_path)  # scanning also removes stray temp files
    for k in store.keys():
        assert store.get(k) == b"p" * (8 * 1024 * 1024)
    assert not list((tmp_path / "cells").glob("*/.*.tmp"))


def test_two_processes_sharing_a_folder_keep_it_under_the_limit(tmp_path: Path) -> None:
    a = CellStore(tmp_path, limit_bytes=3500)
    b = CellStore(tmp_path, limit_bytes=3500)
    b.refresh_s = 0  # re-read the folder at every write (30 s in use)
    for i in range(3):
        a.put(key(i), b"a" * 1000)
        time.sleep(0.01)
    for i in range(3, 6):
        b.put(key(i), b"b" * 1000)
    on_disk = sum(p.stat().st_size for p in (tmp_path / "cells").glob("*/*.cell"))
    assert on_disk <= 3500
    assert b.keys() == {key(3), key(4), key(5)}  # a's older entries went first
    a.refresh()
    assert a.keys() == b.keys() and a.total_bytes == b.total_bytes


def test_a_temp_file_being_written_by_another_process_is_left_alone(tmp_path: Path) -> None:
    CellStore(tmp_path)
    folder = tmp_path / "cells" / "ab"
    folder.mkdir()
    writing, killed, old = (folder / f".ab{i}.cell.x{i}.tmp" for i in range(3))
    for path in (writing, killed, old):
        path.write_bytes(b"half")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    with writing.open("ab"):  # a live writer holds it open
        CellStore(tmp_path)
    assert writing.exists() and not killed.exists() and not old.exists()
