"""Synthetic media made with PyAV: the frame-numbered test pattern (tests, benches) and the demo.

Kept apart from the engine: nothing in the pipeline imports it.
"""

from __future__ import annotations

from core.synthetic.demo import generate_demo
from core.synthetic.testpattern import draw_frame, make_source, read_index

__all__ = ["draw_frame", "generate_demo", "make_source", "read_index"]
