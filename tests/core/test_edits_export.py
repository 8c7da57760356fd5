"""A gap exports as black picture and silence between the clips around it (real PyAV export)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from core.cells.store import CellStore
from core.export.render import ExportOptions, export
from core.model import project as proj
from core.model.timeline import Clip, Timeline, gap
from core.synthetic.testpattern import make_source


def test_gap_is_black_and_silent(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=60, width=160, height=120, fps=30, tone_hz=440)
    p = proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")])
    tl = Timeline(p.timeline.fps, p.timeline.media, (Clip("a", 0, 30), gap(30), Clip("a", 30, 60)))
    out = tmp_path / "film.mp4"
    export(
        replace(p, timeline=tl, width=160, height=120),
        out,
        ExportOptions(segment_frames=30, gop_frames=15),
        store=CellStore(tmp_path / "cache"),
    )
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 90
    assert all(f.max() <= 20 for f in frames[31:59])  # black (a little codec noise allowed)
    assert frames[10].max() > 100 and frames[70].max() > 100
    with av.open(str(out)) as c:
        rate = c.streams.audio[0].rate
        assert c.streams.audio[0].format.is_planar
        audio = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)]).astype(np.float64)
    second = rate
    rms = [float(np.sqrt(np.mean(audio[i * second : (i + 1) * second] ** 2))) for i in range(3)]
    quiet = audio[int(1.1 * second) : int(1.9 * second)]
    assert rms[0] > 0.01 and rms[2] > 0.01
    assert float(np.sqrt(np.mean(quiet**2))) < 1e-4  # silence under the gap


def _rms_per_second(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        rate = c.streams.audio[0].rate
        audio = np.concatenate([f.to_ndarray()[0] for f in c.decode(audio=0)]).astype(np.float64)
    return [float(np.sqrt(np.mean(audio[i * rate + rate // 10 : (i + 1) * rate - rate // 10] ** 2))) for i in range(3)]


def test_clip_gain_and_mute_are_heard_in_the_export(tmp_path: Path) -> None:
    make_source(tmp_path / "a.mp4", frames=90, width=64, height=48, fps=30, tone_hz=440)
    p = proj.new_from_media(tmp_path / "p.toml", [str(tmp_path / "a.mp4")])
    tl = p.timeline.split(30).split(60).set_gain([1], -6.0).set_mute([2], True)
    out = tmp_path / "film.mp4"
    export(
        replace(p, timeline=tl, width=64, height=48),
        out,
        ExportOptions(segment_frames=30, gop_frames=15),
        store=CellStore(tmp_path / "cache"),
    )
    full, lowered, muted = _rms_per_second(out)
    assert full > 0.01
    assert 20 * np.log10(lowered / full) == pytest.approx(-6.0, abs=0.3)
    assert muted < 1e-4
