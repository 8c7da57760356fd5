"""The user's comments, carried from the project file being replaced into the one being written.

A project file is the model's: every value and the layout (``version``, ``[project]``,
``[preview]``, then ``[[media]]``, ``[[clips]]``, ``[[markers]]``, one blank line between
sections) are written by ``project.dumps``. What a user adds by hand in an editor is comments, and
those would be lost at every save. So a save reads the old file's comments, ties each one to the
thing it describes (its *anchor*), and writes it again beside the same thing in the new file.

The rules:

* A comment line belongs to the next key or table header below it; an end-of-line comment to the
  key or header on its line (its spacing before ``#`` is kept; a comment line's indentation is
  not, the layout has none). Comment lines before the first key or header are the file's header
  and stay at the top; those after the last key stay at the end. Keys are compared by their full
  path, so ``project.name = ...`` at the top and ``name`` in ``[project]`` are the same key.
* Blank lines are kept only next to comments (between comment lines, or between a comment and
  what it describes), a run of them as one; elsewhere the layout owns the spacing.
* Comments inside an entry of an array of tables (``[[clips]]``, ``[[media]]``, ``[[markers]]``:
  above or on its header, above or on its keys) follow that entry when entries are reordered,
  inserted or removed. Entries are matched by identity (``match``): media by ``id`` (or path),
  markers by frame (or name), clips, which have no id in the model, by their values: an
  aligning diff of the old and new lists, then equal clips that moved, then a clip that was
  trimmed or split (same media, overlapping source range: the first piece of a split takes the
  comments). An entry both edited beyond recognition and moved is a new entry.
* Comment lines above the *first* entry of an array are the section's heading (``# in/out are
  source frames`` above the first ``[[clips]]``): they stay above the first entry whatever it
  is, so deleting or moving the first clip does not lose them. (A note meant for the first clip
  alone belongs on its header line or inside it.)
* A comment whose anchor is gone (a deleted clip, a key the model no longer writes such as a
  ``gain_db`` set back to 0, a whole emptied array) is dropped, and logged (INFO) with its text so
  it can be found again. Not kept at the end as an orphan: it described a thing that no longer
  exists, would mislead next to the wrong thing, and orphans would pile up save after save.
  Nothing is logged when the file that holds it is not the one replaced (an autosave, a save as).
* Comments inside a multi-line value (an array spanning lines) are dropped: the model writes no
  such values.
* Values are never taken from the old file: ``load(save(p)) == p`` whatever it held, and a file
  without comments is written byte for byte as before.

Why not tomlkit: it was tried. Its tree files a comment above ``[[clips]]`` under the *previous*
table and keeps blank lines in per-item trivia, so carrying comments meant undoing its structure
anyway, and parsing a 1000-clip file took ~0.3 s (tomllib: ~0.02 s). What is needed is only to
know, per line, whether it is a comment, a header or a key and where its end-of-line comment is;
``scan`` does that in one pass over text that ``tomllib`` has already validated, so it never
meets invalid TOML. Values of the old file (to match entries) come from tomllib too.

A file that is not valid TOML (hand-edited into a syntax error), not UTF-8 or that ``scan``
cannot follow is saved without its comments and a warning is logged: the user's work (the
project) is never refused because of its comments.
"""

from __future__ import annotations

import difflib
import logging
import re
import stat
import tomllib
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import tomli_w

from core.timebase import parse_fps, parse_time

log = logging.getLogger(__name__)

Path_ = tuple[str | int, ...]
"""Where a key or table is: ``("project", "name")``; an entry of an array of tables has its index
among the entries, ``("clips", 3, "in")``."""
Anchor = tuple[str, Path_]
"""``("key", path)`` or ``("table", path)``: what a comment is attached to."""


@dataclass(frozen=True)
class Note:
    """The comments of one anchor: lines above it (``""`` for a kept blank line) and its
    end-of-line comment with the spacing before it (``"   # 30 fps"``), or ``""``."""

    above: tuple[str, ...] = ()
    after: str = ""


