"""``core.export.split``: the one-clip projects and file names of ``livecut export --split`` (#28).

Pure: the exports themselves are run by ``tests/test_export_cli.py``.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from core.export.split import segments
from core.model.project import Project
from core.model.timeline import Clip, Marker, MediaRef, Timeline, gap


def _ref(media_id: str, path: str) -> MediaRef:
    return MediaRef(media_id, path, Path("/m") / path, None)


def test_one_project_per_clip_gaps_skipped_markers_and_other_media_dropped() -> None:
    media = (_ref("a", "cam/a.mp4"), _ref("b", "../b.final.mov"), _ref("c", "c.mp4"))
    clips = (Clip("a", 0, 10, gain_db=-3.0), gap(5), Clip("b", 2, 8, mute=True), Clip("a", 20, 30))
    timeline = Timeline(Fraction(30), media, clips, (Marker(3, "x"), Marker(12, "y")))
    project = Project("film", timeline, width=640, height=360)
    got = segments(project)
    assert [(s.index, s.name) for s in got] == [(0, "01-a.mp4"), (2, "02-b.final.mp4"), (3, "03-a.mp4")]
    for s, clip in zip(got, (clips[0], clips[2], clips[3]), strict=True):
        t = s.project.timeline
        assert t.clips == (clip,) and t.markers == () and [m.id for m in t.media] == [clip.media]
        assert (s.project.width, s.project.height, s.project.name, t.fps) == (640, 360, "film", Fraction(30))


def test_numbers_widen_past_99_clips_so_names_sort_in_timeline_order() -> None:
    timeline = Timeline(Fraction(25), (_ref("a", "a.mp4"),), tuple(Clip("a", i, i + 1) for i in range(100)))
    names = [s.name for s in segments(Project("p", timeline))]
    assert names[0] == "001-a.mp4" and names[-1] == "100-a.mp4" and names == sorted(names)
    assert segments(Project("p", Timeline(Fraction(25), (), (gap(10),)))) == []
