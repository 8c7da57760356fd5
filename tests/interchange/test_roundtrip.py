"""Round trips over random timelines: TOML → OTIO → TOML is the identity of the loaded timeline;
→ EDL → TOML and → FCP 7 XML → TOML keep every cut frame-exact; at 24, 25, 30000/1001 and 60 fps."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.interchange import export_timeline, import_timeline
from core.model import project as proj
from core.model.timeline import GAP
from core.synthetic.testpattern import make_source
from tests.interchange.helpers import cuts, media_key, project_with

RATES = [Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(60)]
_counter = itertools.count()


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real files (one without audio) and one that does not exist (offline media)."""
    folder = tmp_path_factory.mktemp("interchange-media")
    return {
        "a": make_source(folder / "a.mp4", frames=48, width=64, height=48, fps=24),
        "b": make_source(folder / "b clip.mp4", frames=50, width=64, height=48, fps=25, audio=False),
        "off": folder / "missing" / "offline.mov",
    }


Raw = list[tuple[str, float, float, float, bool]]
Marks = list[tuple[float, str]]


def clip_lists(max_clips: int = 8, min_clips: int = 0) -> st.SearchStrategy[Raw]:
    """Clips as (media, where the in falls, how long) in [0, 1): scaled to each media's length;
    media "" is a gap."""
    return st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "off", GAP]),
            st.floats(0, 0.999),
            st.floats(0, 1),
            st.sampled_from([0.0, -6.0, 3.5, -60.0]),
            st.booleans(),
        ),
        min_size=min_clips,
        max_size=max_clips,
    )


names = st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=20).map(
    lambda t: " ".join(t.split())
)
marker_lists = st.lists(st.tuples(st.floats(0, 1.2), names), max_size=4)


def build(folder: Path, sources: dict[str, Path], fps: Fraction, raw: Raw, marks: Marks | None = None):
    media = {mid: sources[mid] for mid in ("a", "b", "off")}
    lengths = {mid: proj.media_ref(mid, str(p), folder).length(fps) or 3 * int(fps) for mid, p in media.items()}
    lengths[GAP] = 2 * int(fps)
    clips = []
    for mid, where, size, gain_db, mute in raw:
        n = lengths[mid]
        start = 0 if mid == GAP else int(where * n)
        clips.append((mid, start, start + 1 + int(size * (n - start - 1)), gain_db, mute))
    duration = sum(c[2] - c[1] for c in clips)
    return project_with(folder, fps, media, clips, [(int(f * duration), name) for f, name in marks or []])


def under_clips(project) -> list[tuple[int, str]]:
    """Markers over a clip (not a gap): what an EDL can carry."""
    spans = [(p.start, p.end) for p in project.timeline.placed() if p.clip.media != GAP]
    return [(m.frame, m.name) for m in project.timeline.markers if any(a <= m.frame < b for a, b in spans)]


@pytest.mark.parametrize("fps", RATES, ids=str)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=clip_lists(), marks=marker_lists)
def test_otio_round_trip_is_identity(
    tmp_path: Path, sources: dict[str, Path], fps: Fraction, raw: Raw, marks: Marks
) -> None:
    folder = tmp_path / f"ex{next(_counter)}"
    folder.mkdir()
    original = build(folder, sources, fps, raw, marks)
    export_timeline(original, folder / "cut.otio")
    (folder / "sub").mkdir()
    back = import_timeline(folder / "cut.otio", folder / "sub" / "back.toml")
    assert back.notes == ()
    loaded = proj.load(folder / "sub" / "back.toml")
    assert loaded.timeline.fps == original.timeline.fps
    assert loaded.timeline.clips == original.timeline.clips
    assert loaded.timeline.markers == original.timeline.markers
    assert media_key(loaded) == media_key(original)
    assert [m.info for m in loaded.timeline.media] == [m.info for m in original.timeline.media]
    assert (loaded.name, loaded.width, loaded.height, loaded.preview_height, loaded.cell_frames) == (
        original.name,
        original.width,
        original.height,
        original.preview_height,
        original.cell_frames,
    )


@pytest.mark.parametrize("fps", RATES, ids=str)
@pytest.mark.parametrize("suffix", [".edl", ".xml"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=clip_lists(min_clips=1), marks=marker_lists)
def test_edl_and_xml_round_trips_are_frame_exact(
    tmp_path: Path, sources: dict[str, Path], fps: Fraction, suffix: str, raw: Raw, marks: Marks
) -> None:
    folder = tmp_path / f"ex{next(_counter)}"
    folder.mkdir()
    original = build(folder, sources, fps, raw, marks)
    written = export_timeline(original, folder / f"cut{suffix}")
    rate = str(fps) if suffix == ".edl" else None  # an EDL has no rate: the user says it
    back = import_timeline(folder / f"cut{suffix}", folder / "back.toml", fps=rate)
    assert back.notes == ()
    loaded = proj.load(folder / "back.toml")
    assert loaded.timeline.fps == fps
    assert cuts(loaded) == cuts(original)
    if suffix == ".edl":  # markers ride on clips (LOC comments), names in capitals
        kept = under_clips(original)
        assert [(m.frame, m.name) for m in loaded.timeline.markers] == [(f, n.upper()) for f, n in kept]
        assert written.markers_left_out == len(original.timeline.markers) - len(kept)
    else:
        assert loaded.timeline.markers == original.timeline.markers
    assert {m.resolved: m.online for m in loaded.timeline.media} == {
        m.resolved: m.online for m in original.timeline.media if any(c.media == m.id for c in original.timeline.clips)
    }


def test_ntsc_edl_uses_drop_frame_timecode(tmp_path: Path, sources: dict[str, Path]) -> None:
    """29.97 fps: a clip past one minute shows drop-frame timecode (;) and comes back frame-exact."""
    fps = Fraction(30000, 1001)
    original = project_with(tmp_path, fps, {"off": sources["off"]}, [("off", 0, 1800), ("off", 17982, 19000)])
    export_timeline(original, tmp_path / "cut.edl")
    text = (tmp_path / "cut.edl").read_text()
    assert text.splitlines()[1] == "FCM: DROP FRAME"
    assert "00:01:00;02" in text  # frame 1800 in drop-frame timecode
    assert "00:10:00;00" in text  # frame 17982: ten minutes exactly
    back = import_timeline(tmp_path / "cut.edl", tmp_path / "back.toml", fps="30000/1001")
    assert cuts(back.project) == cuts(original) and back.project.fps == fps


def test_otio_bundle_carries_the_media(tmp_path: Path, sources: dict[str, Path]) -> None:
    original = project_with(tmp_path, Fraction(25), {"a": sources["a"]}, [("a", 3, 20), ("a", 0, 5)])
    export_timeline(original, tmp_path / "cut.otioz")
    (tmp_path / "elsewhere").mkdir()
    back = import_timeline(tmp_path / "cut.otioz", tmp_path / "elsewhere" / "back.toml")
    [ref] = back.project.timeline.media
    assert ref.online and ref.resolved.parent == tmp_path / "elsewhere" / "back-media" / "media"
    assert ref.resolved.read_bytes() == sources["a"].read_bytes()
    assert back.project.timeline.clips == original.timeline.clips
