"""What an export accepts: the one place the CLI and the export dialog read their bounds from."""

from __future__ import annotations

CRF_RANGE = range(0, 52)
"""x264 CRF values (0 lossless … 51 worst)."""
HEIGHT_RANGE = range(16, 16385)
"""Output heights an H.264 encoder can honour (even sizes are chosen inside it)."""
DEFAULT_CRF = 20
"""The quality both front ends start from."""
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
"""x264 speed presets, fastest first."""
LOUDNESS_RANGE = (-50.0, -5.0)
"""Integrated loudness targets (LUFS) an export accepts; −14 is streaming's, −23 broadcast's (EBU R 128)."""
