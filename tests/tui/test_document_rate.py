"""The first clip added to an empty project sets its rate, snapped to the common rate near it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from core.model import project as proj
from tui.editor.document import Document


@pytest.mark.parametrize(
    ("measured", "rate"), [(Fraction(90000, 8993), Fraction(10)), (Fraction(21, 2), Fraction(21, 2))]
)
def test_first_clip_of_an_empty_project_sets_the_common_rate(measured: Fraction, rate: Fraction) -> None:
    document = Document(proj.new_project(fps="25"))
    document.adopt_format(measured, 640, 480)
    assert document.timeline.fps == rate