@dataclass(frozen=True)
class Comments:
    """The comments of a project file, with its values (to recognise entries in the new file)."""

    source: Path
    head: tuple[str, ...]
    tail: tuple[str, ...]
    notes: Mapping[Anchor, Note]
    data: Mapping[str, Any]
    report_dropped: bool = True
    """Log the comments left out; False when ``source`` is not the file being replaced (an
    autosave, a save as): they are still there, nothing is lost."""


@dataclass(frozen=True)
class Block:
    """One section of the file to write: ``[name]`` (or ``[[name]]`` when ``entry``, one entry of
    an array of tables), or the top-level keys when ``name`` is None; ``values`` in written order."""

    name: str | None
    values: Mapping[str, Any]
    entry: bool = False


# -- reading -------------------------------------------------------------------------------------
def read(path: Path, max_bytes: int) -> Comments | None:
    """The comments of ``path``; None when it does not exist or holds none worth carrying.

    Never raises: a file that cannot be read gives None; one that has comments but cannot be
    followed (not UTF-8, not TOML) gives None with a warning, so the loss is not silent.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        raw = path.read_bytes()
    except (OSError, ValueError):
        return None
    if b"#" not in raw:
        return None  # the common case: nothing to carry, nothing to parse
    try:
        text = raw.decode("utf-8-sig")
        data = tomllib.loads(text)
        head, tail, notes = scan(text)
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8 text: saved without its comments", path)
        return None
    except tomllib.TOMLDecodeError as exc:
        log.warning("%s is not valid TOML (%s): saved without its comments", path, exc)
        return None
    except (ValueError, IndexError, RecursionError) as exc:
        log.warning("%s: its comments could not be followed (%s): saved without them", path, exc)
        return None
    if not (head or tail or notes):
        return None
    return Comments(path, head, tail, notes, data)


_WS = re.compile(r"[ \t]*")
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"(?:[^"\\\n]++|\\.)*+"')
_LITERAL = re.compile(r"'[^'\n]*'")
_ML_BASIC = re.compile(r'"""(?:[^"\\]++|\\[\s\S]|"{1,2}(?!"))*+"{3,5}')
_ML_LITERAL = re.compile(r"'''(?:[^']++|'{1,2}(?!'))*+'{3,5}")
_PLAIN = re.compile(r"[^\"'\[\]{}#\n]+")


def scan(text: str) -> tuple[tuple[str, ...], tuple[str, ...], dict[Anchor, Note]]:
    """(header lines, trailing lines, notes by anchor) of TOML ``text``, which tomllib accepted.

    ``ValueError`` for text it cannot follow (only possible for text tomllib would refuse).
    """
    notes: dict[Anchor, Note] = {}
    head: tuple[str, ...] | None = None
    pending: list[str] = []
    section: Path_ = ()
    counts: dict[Path_, int] = {}
    i, n = 0, len(text)
    while i < n:
        i = _skip_ws(text, i)
        if i >= n:
            break
        c = text[i]
        if c in "\r\n":
            pending.append("")
            i = _line_end(text, i) + 1
            continue
        if c == "#":
            end = _line_end(text, i)
            pending.append(text[i:end].rstrip())
            i = end + 1
            continue
        if c == "[":
            double = text.startswith("[[", i)
            names, i = _key(text, i + (2 if double else 1))
            path: Path_ = names
            close = "]]" if double else "]"
            if not text.startswith(close, i):
                raise ValueError(f"expected {close!r} at offset {i}")
            i += len(close)
            if double:
                index = counts.get(path, 0)
                counts[path] = index + 1
                path = (*path, index)
            section = path
            anchor: Anchor = ("table", path)
        else:
            keys, i = _key(text, i)
            if not text.startswith("=", i):
                raise ValueError(f"expected '=' at offset {i}")
            i = _value_end(text, _skip_ws(text, i + 1))
            anchor = ("key", (*section, *keys))
        gap_end = _skip_ws(text, i)
        end = _line_end(text, gap_end)
        after = ""
        if text.startswith("#", gap_end):
            after = (text[i:gap_end] or " ") + text[gap_end:end].rstrip()
        elif text[gap_end:end].strip():
            raise ValueError(f"unexpected text at offset {gap_end}")
        i = end + 1
        above = _tidy(pending, keep_last_blank=True)
        if head is None:
            head, above = above, ()
        pending = []
        if above or after:
            notes[anchor] = Note(above, after)
    if head is None:
        return _tidy(pending, keep_last_blank=False), (), notes
    return head, _tidy(pending, keep_last_blank=False), notes


def _skip_ws(text: str, i: int) -> int:
    """The offset after the spaces and tabs at ``i``."""
    m = _WS.match(text, i)
    return m.end() if m else i


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _tidy(lines: Sequence[str], keep_last_blank: bool) -> tuple[str, ...]:
    """Comment lines with blank lines only between comments (a run as one) and, when
    ``keep_last_blank``, one after the last comment; no comments, no lines."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    if not any(out):
        return ()
    if out[-1] == "" and not keep_last_blank:
        out.pop()
    return tuple(out)


def _key(text: str, i: int) -> tuple[tuple[str, ...], int]:
    """A (dotted) key starting at ``i``: its parts and the offset after it and its spaces."""
    parts: list[str] = []
    while True:
        i = _skip_ws(text, i)
        c = text[i : i + 1]
        if c == '"':
            m = _BASIC.match(text, i)
            if m is None:
                raise ValueError(f"unterminated key at offset {i}")
            parts.append(tomllib.loads(f"k = {m.group()}")["k"])  # escapes decoded as TOML does
        elif c == "'":
            m = _LITERAL.match(text, i)
            if m is None:
                raise ValueError(f"unterminated key at offset {i}")
            parts.append(m.group()[1:-1])
        else:
            m = _BARE.match(text, i)
            if m is None:
                raise ValueError(f"expected a key at offset {i}")
            parts.append(m.group())
        i = _skip_ws(text, m.end())
        if not text.startswith(".", i):
            return tuple(parts), i
        i += 1


def _value_end(text: str, i: int) -> int:
    """Where the value starting at ``i`` ends (strings, nested arrays and tables followed; comments
    inside a multi-line array skipped), before any spaces that follow it."""
    start, depth, n = i, 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            triple = text.startswith(c * 3, i)
            pattern = (_ML_BASIC if triple else _BASIC) if c == '"' else (_ML_LITERAL if triple else _LITERAL)
            m = pattern.match(text, i)
            if m is None:
                raise ValueError(f"unterminated string at offset {i}")
            i = m.end()
        elif c in "[{":
            depth += 1
            i += 1
        elif c in "]}":
            depth -= 1
            i += 1
        elif c == "#" or c == "\n":
            if depth == 0:
                break
            i = _line_end(text, i) if c == "#" else i + 1
        else:
            m = _PLAIN.match(text, i)
            i = m.end() if m else i + 1
    if depth:
        raise ValueError(f"unclosed array or table in the value at offset {start}")
    while i > start and text[i - 1] in " \t\r":
        i -= 1
    return i


# -- matching entries ----------------------------------------------------------------------------
def _time(value: Any, fps: Fraction) -> int | None:
    try:
        return parse_time(value, fps)
    except (ValueError, ArithmeticError):
        return None


def _plain(value: Any) -> Hashable:
    """``value`` usable in a key: a hand-edited file may hold an array where a string belongs."""
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)


def _clip_key(entry: Mapping[str, Any], fps: Fraction) -> tuple[Any, ...]:
    if "gap" in entry:
        return ("gap", _time(entry["gap"], fps))
    gain = entry.get("gain_db", 0.0)
    return (
        "clip",
        _plain(entry.get("media")),
        _time(entry.get("in"), fps),
        _time(entry.get("out"), fps),
        float(gain) if isinstance(gain, int | float) else _plain(gain),
        entry.get("mute", False) is True,
    )


def _clip_near(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """The same clip edited: both gaps, or the same media with overlapping source ranges."""
    if old[0] == "gap" or new[0] == "gap":
        return bool(old[0] == new[0])
    if old[1] != new[1] or None in (old[2], old[3], new[2], new[3]):
        return False
    return bool(old[2] < new[3]) and bool(new[2] < old[3])


def _clip_buckets(key: tuple[Any, ...]) -> tuple[Hashable, ...]:
    return (key[:1] if key[0] == "gap" else key[:2],)


def _marker_key(entry: Mapping[str, Any], fps: Fraction) -> tuple[Any, ...]:
    return (_time(entry.get("frame"), fps), _plain(entry.get("name", "")))


def _marker_buckets(key: tuple[Any, ...]) -> tuple[Hashable, ...]:
    """A marker moved keeps its name; a marker renamed keeps its frame."""
    return (("frame", key[0]), ("name", key[1])) if key[1] else (("frame", key[0]),)


def _media_key(entry: Mapping[str, Any], fps: Fraction) -> tuple[Any, ...]:
    return (_plain(entry.get("id")), _plain(entry.get("path")))


def _media_buckets(key: tuple[Any, ...]) -> tuple[Hashable, ...]:
    """A medium relinked keeps its id; one whose id changed keeps its file."""
    return (("id", key[0]), ("path", key[1]))


def _other_key(entry: Mapping[str, Any], fps: Fraction) -> tuple[Any, ...]:
    return (repr(sorted(entry.items())),)


def _anything(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    return True


@dataclass(frozen=True)
class _Identity:
    """How entries of one array are recognised: ``key`` (equal keys: the same entry), and for an
    edited entry, ``buckets`` to look in and ``near`` to confirm (within a shared bucket)."""

    key: Callable[[Mapping[str, Any], Fraction], tuple[Any, ...]]
    buckets: Callable[[tuple[Any, ...]], tuple[Hashable, ...]] = lambda key: ()
    near: Callable[[tuple[Any, ...], tuple[Any, ...]], bool] = _anything


_IDENTITY = {
    "clips": _Identity(_clip_key, _clip_buckets, _clip_near),
    "markers": _Identity(_marker_key, _marker_buckets),
    "media": _Identity(_media_key, _media_buckets),
}
LOOK = 32
"""Candidates looked at per old entry when pairing edited entries: keeps a save of a project whose
every clip changed (thousands in one bucket) linear; edits are close to each other in practice."""


def match(name: str, old: Sequence[Any], new: Sequence[Mapping[str, Any]], old_fps: Fraction) -> dict[int, int]:
    """Which old entry each new entry of array ``name`` is (new index → old index).

    Three passes, each over what the previous left: equal entries aligned in order (a diff, so a
    deletion or insertion does not shift the pairs; common prefix and suffix first, so the usual
    save of one edit costs O(n)); equal entries elsewhere (moved); then an old entry with the first
    new one "near" it (the same clip trimmed or split, a renamed or moved marker, a relinked
    medium). The rest are new entries, or removed ones.
    """
    identity = _IDENTITY.get(name, _Identity(_other_key))
    old_keys = [identity.key(e, old_fps) if isinstance(e, Mapping) else ("?", i) for i, e in enumerate(old)]
    new_keys = [identity.key(e, old_fps) for e in new]  # the model writes frames: the rate does not matter
    pairs: dict[int, int] = {}
    lo = 0
    while lo < len(old_keys) and lo < len(new_keys) and old_keys[lo] == new_keys[lo]:
        pairs[lo] = lo
        lo += 1
    hi_old, hi_new = len(old_keys), len(new_keys)
    while hi_old > lo and hi_new > lo and old_keys[hi_old - 1] == new_keys[hi_new - 1]:
        hi_old -= 1
        hi_new -= 1
        pairs[hi_new] = hi_old
    if lo in (hi_old, hi_new):
        return pairs
    diff = difflib.SequenceMatcher(None, old_keys[lo:hi_old], new_keys[lo:hi_new], autojunk=False)
    for i, j, size in diff.get_matching_blocks():
        pairs.update((lo + j + k, lo + i + k) for k in range(size))

    taken = set(pairs.values())
    moved: dict[tuple[Any, ...], list[int]] = {}
    for i in reversed(range(lo, hi_old)):
        if i not in taken:
            moved.setdefault(old_keys[i], []).append(i)
    for j in range(lo, hi_new):
        if j not in pairs and moved.get(new_keys[j]):
            pairs[j] = moved[new_keys[j]].pop()

    taken = set(pairs.values())
    waiting: dict[Hashable, list[int]] = {}
    for j in range(lo, hi_new):
        if j not in pairs:
            for bucket in identity.buckets(new_keys[j]):
                waiting.setdefault(bucket, []).append(j)
    for i in range(lo, hi_old):
        if i in taken:
            continue
        hit = next(
            (
                j
                for bucket in identity.buckets(old_keys[i])
                for j in waiting.get(bucket, ())[:LOOK]
                if identity.near(old_keys[i], new_keys[j])
            ),
            None,
        )
        if hit is not None:
            pairs[hit] = i
            for bucket in identity.buckets(new_keys[hit]):
                waiting[bucket].remove(hit)
    return pairs


# -- writing -------------------------------------------------------------------------------------
def render(blocks: Sequence[Block], comments: Comments | None = None) -> str:
    """The file: ``blocks`` in order, one blank line between them, one ``key = value`` line per
    value; with ``comments``, the old file's comments beside what they describe (see the rules)."""
    lines: list[str] = []
    carry = _Carry(comments)
    pairs = _pairs(blocks, comments) if comments else {}
    if comments:
        lines.extend(comments.head)
    counts: dict[str, int] = {}
    for b, block in enumerate(blocks):
        if b:
            lines.append("")
        old: Path_ | None
        if block.name is None:
            old = ()
        elif block.entry:
            index = counts.get(block.name, 0)
            counts[block.name] = index + 1
            was = pairs.get(block.name, {}).get(index)
            old = None if was is None else (block.name, was)
            if index == 0:  # the section's heading: whatever entry comes first
                lines.extend(carry.above(("table", (block.name, 0))))
            if was is not None and was != 0:
                lines.extend(carry.above(("table", (block.name, was))))
            after = "" if was is None else carry.after(("table", (block.name, was)))
            lines.append(f"[[{block.name}]]{after}")
        else:
            old = (block.name,)
            lines.extend(carry.above(("table", old)))
            lines.append(f"[{block.name}]{carry.after(('table', old))}")
        for key, value in block.values.items():
            anchor: Anchor | None = None if old is None else ("key", (*old, key))
            lines.extend(carry.above(anchor))
            lines.append(tomli_w.dumps({key: value}).rstrip("\n") + carry.after(anchor))
    if comments and comments.tail:
        lines.append("")
        lines.extend(comments.tail)
    carry.log_dropped()
    return "\n".join(lines) + "\n"


class _Carry:
    """Hands out the old file's notes, remembering which were written so the rest can be logged."""

    def __init__(self, comments: Comments | None) -> None:
        self.comments = comments
        self.notes: Mapping[Anchor, Note] = comments.notes if comments else {}
        self.used: set[tuple[Anchor, bool]] = set()

    def above(self, anchor: Anchor | None) -> tuple[str, ...]:
        note = self.notes.get(anchor) if anchor else None
        if anchor is None or note is None:
            return ()
        self.used.add((anchor, True))
        return note.above

    def after(self, anchor: Anchor | None) -> str:
        note = self.notes.get(anchor) if anchor else None
        if anchor is None or note is None:
            return ""
        self.used.add((anchor, False))
        return note.after

    def log_dropped(self) -> None:
        if self.comments is None or not self.comments.report_dropped:
            return
        for anchor, note in self.notes.items():
            text = [line for line in note.above if line] if (anchor, True) not in self.used else []
            if note.after and (anchor, False) not in self.used:
                text.append(note.after.strip())
            if text:
                where = ".".join(str(p) for p in anchor[1])
                log.info("%s: comment of %s dropped (gone from the project): %s", self.comments.source, where, text)


def _pairs(blocks: Sequence[Block], comments: Comments) -> dict[str, dict[int, int]]:
    """For each array of tables in ``blocks``: new entry index → old entry index."""
    new: dict[str, list[Mapping[str, Any]]] = {}
    for block in blocks:
        if block.entry and block.name is not None:
            new.setdefault(block.name, []).append(block.values)
    project = comments.data.get("project")
    try:
        fps = parse_fps(project.get("fps", "30")) if isinstance(project, dict) else Fraction(30)
    except ValueError:
        fps = Fraction(30)
    out: dict[str, dict[int, int]] = {}
    for name, entries in new.items():
        old = comments.data.get(name)
        out[name] = match(name, old, entries, fps) if isinstance(old, list) else {}
    return out
