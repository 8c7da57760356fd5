"""Automatic cuts (#29): the analysis on a generated talk, its cache and cancel, and the pure edits."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from core.analysis.scenes import cut_times, find_scene_cuts, hsv
from core.analysis.silence import SilenceSettings, find_silences, has_sound, silent_ranges
from core.errors import Cancelled
from core.model import project as proj
from core.model.cuts import autocut, remove_ranges, split_at
from core.model.timeline import GAP, Clip, Marker, Timeline, gap
from tests.core.helpers import timeline_with
from tests.core.talk import make_talk


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    folder = tmp_path_factory.mktemp("talk")
    path = make_talk(folder / "talk.mp4")
    return proj.new_from_media(folder / "talk.toml", [str(path)]).timeline


def near(got: tuple[int, ...], want: tuple[int, ...], tolerance: int) -> bool:
    return len(got) == len(want) and all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True))


def test_silences_are_removed_keeping_the_margins(talk: Timeline, tmp_path: Path) -> None:
    found = find_silences(talk, SilenceSettings(db=-40, min_silence=0.5, margin=0.1), tmp_path)
    assert near(tuple(x for r in found.ranges for x in r), (93, 147, 273, 297), 2), found.ranges
    cut = autocut(talk, removals=found.ranges)
    kept = [(c.in_, c.out) for c in cut.clips]
    assert near(tuple(x for r in kept for x in r), (0, 93, 147, 273, 297, 360), 2), kept
    assert abs(float(cut.duration / talk.fps) - 9.4) <= 0.27


def test_a_longer_minimum_silence_keeps_the_short_pause(talk: Timeline, tmp_path: Path) -> None:
    found = find_silences(talk, SilenceSettings(min_silence=1.5, margin=0.0), tmp_path)
    assert near(tuple(x for r in found.ranges for x in r), (90, 150), 2), found.ranges


def test_scene_changes_split_the_clip(talk: Timeline, tmp_path: Path) -> None:
    found = find_scene_cuts(talk, 27.0, tmp_path)
    assert near(found.frames, (120, 240), 1), found.frames
    cut = autocut(talk, splits=found.frames)
    assert near(tuple(x for c in cut.clips for x in (c.in_, c.out)), (0, 120, 120, 240, 240, 360), 1)
    assert cut.duration == talk.duration
    assert find_scene_cuts(talk, 255.0, tmp_path).frames == ()  # the threshold is what cuts


def test_a_second_run_is_served_from_the_cache(talk: Timeline, tmp_path: Path) -> None:
    first_sound = find_silences(talk, SilenceSettings(), tmp_path)
    first_scenes = find_scene_cuts(talk, 27.0, tmp_path)
    assert (first_sound.decoded, first_scenes.decoded) == (1, 1)
    again_sound = find_silences(talk, SilenceSettings(), tmp_path)
    again_scenes = find_scene_cuts(talk, 27.0, tmp_path)
    assert (again_sound.decoded, again_scenes.decoded) == (0, 0)
    assert (again_sound.ranges, again_scenes.frames) == (first_sound.ranges, first_scenes.frames)
    # other thresholds read the same figures: still no decode
    assert find_silences(talk, SilenceSettings(db=-20, margin=0.0), tmp_path).decoded == 0
    assert find_scene_cuts(talk, 40.0, tmp_path).decoded == 0


def test_cancel_stops_the_analysis_and_caches_nothing(talk: Timeline, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        find_silences(talk, SilenceSettings(), tmp_path, cancel)
    with pytest.raises(Cancelled):
        find_scene_cuts(talk, 27.0, tmp_path, cancel)
    assert find_silences(talk, SilenceSettings(), tmp_path).decoded == 1


def test_progress_reaches_the_end(talk: Timeline, tmp_path: Path) -> None:
    seen: list[float] = []
    find_scene_cuts(talk, 27.0, tmp_path, progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)


def test_loudness_follows_clip_gain_and_mute(talk: Timeline, tmp_path: Path) -> None:
    quiet = talk.set_gain([0], -60.0)  # the tone (−9 dBFS) at −69 dBFS: all of it is silence
    assert find_silences(quiet, SilenceSettings(), tmp_path).ranges == ((0, 360),)
    muted = talk.set_mute([0], True)
    assert not has_sound(muted)
    assert has_sound(talk)


def test_a_short_piece_between_two_silences_goes_too() -> None:
    power = np.full(300, 1e-9)  # 3 s of silence at 100 windows a second ...
    power[140:150] = 0.1  # ... with a 0.1 s click in the middle
    fps = Fraction(30)
    settings = SilenceSettings(min_silence=0.5, margin=0.0, min_clip=0.2)
    assert silent_ranges(power, fps, 90, settings) == ((0, 90),)
    assert silent_ranges(power, fps, 90, SilenceSettings(min_silence=0.5, margin=0.0, min_clip=0.0)) == (
        (0, 42),
        (45, 90),
    )


def test_hsv_is_opencvs_scale() -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]]], dtype=np.uint8)
    assert hsv(rgb)[0].tolist() == [[0, 255, 255], [60, 255, 255], [120, 255, 255], [0, 0, 128]]


def test_cuts_keep_the_minimum_scene_length() -> None:
    times = np.arange(40) / 30
    scores = np.zeros(40, dtype=np.float32)
    scores[[5, 20, 30, 35]] = 50.0
    assert cut_times(times, scores, 27.0, 15) == [times[20], times[35]]


def test_remove_ranges_ripples_clips_and_markers() -> None:
    tl = timeline_with({"a": 100, "b": 100})
    tl = tl.append(Clip("a", 0, 50)).append(Clip("b", 10, 60))
    tl = tl.add_marker(10, "start").add_marker(30, "inside").add_marker(35, "also inside").add_marker(80, "after")
    cut = remove_ranges(tl, [(20, 40), (45, 55)])  # the second spans the edit point at 50
    assert [(c.media, c.in_, c.out) for c in cut.clips] == [("a", 0, 20), ("a", 40, 45), ("b", 15, 60)]
    assert cut.duration == tl.duration - 30
    assert cut.markers == (Marker(10, "start"), Marker(20, "inside"), Marker(50, "after"))
    assert tl.duration == 100  # the old value is untouched


def test_split_at_cuts_every_clip_once_and_ignores_edit_points() -> None:
    tl = timeline_with({"a": 100}).append(Clip("a", 10, 60)).append(gap(20)).append(Clip("a", 60, 90))
    cut = split_at(tl, [0, 20, 50, 60, 75, 200])
    assert [(c.media, c.in_, c.out) for c in cut.clips] == [
        ("a", 10, 30),
        ("a", 30, 60),
        (GAP, 0, 10),
        (GAP, 0, 10),
        ("a", 60, 65),
        ("a", 65, 90),
    ]
    assert split_at(tl, []) is tl
