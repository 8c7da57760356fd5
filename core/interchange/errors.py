"""The one error of interchange: a file that cannot be converted, said in one sentence."""

from __future__ import annotations

from core.errors import LivecutError


class InterchangeError(LivecutError):
    """A timeline file cannot be read or written (bad input, missing extra, refused content)."""
