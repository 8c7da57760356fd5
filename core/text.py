"""Names that reach a terminal or a file format: control characters shown, never obeyed.

A project name or a media path is user data: a file name may hold ``ESC]0;…BEL`` or ``ESC[2J``,
and printed raw it retitles or clears the terminal (and in the editor wipes the layout). One
helper, used wherever such a name is shown, renders every control character as a Python-style
escape (``\\x1b``, ``\\x00``, ``\\u2028``) and keeps ordinary Unicode (accents, CJK, emoji) as it is.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls and DEL, plus the Unicode line/paragraph separators and bidi overrides
# (they reorder or break a line the way a control character does)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` (a ``str()`` of it) with every control character shown as an escape."""
    return _UNSAFE.sub(_escape, str(text))


def has_controls(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def is_format_control(char: str) -> bool:
    """True for a character no text file format should receive raw (a control, Cc)."""
    return unicodedata.category(char) == "Cc"
