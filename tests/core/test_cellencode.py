"""Cells: all-intra fMP4 per cell, one decode pass per run, identical headers across sources."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import pytest

from core.cells.encode import MOVFLAGS, PreviewProfile, cell_range, encode_black, encode_run, preview_canvas
from core.errors import Cancelled, EncodeError, MediaError
from core.media.frames import DecodeStats
from core.media.info import MediaInfo, probe
from core.synthetic.testpattern import make_source, read_index
from tests.conftest import shared_media_files

FPS30 = Fraction(30)
PROFILE = PreviewProfile(160, 120, FPS30)


@dataclass(frozen=True)
class Cell:
    """What a cell decodes back to."""

    streams: int
    width: int
    height: int
    extradata: bytes
    time_base: Fraction
    pts: list[int]
    keyframes: list[bool]
    indices: list[int | None]


def open_cell(data: bytes) -> Cell:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        frames = [f for p in packets for f in p.decode()] + list(stream.codec_context.decode(None))
        return Cell(
            streams=len(container.streams),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            extradata=bytes(stream.codec_context.extradata or b""),
            time_base=Fraction(stream.time_base),
            pts=[int(p.pts) for p in packets],
            keyframes=[p.is_keyframe for p in packets],
            indices=[read_index(f.to_ndarray(format="rgb24")) for f in frames],
        )


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MediaInfo]:
    d = tmp_path_factory.mktemp("cellencode")
    made = {
        "cfr": make_source(d / "cfr.mp4", frames=48, width=160, height=120, fps=30, gop=12, audio=False),
        "pal": make_source(d / "pal.mp4", frames=40, width=160, height=120, fps=25, gop=25),
        "long": make_source(d / "long.mp4", frames=240, width=160, height=120, fps=30, gop=30, audio=False),
        "small": make_source(d / "small.avi", frames=30, width=96, height=72, fps=30, codec="mpeg4", audio=False),
    }
    return {name: probe(path) for name, path in made.items()}


def test_cells_decode_back_to_exact_all_intra_frames(sources: dict[str, MediaInfo]) -> None:
    cells = list(encode_run(sources["cfr"], 0, 2, 20, PROFILE))
    assert [k for k, _ in cells] == [0, 1, 2]
    for k, data in cells:
        cell = open_cell(data)
        count = 20 if k < 2 else 8  # 48 frames: the last cell holds the remainder
        assert cell.streams == 1 and (cell.width, cell.height) == (160, 120)
        assert len(cell.keyframes) == count and all(cell.keyframes)
        assert cell.indices == list(range(k * 20, k * 20 + count))
        step = cell.pts[1] - cell.pts[0]
        assert cell.pts == [i * step for i in range(count)]  # starts at 0, evenly spaced
        assert step * cell.time_base == Fraction(1, 30)


def test_frame_times_are_exact_at_ntsc_rates(sources: dict[str, MediaInfo]) -> None:
    ntsc = PreviewProfile(160, 120, Fraction(24000, 1001))
    _, data = next(encode_run(sources["cfr"], 0, 0, 24, ntsc))
    cell = open_cell(data)
    assert [p * cell.time_base for p in cell.pts] == [Fraction(i * 1001, 24000) for i in range(24)]


def test_25_fps_source_in_30_fps_cells(sources: dict[str, MediaInfo]) -> None:
    info = sources["pal"]
    total = info.frames_at(FPS30)
    assert total == 48
    shown = [i for _, data in encode_run(info, 0, 2, 20, PROFILE) for i in open_cell(data).indices]
    assert shown == [n * 25 // 30 for n in range(total)]


def test_one_decode_pass_over_a_run(sources: dict[str, MediaInfo]) -> None:
    stats = DecodeStats()
    cells = list(encode_run(sources["long"], 3, 5, 30, PROFILE, stats=stats))
    assert [k for k, _ in cells] == [3, 4, 5]
    assert open_cell(cells[0][1]).indices[0] == 90 and open_cell(cells[2][1]).indices[-1] == 179
    needed, gop = 90, 30
    assert stats.frames_shown == needed
    assert stats.frames_decoded <= 1.05 * needed + gop
    assert stats.seeks == 1 and stats.restarts == 0


def test_cells_are_yielded_as_soon_as_each_is_done(sources: dict[str, MediaInfo]) -> None:
    stats = DecodeStats()
    run = encode_run(sources["long"], 0, 7, 30, PROFILE, stats=stats)
    k, _ = next(run)
    assert k == 0 and stats.frames_shown == 30  # handed over right after its last frame
    run.close()


def test_same_headers_for_every_cell_of_a_profile(sources: dict[str, MediaInfo]) -> None:
    profile = PreviewProfile(128, 72, FPS30)
    a = open_cell(next(encode_run(sources["cfr"], 1, 1, 20, profile))[1])
    b = open_cell(next(encode_run(sources["small"], 0, 0, 20, profile, threads=0))[1])  # other size, codec
    black = open_cell(encode_black(profile, 5))
    assert a.extradata and a.extradata == b.extradata == black.extradata
    assert (a.width, a.height) == (b.width, b.height) == (128, 72)
    assert a.time_base == b.time_base == black.time_base


def test_a_cell_is_the_same_bytes_whichever_run_encodes_it(sources: dict[str, MediaInfo]) -> None:
    alone = next(encode_run(sources["long"], 2, 2, 30, PROFILE))[1]
    in_run = dict(encode_run(sources["long"], 0, 3, 30, PROFILE))[2]
    assert alone == in_run


def test_cells_are_fragmented_mp4(sources: dict[str, MediaInfo]) -> None:
    data = next(encode_run(sources["cfr"], 0, 0, 20, PROFILE))[1]
    assert data[4:8] == b"ftyp" and b"moov" in data[:2048] and data.count(b"moof") == 20
    assert MOVFLAGS == "frag_keyframe+empty_moov+default_base_moof"


def test_black_cell() -> None:
    cell = open_cell(encode_black(PROFILE, 7))
    assert len(cell.pts) == 7 and all(cell.keyframes) and cell.indices == [None] * 7
    assert len(open_cell(encode_black(PROFILE, 0)).pts) == 1  # never an empty cell


class _TripAfter(threading.Event):
    """A cancel event that sets itself once ``frames`` frames have been shown."""

    def __init__(self, stats: DecodeStats, frames: int) -> None:
        super().__init__()
        self._stats = stats
        self._frames = frames

    def is_set(self) -> bool:
        if self._stats.frames_shown >= self._frames:
            self.set()
        return super().is_set()


def test_cancel_stops_within_one_frame_and_yields_nothing_more(sources: dict[str, MediaInfo]) -> None:
    stats = DecodeStats()
    cancel = _TripAfter(stats, 45)
    yielded: list[int] = []
    with pytest.raises(Cancelled):
        for k, _ in encode_run(sources["long"], 0, 7, 30, PROFILE, cancel=cancel, stats=stats):
            yielded.append(k)
    assert yielded == [0]  # cell 1 (frames 30..59) was cut short and never appears
    assert stats.frames_shown <= 46


def test_cancel_between_cells_raises_on_the_next_step(sources: dict[str, MediaInfo]) -> None:
    cancel = threading.Event()
    run = encode_run(sources["long"], 0, 7, 30, PROFILE, cancel=cancel)
    assert next(run)[0] == 0
    cancel.set()
    with pytest.raises(Cancelled):
        next(run)


def test_progress_is_throttled_and_ends_at_total(sources: dict[str, MediaInfo]) -> None:
    calls: list[tuple[int, int]] = []
    list(encode_run(sources["long"], 0, 7, 30, PROFILE, on_progress=lambda d, t: calls.append((d, t))))
    assert calls[-1] == (240, 240)
    assert len(calls) < 40  # at most ~10 a second; 240 frames take well under a few seconds
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_cells_outside_the_media_are_rejected(sources: dict[str, MediaInfo]) -> None:
    with pytest.raises(ValueError, match="outside"):
        next(encode_run(sources["cfr"], 3, 3, 20, PROFILE))
    with pytest.raises(ValueError):
        next(encode_run(sources["cfr"], 2, 1, 20, PROFILE))
    assert cell_range(sources["cfr"], 2, 20, FPS30) == (40, 48)


def test_unknown_encoder_is_an_encode_error(sources: dict[str, MediaInfo]) -> None:
    with pytest.raises(EncodeError, match="nope264"):
        next(encode_run(sources["cfr"], 0, 0, 20, PreviewProfile(160, 120, FPS30, encoder="nope264")))


def test_profile_key_and_canvas() -> None:
    key = PreviewProfile(960, 540, Fraction(30000, 1001)).key()
    assert key == "h264:960x540@30000/1001:libx264:crf26:ultrafast:intra:yuv420p-tv"
    assert PreviewProfile(960, 540, 30).key() != PreviewProfile(960, 540, Fraction(60)).key()
    assert PreviewProfile(960, 540, 30, crf=23).key() != PreviewProfile(960, 540, 30).key()
    with pytest.raises(ValueError):
        PreviewProfile(961, 540, FPS30)
    assert preview_canvas(1920, 1080, 540) == (960, 540)
    assert preview_canvas(1080, 1920, 540) == (304, 540)
    assert preview_canvas(640, 360, 540) == (640, 360)  # never upscaled
    assert preview_canvas(161, 121, 121) == (160, 120)
    assert preview_canvas(4096, 1716, 540) == (1288, 540)


MEDIA = shared_media_files()


@pytest.mark.parametrize("path", MEDIA or [None], ids=[p.name for p in MEDIA] or ["absent"])
def test_every_shared_media_file_encodes_its_first_cell_or_fails_clearly(path: Path | None) -> None:
    if path is None:
        pytest.skip("the ../shared/media folder is absent")
    info = probe(path)
    if info.video is None:
        with pytest.raises(MediaError, match="no video"):
            next(encode_run(info, 0, 0, 30, PreviewProfile(160, 90, FPS30)))
        return
    expected = min(30, info.frames_at(FPS30))
    try:
        k, data = next(encode_run(info, 0, 0, 30, PreviewProfile(160, 90, FPS30)))
    except EncodeError as err:
        assert path.name in str(err) and " s (" in str(err)  # names the file and the time
        return
    cell = open_cell(data)
    assert k == 0 and len(cell.pts) == expected and all(cell.keyframes)
    assert (cell.width, cell.height) == (160, 90)
