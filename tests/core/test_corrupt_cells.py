"""Cells and export segments that go bad on disk are re-encoded on read, never waited on forever.

Every test damages a real file in a real on-disk store (seven bytes overwritten, truncated to 0
bytes, or deleted behind the store's back), either before the store is opened (a later run) or
after (inside one process, the store's index still saying "ready"), then previews or exports
and checks every frame's index band.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import av
import pytest

from core.cells.plan import SegmentState
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.engine.scheduler import CellProgress, CellQueued, CellReady, CellStarted, Event
from core.export.render import ExportOptions, ExportResult, export
from core.model import project as proj
from core.stream.assembler import Assembler, StreamSession
from core.stream.bytestream import GrowingStream
from core.synthetic.testpattern import make_source

from .helpers import picture_index

C = 15
FRAMES = 60
SIZE = (160, 120)
MODES = ["flip", "empty", "delete"]
WAIT_S = 60
"""Generous bound for joins: a hang fails the test instead of blocking the run."""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("corrupt-media")
    make_source(d / "a.mp4", frames=FRAMES, width=SIZE[0], height=SIZE[1], fps=30)
    return d


def project_in(media: Path, tmp: Path) -> proj.Project:
    p = proj.new_from_media(tmp / "p.toml", [str(media / "a.mp4")], fps="30")
    return replace(p, width=320, height=240, preview_height=120, cell_frames=C)


@pytest.fixture(scope="module")
def warm(media: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[proj.Project, Path]:
    """A project whose cells are all in a store."""
    tmp = tmp_path_factory.mktemp("corrupt-warm")
    p = project_in(media, tmp)
    with Engine(p, workers=2, store=CellStore(tmp / "cache")) as eng:
        assert eng.wait_ready(WAIT_S)
        assert all(s == SegmentState.READY for s in eng.snapshot().states)
    return p, tmp / "cache"


def damage(store_root: Path, key: str, mode: str) -> None:
    """Ruin the entry file of ``key`` under a store's ``root`` (``<cache>/cells``)."""
    path = store_root / key[:2] / f"{key}.cell"
    if mode == "flip":
        blob = bytearray(path.read_bytes())
        mid = len(blob) // 2
        blob[mid : mid + 7] = bytes(b ^ 0xFF for b in blob[mid : mid + 7])
        path.write_bytes(bytes(blob))
    elif mode == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()


def fresh_cache(warm_cache: Path, tmp: Path) -> Path:
    cache = tmp / "cache"
    shutil.copytree(warm_cache, cache)
    return cache


def preview(eng: Engine) -> tuple[StreamSession, bytes]:
    """Assemble the whole timeline on a thread, as the preview does; fail rather than hang."""
    asm = Assembler(eng.store, eng.fps)
    sink = GrowingStream()
    session = asm.session(eng.timeline, eng.segments, 0, sink, eng.resolve).start_thread()
    session.join(WAIT_S)
    alive = session._thread is not None and session._thread.is_alive()
    session.cancel()
    session.join(5)
    asm.close()
    assert not alive, "the stream session hung"
    assert session.state.done
    return session, sink.getvalue()


def frame_indices(data: bytes, tmp: Path) -> list[int | None]:
    path = tmp / "preview.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as c:
        return [picture_index(f.to_ndarray(format="rgb24"), SIZE) for f in c.decode(video=0)]


@pytest.mark.parametrize("mode", MODES)
def test_cell_damaged_between_runs_is_reencoded_and_the_preview_is_frame_exact(
    warm: tuple[proj.Project, Path], tmp_path: Path, mode: str
) -> None:
    p, warm_cache = warm
    cache = fresh_cache(warm_cache, tmp_path)
    with Engine(p, workers=1, store=CellStore(cache)) as first:
        key = first.segments[1].key
    damage(cache / "cells", key, mode)
    with Engine(p, workers=1, store=CellStore(cache)) as eng:  # the next run
        assert eng.wait_ready(WAIT_S)
        _session, data = preview(eng)
        assert eng.encoded_keys() == {key}
        assert eng.snapshot().states == (SegmentState.READY,) * len(eng.segments)
    assert frame_indices(data, tmp_path) == list(range(FRAMES))


@pytest.mark.parametrize("mode", MODES)
def test_cell_damaged_under_a_running_engine_is_requeued_and_shown_pending_encoding_ready(
    warm: tuple[proj.Project, Path], tmp_path: Path, mode: str
) -> None:
    p, warm_cache = warm
    cache = fresh_cache(warm_cache, tmp_path)
    events: list[Event | object] = []
    with Engine(p, workers=1, store=CellStore(cache), on_event=events.append) as eng:
        assert eng.wait_ready(WAIT_S)
        assert eng.encoded_keys() == set()
        key = eng.segments[2].key
        damage(eng.store.root, key, mode)
        assert eng.state_of(eng.segments[2]) == SegmentState.READY  # the index cannot know yet
        _session, data = preview(eng)
        assert eng.encoded_keys() == {key}
        assert eng.state_of(eng.segments[2]) == SegmentState.READY
        assert not eng.snapshot().errors
    mine = [type(e) for e in events if getattr(e, "key", None) == key and not isinstance(e, CellProgress)]
    assert mine == [CellQueued, CellStarted, CellReady]
    assert frame_indices(data, tmp_path) == list(range(FRAMES))


