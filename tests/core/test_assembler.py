"""The assembled preview stream: frame-exact, continuous audio, valid MP4, growing."""

from __future__ import annotations

import dataclasses
import itertools
import math
import shutil
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.media.audio import RATE
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.stream.assembler import Assembler
from core.stream.bytestream import GrowingStream
from core.synthetic.testpattern import make_source

from .helpers import apply_op, edit_ops, picture_index

C = 15
SIZES = {"a": (160, 120), "b": (192, 108), "c": (128, 96)}
RATES = {"a": Fraction(30), "b": Fraction(25), "c": Fraction(24000, 1001)}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("asm-media")
    make_source(d / "a.mp4", frames=60, width=160, height=120, fps=30, tone_hz=440)
    make_source(d / "b.mp4", frames=50, width=192, height=108, fps=25, tone_hz=440)
    make_source(d / "c.mp4", frames=48, width=128, height=96, fps="24000/1001", audio=False)
    return d


@pytest.fixture(scope="module")
def cached(media: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[proj.Project, Path]:
    tmp = tmp_path_factory.mktemp("asm")
    p = proj.new_from_media(tmp / "p.toml", [str(media / f"{m}.mp4") for m in "abc"], fps="30")
    p = replace(p, width=320, height=240, preview_height=120, cell_frames=C)
    with Engine(p, workers=2, store=CellStore(tmp / "cache")) as eng:
        assert eng.wait_ready(60)
    return p, tmp / "cache"


def assemble(p: proj.Project, tl: Timeline, cache: Path, start: int = 0) -> tuple[bytes, Engine, Assembler]:
    store = CellStore(cache)
    eng = Engine(replace(p, timeline=tl), workers=1, store=store)
    assert eng.wait_ready(60)
    asm = Assembler(store, p.fps)
    sink = GrowingStream()
    asm.session(tl, eng.segments, start, sink, eng.resolve).run()
    return sink.getvalue(), eng, asm


def expected_indices(tl: Timeline) -> list[int]:
    """The documented rule (``core/media/frames.py``): project frame ``n`` shows the last source
    frame at most ``n / fps + ε`` in, ε an eighth of the shorter frame period. For 24000/1001 in a
    30 fps project that differs from plain ``floor``: source frame 4 (166.83 ms) is 0.17 ms after
    project frame 5 (166.67 ms), closer than any phone's timestamp jitter, so frame 5 shows it."""
    out = []
    for placed in tl.placed():
        src = RATES[placed.clip.media]
        eps = min(1 / src, 1 / tl.fps) / 8
        for n in range(placed.clip.in_, placed.clip.out):
            out.append(math.floor((Fraction(n) / tl.fps + eps) * src))
    return out


def decode(data: bytes, tmp: Path) -> tuple[list[av.VideoFrame], np.ndarray]:
    path = tmp / "stream.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as c:
        frames = list(c.decode(video=0))
    with av.open(str(path)) as c:
        audio = [f.to_ndarray() for f in c.decode(audio=0)]
    return frames, np.concatenate(audio, axis=1) if audio else np.zeros((2, 0))


edits = edit_ops(list("abc"), split_max=150, source_max=60, min_size=1, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits)
def test_random_timelines_are_frame_exact(cached: tuple[proj.Project, Path], tmp_path: Path, ops: list[tuple]) -> None:
    p, cache = cached
    tl = p.timeline
    for op in ops:
        tl = apply_op(tl, op)
    if not tl.clips:
        return
    data, eng, asm = assemble(p, tl, cache)
    eng.close()
    asm.close()
    frames, audio = decode(data, tmp_path)
    assert len(frames) == tl.duration
    want = expected_indices(tl)
    media_at = [pl.clip.media for pl in tl.placed() for _ in range(pl.clip.length)]
    got = [picture_index(f.to_ndarray(format="rgb24"), SIZES[m]) for f, m in zip(frames, media_at, strict=True)]
    assert got == want
    pts = [f.time for f in frames]
    step = 1 / float(tl.fps)
    assert all(abs((b - a) - step) < 1e-3 for a, b in itertools.pairwise(pts))
    assert abs(pts[0]) < 1e-6
    expected_samples = tl.duration * RATE / tl.fps
    assert abs(audio.shape[1] - expected_samples) <= 1024 + 1


def test_tone_is_continuous_across_segment_joins(cached: tuple[proj.Project, Path], tmp_path: Path) -> None:
    p, cache = cached
    # a's tone, cut into pieces at several cell and non-cell boundaries, then b's tone (same pitch)
    tl = Timeline(p.fps, p.timeline.media).append(Clip("a", 0, 22)).append(Clip("a", 22, 44)).append(Clip("b", 10, 50))
    data, eng, asm = assemble(p, tl, cache)
    eng.close()
    asm.close()
    _, audio = decode(data, tmp_path)
    mono = audio[0]
    window = 480  # 10 ms
    joins = [int(f * RATE / 30) for f in (15, 22, 30, 44)]
    for j in joins:
        around = mono[j - 4 * window : j + 4 * window]
        rms = [float(np.sqrt(np.mean(around[i : i + window] ** 2))) for i in range(0, len(around) - window + 1, window)]
        assert min(rms) > 0.5 * max(rms), (j, rms)  # no gap, no dip at the join


def test_session_can_start_ahead_and_carries_timeline_time(cached: tuple[proj.Project, Path], tmp_path: Path) -> None:
    p, cache = cached
    data, eng, asm = assemble(p, p.timeline, cache, start=3)
    start_frame = eng.segments[3].at
    eng.close()
    asm.close()
    frames, _ = decode(data, tmp_path)
    assert len(frames) == p.timeline.duration - start_frame
    assert abs(frames[0].time - start_frame / 30) < 1e-3


def test_edit_reuses_the_unchanged_prefix(cached: tuple[proj.Project, Path], tmp_path: Path) -> None:
    p, cache = cached
    store = CellStore(cache)
    with Engine(p, workers=1, store=store) as eng:
        asm = Assembler(store, p.fps)
        first = GrowingStream()
        asm.session(p.timeline, eng.segments, 0, first, eng.resolve).run()
        tl2 = p.timeline.trim_out(2, 30)  # change only the last clip
        eng.set_timeline(tl2)
        second = GrowingStream()
        session = asm.session(tl2, eng.segments, 0, second, eng.resolve)
        session.run()
        asm.close()
    assert session.reused >= 4
    frames, audio = decode(second.getvalue(), tmp_path)
    assert len(frames) == tl2.duration
    assert abs(audio.shape[1] - tl2.duration * RATE / 30) <= 1025


def test_a_gain_edit_never_replays_old_sound(cached: tuple[proj.Project, Path], tmp_path: Path) -> None:
    """Same pictures, new sound: fragments of the first clip are rebuilt, the rest still reused."""
    p, cache = cached
    store = CellStore(cache)
    with Engine(p, workers=1, store=store) as eng:
        asm = Assembler(store, p.fps)
        asm.session(p.timeline, eng.segments, 0, GrowingStream(), eng.resolve).run()
        clips = list(p.timeline.clips)
        clips[0] = dataclasses.replace(clips[0], mute=True)
        tl2 = dataclasses.replace(p.timeline, clips=tuple(clips))
        eng.set_timeline(tl2)
        second = GrowingStream()
        session = asm.session(tl2, eng.segments, 0, second, eng.resolve)
        session.run()
        asm.close()
    assert session.reused == 0  # the first fragment already carries the muted clip's sound
    _frames, audio = decode(second.getvalue(), tmp_path)
    first_clip = round(clips[0].length * RATE / p.fps)
    assert np.abs(audio[:, : first_clip - 2048]).max() < 1e-3


@pytest.mark.skipif(
    shutil.which("ffprobe") is None, reason="ffprobe (Debian ffmpeg) is the validator; make test installs it"
)
def test_stream_passes_ffprobe(cached: tuple[proj.Project, Path], tmp_path: Path) -> None:
    p, cache = cached
    data, eng, asm = assemble(p, p.timeline.split(40).move(1, 1), cache)
    eng.close()
    asm.close()
    (tmp_path / "s.mp4").write_bytes(data)
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", str(tmp_path / "s.mp4")], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stderr == ""
    # the colour description of the cells survives the remux (issue 20): BT.709 limited range
    assert "color_range=tv" in result.stdout and "color_space=bt709" in result.stdout
    assert "color_transfer=bt709" in result.stdout and "color_primaries=bt709" in result.stdout
    assert b"colr" in data[: data.find(b"moof")]
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(tmp_path / "s.mp4"), "-f", "null", "-"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stderr == ""


def _shared_video_files() -> list[Path]:
    from tests.conftest import shared_media_files

    return [p for p in shared_media_files() if "audioonly" not in p.name]


@pytest.mark.parametrize("path", _shared_video_files(), ids=lambda p: p.name)
def test_every_shared_video_file_can_be_previewed(path: Path, tmp_path: Path) -> None:
    p = proj.new_from_media(tmp_path / "p.toml", [str(path)], fps="30")
    p = replace(p, width=320, height=180, preview_height=90, cell_frames=30)
    store = CellStore(tmp_path / "cache")
    with Engine(p, workers=2, store=store) as eng:
        assert eng.wait_ready(120)
        asm = Assembler(store, p.fps)
        sink = GrowingStream()
        asm.session(p.timeline, eng.segments, 0, sink, eng.resolve).run()
        asm.close()
        failed = eng.snapshot().errors
    frames, audio = decode(sink.getvalue(), tmp_path)
    assert len(frames) == p.timeline.duration  # failed cells (the damaged file) play black, never missing
    assert abs(audio.shape[1] - p.timeline.duration * RATE / 30) <= 1025
    assert not failed  # the damaged file's bad packet is concealed (issue 10), its cells are made


def test_closing_the_assembler_while_a_session_muxes_never_fails_the_session(
    cached: tuple[proj.Project, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A page that goes away closes its assembler while its session thread may be in ``_mux``: the
    template's container must not be closed under the muxer (PyAV's ``AssertionError: Container
    is not open``), and the session must still end with a whole stream (#31)."""
    import logging
    import threading

    caplog.set_level(logging.ERROR, logger="core.stream")
    p, cache = cached
    store = CellStore(cache)
    with Engine(p, workers=1, store=store) as eng:
        assert eng.wait_ready(60)
        asm = Assembler(store, p.fps)
        closing = threading.Event()

        def close_again_and_again() -> None:
            while not closing.is_set():
                asm.close()

        closer = threading.Thread(target=close_again_and_again)
        closer.start()
        try:
            for _ in range(4):
                sink = GrowingStream()
                session = asm.session(p.timeline, eng.segments, 0, sink, eng.resolve)
                session.run()
                assert sink.finished and not sink.aborted
        finally:
            closing.set()
            closer.join()
            asm.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
