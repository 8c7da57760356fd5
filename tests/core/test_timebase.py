"""Frame rates: snapping a clip's measured rate to the rate a project made from it gets."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from core.model import project as proj
from core.synthetic.testpattern import make_source
from core.timebase import project_rate


@pytest.mark.parametrize(
    ("measured", "rate"),
    [
        (Fraction(90000, 8993), Fraction(10)),  # a phone's ~10 fps, measured 0.08 % fast
        (Fraction(10000, 333), Fraction(30)),  # 30.03: 0.1 % off 30, 0.2 % off 29.97
        (Fraction(90000, 3002), Fraction(30000, 1001)),
        (Fraction(90000, 1499), Fraction(60)),
        (Fraction(21, 2), Fraction(21, 2)),  # 10.5 fps: no common rate near it
        (Fraction(90000, 3013), Fraction(90000, 3013)),  # a Pixel's real 29.87 fps: 0.3 % off
        (Fraction(25), Fraction(25)),
    ],
)
def test_project_rate_snaps_only_near_a_common_rate(measured: Fraction, rate: Fraction) -> None:
    assert project_rate(measured) == rate


@pytest.fixture(scope="module")
def off_rate_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip stamped at 10000/333 fps (every 33.3 ms in a 1/10000 s time base), as phones measure."""
    d = tmp_path_factory.mktemp("rate")
    return make_source(
        d / "phone.mp4", frames=30, width=64, height=48, fps=Fraction(10000, 333), bframes=0, audio=False,
        vfr_timestamps=[i * 333 for i in range(30)], time_base=Fraction(1, 10000),
    )  # fmt: skip


def test_new_project_from_a_clip_takes_the_common_rate(off_rate_clip: Path, tmp_path: Path) -> None:
    p = proj.new_from_media(tmp_path / "p.toml", [str(off_rate_clip)])
    media = p.timeline.media[0].info
    assert media is not None and media.video is not None and media.video.fps == Fraction(10000, 333)
    assert p.fps == 30
    assert p.timeline.clips[0].length == 30  # every frame of the clip, none lost to the snap