def test_cell_whose_reencode_fails_plays_black_and_the_stream_goes_on(
    media: Path, warm: tuple[proj.Project, Path], tmp_path: Path
) -> None:
    """The source went away after the cells were made: the damaged cell cannot come back."""
    shutil.copy(media / "a.mp4", tmp_path / "a.mp4")
    p = project_in(tmp_path, tmp_path)
    cache = tmp_path / "cache"
    with Engine(p, workers=1, store=CellStore(cache)) as eng:
        assert eng.wait_ready(WAIT_S)
        (tmp_path / "a.mp4").unlink()  # the media is gone from now on
        key = eng.segments[1].key
        damage(eng.store.root, key, "flip")
        _session, data = preview(eng)
        snap = eng.snapshot()
        assert snap.states[1] == SegmentState.FAILED
        assert key in snap.errors
    got = frame_indices(data, tmp_path)
    assert len(got) == FRAMES
    assert got[:C] == list(range(C))
    assert got[C : 2 * C] == [None] * C  # black
    assert got[2 * C :] == list(range(2 * C, FRAMES))


class _BadDisk(CellStore):
    """A real store on a disk that ruins every write of one key (to prove "bad twice" fails)."""

    victim = ""

    def put(self, key: str, payload: bytes) -> None:
        super().put(key, payload)
        if key == self.victim:
            damage(self.root, key, "flip")


def test_cell_that_goes_bad_again_after_its_reencode_fails_instead_of_looping(
    warm: tuple[proj.Project, Path], tmp_path: Path
) -> None:
    p, warm_cache = warm
    cache = fresh_cache(warm_cache, tmp_path)
    store = _BadDisk(cache)
    with Engine(p, workers=1, store=store) as eng:
        key = eng.segments[0].key
        store.victim = key
        damage(store.root, key, "flip")
        _session, data = preview(eng)
        assert eng.snapshot().states[0] == SegmentState.FAILED
        assert "keeps going bad" in eng.snapshot().errors[key]
    got = frame_indices(data, tmp_path)
    assert got == [None] * C + list(range(C, FRAMES))


def test_store_reports_each_bad_entry_once_and_verify_reports_too(tmp_path: Path) -> None:
    store = CellStore(tmp_path)
    seen: list[tuple[str, str]] = []
    unsubscribe = store.on_bad(lambda key, why: seen.append((key, why)))
    for key in ("aa01", "bb02", "cc03"):
        store.put(key, key.encode() * 100)
    damage(store.root, "aa01", "flip")
    damage(store.root, "bb02", "empty")
    damage(store.root, "cc03", "delete")
    assert store.get("aa01") is None and not store.has("aa01")
    assert store.get("aa01") is None  # already gone: not reported again
    assert store.get("cc03") is None
    assert store.verify().removed == 1  # bb02 (cc03 already left the index)
    unsubscribe()
    store.put("dd04", b"x")
    damage(store.root, "dd04", "empty")
    assert store.get("dd04") is None
    assert seen == [("aa01", "truncated or corrupt"), ("cc03", "missing"), ("bb02", "truncated or corrupt")]
    assert store.keys() == set()


# -- export --------------------------------------------------------------------------------------
def export_indices(path: Path) -> list[int | None]:
    with av.open(str(path)) as c:
        return [picture_index(f.to_ndarray(format="rgb24"), SIZE) for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def exported(media: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[proj.Project, Path]:
    tmp = tmp_path_factory.mktemp("corrupt-export")
    p = project_in(media, tmp)
    opts = ExportOptions(height=120, segment_frames=20, workers=2)
    result = export(p, tmp / "first.mp4", opts, store=CellStore(tmp / "xcache"))
    assert result.segments_encoded == 3
    return p, tmp / "xcache"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("when", ["between-runs", "in-process"])
def test_export_segment_damaged_is_reencoded_and_the_film_is_frame_exact(
    exported: tuple[proj.Project, Path], tmp_path: Path, mode: str, when: str
) -> None:
    p, warm_cache = exported
    cache = fresh_cache(warm_cache, tmp_path)
    opts = ExportOptions(height=120, segment_frames=20, workers=2)
    victim = sorted(CellStore(cache).keys())[1]
    if when == "between-runs":
        damage(cache / "cells", victim, mode)
        store = CellStore(cache)
    else:  # the store indexed it whole, then the disk changed under it
        store = CellStore(cache)
        damage(store.root, victim, mode)
    done = threading.Event()
    out = tmp_path / "film.mp4"
    holder: list[ExportResult] = []

    def run() -> None:
        holder.append(export(p, out, opts, store=store))
        done.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert done.wait(WAIT_S), "the export hung"
    result = holder[0]
    assert result.segments_encoded == 1
    assert result.segments_reused == 2
    assert export_indices(out) == list(range(FRAMES))
