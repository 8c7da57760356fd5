"""What livecut cannot represent is reported with its place (or refused with --strict); missing
media become offline clips with their durations; --media-dir relinks by file name; rates and
media timecode are converted exactly; and ``convert`` on the command line."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from core.interchange import InterchangeError, export_timeline, import_timeline
from core.model import project as proj
from core.model.timeline import GAP, MAX_MARKER_NAME, Marker
from core.synthetic.testpattern import make_source
from tests.interchange.helpers import assert_one_line_error, cuts, livecut, project_with


def rt(frames: float, rate: float = 24) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


def tr(start: float, length: float, rate: float = 24) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(rt(start, rate), rt(length, rate))


def clip(name: str, path: Path | str | None, start: int, length: int, rate: float = 24) -> otio.schema.Clip:
    ref = (
        otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(path)))
        if path is not None
        else otio.schema.MissingReference()
    )
    return otio.schema.Clip(name=name, media_reference=ref, source_range=tr(start, length, rate))


@pytest.fixture
def media(tmp_path: Path) -> Path:
    return make_source(tmp_path / "shot.mp4", frames=48, width=64, height=48, fps=24)


def test_everything_livecut_cannot_hold_is_reported_with_its_place(tmp_path: Path, media: Path) -> None:
    timeline = otio.schema.Timeline(name="busy")
    v1 = otio.schema.Track(name="V1")
    v1.append(clip("one", media, 0, 10))
    v1.append(otio.schema.Transition(name="fade", transition_type="SMPTE_Dissolve", in_offset=rt(3), out_offset=rt(3)))
    v1.append(clip("two", media, 10, 10))
    v1.append(otio.schema.Gap(source_range=tr(0, 5)))
    fast = clip("fast", media, 0, 8)
    fast.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    v1.append(fast)
    coloured = clip("graded", media, 2, 4)
    coloured.effects.append(otio.schema.Effect(effect_name="Colour Correction"))
    v1.append(coloured)
    v1.append(
        otio.schema.Clip(
            name="bars",
            media_reference=otio.schema.GeneratorReference(generator_kind="SMPTEBars"),
            source_range=tr(0, 6),
        )
    )
    inner = otio.schema.Stack(name="compound")
    inner_track = otio.schema.Track(name="inner V")
    inner_track.append(clip("inside", media, 20, 12))
    inner_track.append(clip("inside 2", media, 40, 8))
    inner.append(inner_track)
    inner.append(otio.schema.Track(name="inner V2"))
    inner.source_range = tr(2, 15)  # frames 2..17 of the nested track: 10 of "inside", 5 of "inside 2"
    v1.append(inner)
    v2 = otio.schema.Track(name="V2")
    v2.append(clip("overlay", media, 0, 5))
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    a1.append(clip("one", media, 0, 10))  # the video's own sound: no loss
    a1.append(clip("music", tmp_path / "music.wav", 0, 30))
    timeline.tracks.extend([v1, v2, a1])
    otio.adapters.write_to_file(timeline, str(tmp_path / "busy.otio"))

    result = import_timeline(tmp_path / "busy.otio", tmp_path / "busy.toml")
    notes = [str(n) for n in result.notes]
    expected = [
        "track 1 'V1' item 2 'fade' at 00:00:00:07: transition SMPTE_Dissolve (6 frames) dropped: a cut",
        "track 1 'V1' item 5 'fast' at 00:00:01:01: speed change (200%) dropped: the clip plays at 100%",
        "track 1 'V1' item 6 'graded' at 00:00:01:09: effect 'Colour Correction' dropped",
        "track 1 'V1' item 7 'bars' at 00:00:01:13: SMPTEBars is not a media file: dropped",
        "track 1 'V1' item 8 'compound' at 00:00:01:19: nested stack: 1 more video track(s) dropped",
        "track 1 'V1' item 8 'compound' at 00:00:01:19: nested stack flattened into the main track",
        "track 2 'V2': extra video track (1 clips) dropped",
        "track 3 'A1' item 2 'music' at 00:00:00:10: audio clip dropped",
    ]
    for want in expected:
        assert any(n.startswith(want) for n in notes), (want, notes)
    assert len(notes) == len(expected), notes
    tl = result.project.timeline
    assert [(c.media, c.in_, c.out) for c in tl.clips] == [
        ("a", 0, 10),
        ("a", 10, 20),
        (GAP, 0, 5),  # a gap stays a gap
        ("a", 0, 8),
        ("a", 2, 6),
        ("a", 22, 32),
        ("a", 40, 45),
    ]
    assert len(tl.media) == 1 and tl.media[0].resolved == media.resolve()

    with pytest.raises(InterchangeError, match="--strict"):
        import_timeline(tmp_path / "busy.otio", tmp_path / "strict.toml", strict=True)
    assert not (tmp_path / "strict.toml").exists()


def test_missing_media_are_offline_clips_with_their_durations_and_relink_by_name(tmp_path: Path) -> None:
    (tmp_path / "cut").mkdir()
    timeline = otio.schema.Timeline(name="moved")
    track = otio.schema.Track(name="V1")
    track.append(clip("A001", "/nowhere/A001.mov", 100, 48))
    track.append(clip("B002", None, 0, 30))  # an EDL event without a file: only its clip name
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "cut" / "moved.otio"))

    offline = import_timeline(tmp_path / "cut" / "moved.otio", tmp_path / "cut" / "offline.toml")
    loaded = proj.load(tmp_path / "cut" / "offline.toml")
    assert [m.online for m in loaded.timeline.media] == [False, False]
    assert [m.resolved for m in loaded.timeline.media] == [Path("/nowhere/A001.mov"), tmp_path / "cut" / "B002"]
    assert [(c.in_, c.out) for c in loaded.timeline.clips] == [(100, 148), (0, 30)]
    assert loaded.timeline.duration == 78 and offline.notes == ()

    library = tmp_path / "library"
    library.mkdir()
    make_source(library / "A001.mov", frames=200, width=64, height=48, fps=24)
    relinked = import_timeline(tmp_path / "cut" / "moved.otio", tmp_path / "relinked.toml", media_dir=library)
    first = relinked.project.timeline.media[0]
    assert first.online and first.resolved == (library / "A001.mov").resolve()
    assert not relinked.project.timeline.media[1].online


def test_clips_past_the_end_of_their_media_are_shortened_with_a_note(tmp_path: Path, media: Path) -> None:
    timeline = otio.schema.Timeline()
    track = otio.schema.Track(name="V1")
    track.append(clip("long", media, 40, 20))  # the file has 48 frames
    track.append(clip("beyond", media, 60, 5))
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "long.otio"))
    result = import_timeline(tmp_path / "long.otio", tmp_path / "long.toml")
    assert [(c.in_, c.out) for c in result.project.timeline.clips] == [(40, 48)]
    assert [n.what for n in result.notes] == [
        "ends 12 frames past the end of shot.mp4: shortened",
        "starts at frame 60, past the end of shot.mp4 (48 frames): dropped",
    ]


def test_rates_and_media_timecode_convert_exactly(tmp_path: Path) -> None:
    """A 15 fps clip in a 30 fps sequence, media starting at 01:00:00:00, a 29.97 sequence."""
    timeline = otio.schema.Timeline(global_start_time=rt(0, 30))
    track = otio.schema.Track(name="V1")
    track.append(clip("slow", "/m/slow.mov", 10, 50, rate=15))
    tc = clip("tc", "/m/tc.mov", 108000 + 90, 45, rate=30)
    tc.media_reference.available_range = tr(108000, 10000, 30)
    track.append(tc)
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "rates.otio"))
    result = import_timeline(tmp_path / "rates.otio", tmp_path / "rates.toml")
    assert result.project.fps == 30
    assert [(c.in_, c.out) for c in result.project.timeline.clips] == [(20, 120), (90, 135)]
    ntsc = import_timeline(tmp_path / "rates.otio", tmp_path / "ntsc.toml", fps="30000/1001")
    assert ntsc.project.fps == Fraction(30000, 1001)
    assert [(c.in_, c.out) for c in ntsc.project.timeline.clips] == [(20, 120), (90, 135)]


def test_convert_on_the_command_line(tmp_path: Path, media: Path) -> None:
    project = project_with(tmp_path, Fraction(24), {"a": media}, [("a", 4, 20), ("a", 30, 40)])
    assert project.path is not None
    toml = str(project.path)
    for suffix in ("otio", "otioz", "edl", "xml"):
        result = livecut("convert", toml, str(tmp_path / f"cut.{suffix}"))
        assert result.returncode == 0, result.stderr
        assert "2 clips, 26 frames at 24 fps" in result.stdout
    assert_one_line_error(livecut("convert", toml, str(tmp_path / "cut.edl")), "already exists")
    assert livecut("convert", toml, str(tmp_path / "cut.edl"), "--force").returncode == 0
    assert livecut("convert", toml, str(tmp_path / "cut.otioz"), "--force").returncode == 0
    assert livecut("convert", toml, str(tmp_path / "cut.txt"), "--format", "edl").returncode == 0
    assert (tmp_path / "cut.txt").read_text().startswith("TITLE:")
    assert_one_line_error(livecut("convert", toml, str(tmp_path / "cut.mov")), "cut.mov", "--format")
    assert_one_line_error(livecut("convert", str(tmp_path / "none.toml"), str(tmp_path / "x.edl")), "none.toml")
    result = livecut("import", str(tmp_path / "cut.edl"), "-o", str(tmp_path / "back.toml"), "--json")
    assert result.returncode == 0 and '"clips": 2' in result.stdout
    assert cuts(proj.load(tmp_path / "back.toml")) == cuts(project)
    assert_one_line_error(
        livecut("import", str(tmp_path / "cut.edl"), "-o", str(tmp_path / "back.toml")), "already exists"
    )
    assert_one_line_error(livecut("import", str(tmp_path / "cut.edl"), "-o", str(tmp_path / "b.txt")), ".toml")


def test_empty_timeline_exports_and_imports(tmp_path: Path, media: Path) -> None:
    project = project_with(tmp_path, Fraction(25), {"a": media}, [])
    for suffix in ("otio", "xml", "edl"):
        export_timeline(project, tmp_path / f"empty.{suffix}")
        back = import_timeline(tmp_path / f"empty.{suffix}", tmp_path / f"empty-{suffix}.toml")
        assert back.project.timeline.clips == ()


def test_markers_from_the_sequence_the_track_and_the_clips(tmp_path: Path, media: Path) -> None:
    timeline = otio.schema.Timeline(name="marked")
    track = otio.schema.Track(name="V1")
    track.append(clip("one", media, 10, 20))
    second = clip("two", media, 30, 10)
    second.markers.append(otio.schema.Marker(name="on the clip", marked_range=tr(32, 0)))  # source frame 32
    second.markers.append(otio.schema.Marker(name="outside", marked_range=tr(5, 0)))
    track.append(second)
    track.markers.append(otio.schema.Marker(name="  track   marker ", marked_range=tr(3, 0)))
    timeline.tracks.append(track)
    timeline.tracks.markers.append(otio.schema.Marker(name="x" * 300, marked_range=tr(25, 0)))
    timeline.tracks.markers.append(otio.schema.Marker(name="same frame", marked_range=tr(3, 0)))
    otio.adapters.write_to_file(timeline, str(tmp_path / "marked.otio"))
    result = import_timeline(tmp_path / "marked.otio", tmp_path / "marked.toml")
    assert result.project.timeline.markers == (
        Marker(3, "same frame"),
        Marker(22, "on the clip"),  # the second clip starts at 20, 2 frames into its source range
        Marker(25, "x" * MAX_MARKER_NAME),
    )
    assert sorted(n.what for n in result.notes) == sorted(
        [
            f"marker name at 00:00:01:01 cut to {MAX_MARKER_NAME} characters",
            "marker 'outside' outside its clip dropped",
            "marker 'track marker' dropped: 'same frame' is at the same frame",
        ]
    )
    assert proj.load(tmp_path / "marked.toml").timeline.markers == result.project.timeline.markers


def test_edl_markers_over_gaps_are_counted_as_left_out(tmp_path: Path, media: Path) -> None:
    project = project_with(
        tmp_path, Fraction(24), {"a": media}, [(GAP, 0, 5), ("a", 0, 10)], [(2, "on the gap"), (7, "on a")]
    )
    written = export_timeline(project, tmp_path / "m.edl")
    assert written.markers_left_out == 1
    result = livecut("convert", str(project.path), str(tmp_path / "n.edl"))
    assert result.returncode == 0 and "1 marker" in result.stderr
    back = import_timeline(tmp_path / "m.edl", tmp_path / "m.toml")
    assert back.project.timeline.markers == (Marker(7, "ON A"),)
    assert [(c.media, c.in_, c.out) for c in back.project.timeline.clips] == [(GAP, 0, 5), ("a", 0, 10)]
