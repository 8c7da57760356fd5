"""Smart export (#28): whole closed source GOPs copied byte for byte, frames at the cuts re-encoded.

Sources are long-GOP H.264 with B-frames whose frames carry their index (``testpattern``), so
every test reads back which source frame each output frame is, after the joins of copied and
re-encoded pieces, in PyAV, the ffmpeg CLI and libmpv.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import pytest

from core.cells.store import CellStore
from core.errors import Cancelled
from core.export.render import ExportOptions, ExportProgress, ExportResult, export
from core.export.smartplan import AvcConfig, GopUnit, SourceIndex, parameter_set_id, plan_clip
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.synthetic.testpattern import make_source, read_index
from tests.core.helpers import picture_index
from tests.test_cli import livecut

W, H, GOP = 160, 96, 12
SMART = ExportOptions(smart=True)
TRIMS = (Clip("a", 5, 50), Clip("a", 31, 80))
"""Two trims cutting mid-GOP (GOPs start at multiples of 12): 36 + 36 frames lie in whole GOPs."""


def _source(d: Path, name: str, fps: str = "30", **kw: object) -> Path:
    return make_source(d / name, frames=90, width=W, height=H, fps=fps, gop=GOP, bframes=2, bt709=True, **kw)


def _project(d: Path, sources: list[Path], clips: tuple[Clip, ...]) -> proj.Project:
    p = proj.new_from_media(d / "p.toml", [str(s) for s in sources])
    return replace(p, timeline=Timeline(p.timeline.fps, p.timeline.media, clips), width=W, height=H)


def _indices(path: Path, sizes: list[tuple[int, int]] | None = None) -> list[int | None]:
    with av.open(str(path)) as c:
        pictures = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    if sizes is None:
        return [read_index(rgb) for rgb in pictures]
    return [picture_index(rgb, size) for rgb, size in zip(pictures, sizes, strict=True)]


def _expected(clips: tuple[Clip, ...]) -> list[int]:
    return [n for c in clips for n in range(c.in_, c.out)]


def _packets(path: Path) -> list[tuple[int, bytes]]:
    """(pts in stream ticks, payload) of the video packets in decode order."""
    with av.open(str(path)) as c:
        return [(int(p.pts), bytes(p)) for p in c.demux(video=0) if p.size and p.pts is not None]


def _ffmpeg_errors(path: Path) -> str:
    run = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return run.stderr


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("smart-src")
    _source(d, "a.mp4")
    _source(d, "ntsc.mp4", fps="30000/1001")
    _source(d, "open.mp4", x264_params="open-gop=1")
    make_source(d / "big.mp4", frames=40, width=160, height=120, fps=30, gop=GOP, bt709=True)
    return d


@pytest.fixture(scope="module")
def closed(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[proj.Project, ExportResult]:
    d = tmp_path_factory.mktemp("smart-out")
    project = _project(d, [sources / "a.mp4"], TRIMS)
    return project, export(project, d / "film.mp4", SMART, store=CellStore(d / "cache"))


# -- the plan, pure -----------------------------------------------------------------------------------
def _index(units: list[tuple[int, int]]) -> SourceIndex:
    return SourceIndex(b"", Fraction(1, 30), (), (), tuple(GopUnit(a, b, a, b, 2, 100) for a, b in units))


def test_a_clip_copies_the_units_wholly_inside_it_and_encodes_head_gap_and_tail() -> None:
    index = _index([(0, 12), (12, 24), (36, 48), (48, 60)])  # [24, 36) is an open GOP: no unit
    plan = plan_clip(0, "a", "a.mp4", 5, 55, 100, index)
    got = [(p.copy, p.first, p.stop, p.at) for p in plan.pieces]
    assert got == [
        (False, 5, 12, 100),
        (True, 12, 24, 107),
        (False, 24, 36, 119),
        (True, 36, 48, 131),
        (False, 48, 55, 143),
    ]
    assert (plan.frames_copied, plan.frames_encoded, plan.reason) == (24, 26, "")
    nothing = plan_clip(1, "a", "a.mp4", 13, 23, 0, index)
    assert nothing.frames_copied == 0 and "no whole closed GOP" in nothing.reason


def test_avcc_merge_keeps_the_source_sets_and_adds_others_with_their_ids(
    closed: tuple[proj.Project, ExportResult],
) -> None:
    with av.open(str(closed[1].output)) as c:
        config = AvcConfig.parse(bytes(c.streams.video[0].codec_context.extradata or b""))
    assert len(config.sps) == len(config.pps) == 2
    assert [parameter_set_id(n) for n in config.sps] == [0, 1] and config.ids == {0, 1}
    again = AvcConfig.parse(config.merged([], []))
    assert again == config


# -- the export ------------------------------------------------------------------------------------
def test_every_frame_is_the_expected_source_frame(closed: tuple[proj.Project, ExportResult]) -> None:
    _, result = closed
    assert _indices(result.output) == _expected(TRIMS)
    smart = result.smart
    assert smart is not None and smart.reason == ""
    assert (smart.frames_copied, smart.frames_encoded) == (72, 22)
    assert smart.video_packets == 94 and smart.packets_copied == 72
    assert 0 < smart.bytes_copied < smart.video_bytes
    data = result.to_dict()["smart"]
    assert isinstance(data, dict) and data["frames_copied"] == 72 and data["bytes_copied"] == smart.bytes_copied


def test_copied_gops_are_the_sources_bytes_in_decode_order(
    sources: Path, closed: tuple[proj.Project, ExportResult]
) -> None:
    project, result = closed
    assert result.smart is not None
    tb_out = 1 / project.fps
    with av.open(str(result.output)) as c:
        stream_tb = Fraction(c.streams.video[0].time_base or 1)
    out = [(round(pts * stream_tb / tb_out), payload) for pts, payload in _packets(result.output)]
    src = _packets(sources / "a.mp4")
    with av.open(str(sources / "a.mp4")) as c:
        src_tb = Fraction(c.streams.video[0].time_base or 1)
    src_frames = [(round(pts * src_tb * project.fps), payload) for pts, payload in src]
    origin = min(f for f, _ in src_frames)
    checked = 0
    for clip in result.smart.clips:
        for piece in clip.pieces:
            for unit in piece.units:
                want = [(piece.at + f - origin - piece.first, b) for f, b in src_frames[unit.p0 : unit.p1]]
                start = next(i for i, (f, _) in enumerate(out) if f == want[0][0])
                assert out[start : start + len(want)] == want  # same bytes, same decode order
                checked += len(want)
    assert checked == 72


def test_ffmpeg_decodes_it_without_an_error(closed: tuple[proj.Project, ExportResult]) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("the ffmpeg CLI is the validator here")
    assert _ffmpeg_errors(closed[1].output) == ""


@pytest.mark.slow
def test_libmpv_plays_it_to_the_end_without_an_error(closed: tuple[proj.Project, ExportResult]) -> None:
    mpv = pytest.importorskip("mpv")
    messages: list[tuple[str, str, str]] = []
    player = mpv.MPV(
        vo="null", ao="null", keep_open="yes", speed=8, loglevel="warn", log_handler=lambda *m: messages.append(m)
    )
    ended = threading.Event()
    player.observe_property("eof-reached", lambda _name, value: value and ended.set())
    try:
        player.play(str(closed[1].output))
        assert ended.wait(30), "libmpv did not reach the end"
        assert player.estimated_frame_count == player.estimated_frame_number == len(_expected(TRIMS))
    finally:
        player.terminate()
    assert messages == []


def test_2997_fps_source_is_frame_exact(sources: Path, tmp_path: Path) -> None:
    project = _project(tmp_path, [sources / "ntsc.mp4"], tuple(replace(c, media="a") for c in TRIMS))
    assert project.fps == Fraction(30000, 1001)
    result = export(project, tmp_path / "ntsc.mp4", SMART, store=CellStore(tmp_path / "cache"))
    assert _indices(result.output) == _expected(TRIMS)
    assert result.smart is not None and result.smart.frames_copied == 72
    if shutil.which("ffmpeg"):
        assert _ffmpeg_errors(result.output) == ""


def test_open_gop_keyframes_are_never_a_copy_start(sources: Path, tmp_path: Path) -> None:
    project = _project(tmp_path, [sources / "open.mp4"], TRIMS)
    result = export(project, tmp_path / "open.mp4", SMART, store=CellStore(tmp_path / "cache"))
    assert _indices(result.output) == _expected(TRIMS)
    smart = result.smart
    assert smart is not None and smart.frames_copied == 0
    assert smart.reason and all("open-GOP" in c.reason for c in smart.clips)  # exported the ordinary way


def test_a_clip_of_another_size_is_encoded_and_named(sources: Path, tmp_path: Path) -> None:
    clips = (Clip("a", 5, 50), Clip("b", 3, 30), Clip("a", 31, 80))
    project = _project(tmp_path, [sources / "a.mp4", sources / "big.mp4"], clips)
    result = export(project, tmp_path / "mixed.mp4", SMART, store=CellStore(tmp_path / "cache"))
    sizes = [(W, H) if c.media == "a" else (160, 120) for c in clips for _ in range(c.length)]
    assert _indices(result.output, sizes) == _expected(clips)
    smart = result.smart
    assert smart is not None and smart.frames_copied == 72 and smart.frames_encoded == 22 + 27
    (named,) = [m for m in smart.messages if "big.mp4" in m]
    assert "clip 2" in named and "160x120" in named and "160x96" in named
    if shutil.which("ffmpeg"):
        assert _ffmpeg_errors(result.output) == ""


def test_another_crf_copies_nothing_and_says_why(closed: tuple[proj.Project, ExportResult], tmp_path: Path) -> None:
    project, _ = closed
    result = export(project, tmp_path / "crf.mp4", replace(SMART, crf=30), store=CellStore(tmp_path / "cache"))
    assert result.smart is not None and "--crf 30" in result.smart.reason and result.smart.frames_copied == 0
    assert _indices(result.output) == _expected(TRIMS)


def test_cancel_between_pieces_leaves_nothing(closed: tuple[proj.Project, ExportResult], tmp_path: Path) -> None:
    project, _ = closed
    cancel = threading.Event()

    def progress(p: ExportProgress) -> None:
        if p.done > 0:
            cancel.set()

    with pytest.raises(Cancelled):
        export(project, tmp_path / "x.mp4", SMART, cancel=cancel, on_progress=progress, store=CellStore(tmp_path / "c"))
    assert [p.name for p in tmp_path.iterdir() if p.name != "c"] == []


@pytest.mark.slow
def test_cli_smart_json(closed: tuple[proj.Project, ExportResult], tmp_path: Path) -> None:
    project, _ = closed
    saved = proj.save(replace(project, path=tmp_path / "p.toml"), tmp_path / "p.toml")
    assert saved.path is not None
    out = tmp_path / "film.mp4"
    run = livecut("export", str(saved.path), "-o", str(out), "--smart", "--json")
    assert run.returncode == 0, run.stderr
    smart = json.loads(run.stdout)["smart"]
    assert smart["frames_copied"] == 72 and smart["frames_encoded"] == 22 and smart["reason"] == ""
    crf = livecut("export", str(saved.path), "-o", str(tmp_path / "q.mp4"), "--smart", "--crf", "25")
    assert crf.returncode == 0 and "--smart copied nothing: --crf 25" in crf.stderr


@pytest.mark.slow
def test_chromium_plays_it_to_the_end(closed: tuple[proj.Project, ExportResult]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    film = closed[1].output
    page_file = film.with_suffix(".html")
    page_file.write_text(f'<video id="v" muted src="{film.name}"></video>')
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            outcome = page.evaluate(
                """() => new Promise(done => {
                  const v = document.getElementById('v');
                  v.onerror = () => done({error: v.error ? v.error.code : -1});
                  v.onended = () => done({frames: v.getVideoPlaybackQuality().totalVideoFrames});
                  v.play().catch(e => done({error: String(e)}));
                  setTimeout(() => done({error: 'timeout at ' + v.currentTime}), 30000);
                })"""
            )
        finally:
            browser.close()
    assert outcome == {"frames": len(_expected(TRIMS))}
