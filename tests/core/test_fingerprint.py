"""The fingerprint is the whole content: same-size files with the same head and tail never collide."""

from __future__ import annotations

import importlib
import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
import xxhash

from core.cells.store import CellStore, default_cache_dir
from core.export.render import ExportOptions, export
from core.media.fingerprint import MEMO_NAME, fingerprint
from core.model import project as proj

fpmod = importlib.import_module("core.media.fingerprint")  # core.media.fingerprint is also the function
DV_SIZE = (720, 576)


def make_dv(path: Path, middle: tuple[int, int, int]) -> Path:
    """3 s of PAL DV: 1 s black, 1 s of ``middle`` colour, 1 s black (the size depends only on length)."""
    with av.open(str(path), "w", format="dv") as c:
        s = c.add_stream("dvvideo", rate=25)
        s.width, s.height, s.pix_fmt = *DV_SIZE, "yuv420p"
        n = 0
        for colour in ((0, 0, 0), middle, (0, 0, 0)):
            rgb = np.zeros((DV_SIZE[1], DV_SIZE[0], 3), np.uint8)
            rgb[...] = colour
            frame = av.VideoFrame.from_ndarray(rgb, "rgb24").reformat(format="yuv420p")
            for _ in range(25):
                frame.pts = n
                n += 1
                for p in s.encode(frame):
                    c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


@pytest.fixture(scope="module")
def dv_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("dv")
    return make_dv(d / "red.dv", (220, 0, 0)), make_dv(d / "blue.dv", (0, 0, 220))


def sampled(path: Path) -> str:
    """The old fingerprint: size + first and last 64 KiB."""
    data = path.read_bytes()
    return xxhash.xxh3_128_hexdigest(len(data).to_bytes(8, "little") + data[:65536] + data[-65536:])


def test_same_size_same_head_and_tail_do_not_collide(dv_pair: tuple[Path, Path]) -> None:
    red, blue = dv_pair
    assert red.stat().st_size == blue.stat().st_size
    assert sampled(red) == sampled(blue)  # the collision the sampled hash had
    assert fingerprint(red) != fingerprint(blue)
    assert fingerprint(red) == xxhash.xxh3_128_hexdigest(red.read_bytes())


def test_replaced_file_is_hashed_again_even_with_the_old_mtime(dv_pair: tuple[Path, Path], tmp_path: Path) -> None:
    red, blue = dv_pair
    clip = tmp_path / "clip.dv"
    shutil.copyfile(red, clip)
    before = fingerprint(clip)
    mtime = clip.stat().st_mtime_ns
    tmp = tmp_path / "new.dv"
    shutil.copyfile(blue, tmp)
    os.utime(tmp, ns=(mtime, mtime))
    os.replace(tmp, clip)  # same name, size and mtime: a new inode
    assert fingerprint(clip) == fingerprint(blue) != before
    # rewritten in place, same inode, same size, mtime put back: ctime still moves
    with clip.open("r+b") as fh:
        fh.write(red.read_bytes())
    os.utime(clip, ns=(mtime, mtime))
    assert fingerprint(clip) == before


def test_memo_survives_a_restart_and_costs_no_read(
    dv_pair: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = tmp_path / "clip.dv"
    shutil.copyfile(dv_pair[0], clip)
    first = fingerprint(clip)
    assert (default_cache_dir() / MEMO_NAME).is_file()
    fpmod.forget_memo()  # as a new process would start
    reads: list[Path] = []
    real = fpmod.hash_file

    def counting(path: Path) -> str:
        reads.append(path)
        return str(real(path))

    monkeypatch.setattr(fpmod, "hash_file", counting)
    assert fingerprint(clip) == first and reads == []
    os.utime(clip)  # touched: hashed again
    assert fingerprint(clip) == first and reads == [clip]


def test_corrupt_memo_is_tolerated_and_rewritten(dv_pair: tuple[Path, Path]) -> None:
    memo = default_cache_dir() / MEMO_NAME
    memo.parent.mkdir(parents=True, exist_ok=True)
    for junk in (b"\x00garbage{", b'{"format": 1, "files": {"1:2": [1, 2]}}', b"[]"):
        memo.write_bytes(junk)
        fpmod.forget_memo()
        assert fingerprint(dv_pair[0]) == xxhash.xxh3_128_hexdigest(dv_pair[0].read_bytes())
        assert json.loads(memo.read_bytes())["format"] == 1


def test_unreadable_file_is_a_media_error(tmp_path: Path) -> None:
    from core.errors import MediaError

    with pytest.raises(MediaError):
        fingerprint(tmp_path / "nope.dv")


def middle_colour(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    mid = frames[len(frames) // 2]
    r, g, b = (int(v) for v in mid.reshape(-1, 3).mean(axis=0))
    return r, g, b


@pytest.mark.slow
def test_replacing_a_dv_source_exports_the_new_picture(dv_pair: tuple[Path, Path], tmp_path: Path) -> None:
    red, blue = dv_pair
    clip = tmp_path / "clip.dv"
    shutil.copyfile(red, clip)
    proj.save(proj.new_from_media(tmp_path / "p.toml", [str(clip)]))
    opts = ExportOptions(height=72, segment_frames=25, force=True)
    store = CellStore(tmp_path / "cache")
    export(proj.load(tmp_path / "p.toml"), tmp_path / "a.mp4", opts, store=store)
    r, _, b = middle_colour(tmp_path / "a.mp4")
    assert r > 150 > b
    shutil.copyfile(blue, tmp_path / "new.dv")
    os.replace(tmp_path / "new.dv", clip)
    second = export(proj.load(tmp_path / "p.toml"), tmp_path / "b.mp4", replace(opts), store=store)
    r, _, b = middle_colour(tmp_path / "b.mp4")
    assert b > 150 > r
    assert second.segments_encoded == second.segments  # nothing of the red file was reused
