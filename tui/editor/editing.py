"""What each editing key does, as pure functions of (timeline, cursor).

Why pure: the rules that make an editor feel right (which clip is selected, where the playhead
lands after a trim so the preview shows the frame you just cut to, how a ripple delete keeps
the picture under the playhead) are easy to get subtly wrong and easy to test without a
terminal. The editor screen only calls these and pushes the result through ``History``.

The selection rule (the help screen says it too): every clip key acts on the *target* clip, the
clip selected with tab / shift+tab (``Cursor.picked``, drawn bracketed on the timeline) when there is
one, else the clip under the playhead. A selection stays until esc clears it, another clip is
selected or the clip is deleted; moving the playhead (arrows, jumps, clicks, playback) keeps it,
and an edit keeps it on the same clip where that clip survives. Keys that cut at the playhead
(``i`` ``o`` trim, ``s`` split) act on the target too, so they need the playhead inside it and say
so otherwise; every other clip key (delete, move, nudges and trim modes, gain, mute, mark,
zoom to clip, loop) acts on the target wherever the playhead is. Clips marked with ``v`` take over
from the target for the keys that take several clips (delete, lift, cut, copy, gain, mute). Each
edit returns an ``Outcome`` or raises ``EditError`` with the sentence the user sees.

The nudge keys (``,`` ``.`` ``<`` ``>``) act by *trim mode* (``t`` cycles it), as in the trim modes
of Avid and Resolve: one set of keys for four trims instead of four sets of modifier chords that
many terminals cannot send. ``trim`` moves the selected edge (later clips follow: a ripple trim),
``roll`` moves the selected edit point between two clips, ``slip`` changes the selected clip's source
range in place, ``slide`` moves the selected clip between its neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from core.errors import EditError
from core.model.timeline import GAP, Clip, Marker, Timeline
from core.timebase import frame_at_rate, nominal_fps, seconds_to_frames

Edge = Literal["in", "out"]
TrimMode = Literal["trim", "roll", "slip", "slide"]
TRIM_MODES: tuple[TrimMode, ...] = ("trim", "roll", "slip", "slide")


@dataclass(frozen=True)
class Cursor:
    """Where the user is: the playhead and what is selected."""

    playhead: int = 0
    """Timeline frame under the playhead, 0 ≤ playhead ≤ last frame."""
    picked: int | None = None
    """Clip selected with tab/shift+tab (kept while the playhead moves); None: no selection, the
    keys act on the clip under the playhead."""
    edge: Edge | None = None
    """Selected edge of the selected clip (what ``,`` ``.`` ``<`` ``>`` nudge)."""
    marked: frozenset[int] = frozenset()
    """Clips added to the selection with ``v`` (several clips for lift, extract, copy, cut); empty:
    those keys act on the selected clip. Moving the playhead keeps them; an edit clears them."""


@dataclass(frozen=True)
class Outcome:
    """An edit's result: the label shown in undo, the new timeline and where the cursor goes."""

    label: str
    timeline: Timeline
    cursor: Cursor


# -- queries ---------------------------------------------------------------------------------------
def last_frame(tl: Timeline) -> int:
    return max(0, tl.duration - 1)


def clamp(tl: Timeline, frame: int) -> int:
    return max(0, min(frame, last_frame(tl)))


def selected(tl: Timeline, cur: Cursor) -> int | None:
    """Index of the target clip (the selected one, else the one under the playhead), or None."""
    if cur.picked is not None and 0 <= cur.picked < len(tl.clips):
        return cur.picked
    placed = tl.clip_at(cur.playhead)
    return placed.index if placed else None


def clip_name(tl: Timeline, clip: Clip) -> str:
    return tl.media_by_id(clip.media).name if tl.has_media(clip.media) else clip.media


# -- navigation (no edit) ----------------------------------------------------------------------------
def is_picked(tl: Timeline, cur: Cursor) -> bool:
    """True when a clip is selected (the keys act on it), False when they act on the one under the
    playhead."""
    return cur.picked is not None and 0 <= cur.picked < len(tl.clips)


def seek(tl: Timeline, cur: Cursor, frame: int) -> Cursor:
    """Move the playhead; the selection and the marked clips stay."""
    return replace(cur, playhead=clamp(tl, frame))


def clear_selection(cur: Cursor) -> Cursor:
    """Esc: no selected clip, edge or marked clips; the keys act on the clip under the playhead."""
    return replace(cur, picked=None, edge=None, marked=frozenset())


def next_edit(tl: Timeline, cur: Cursor) -> Cursor:
    later = [p for p in tl.edit_points() if p > cur.playhead]
    return seek(tl, cur, later[0] if later else last_frame(tl))


def prev_edit(tl: Timeline, cur: Cursor) -> Cursor:
    earlier = [p for p in tl.edit_points() if p < cur.playhead]
    return seek(tl, cur, earlier[-1] if earlier else 0)


def pick(tl: Timeline, cur: Cursor, delta: int) -> Cursor:
    """Select the next (``delta`` = 1) or previous clip without moving the playhead. With nothing
    selected yet, the clip under the playhead is the first one selected (#26)."""
    if not tl.clips:
        return cur
    if cur.picked is None or not 0 <= cur.picked < len(tl.clips):
        placed = tl.clip_at(cur.playhead)
        if placed is not None:
            return replace(cur, picked=placed.index)
        return replace(cur, picked=0 if delta > 0 else len(tl.clips) - 1)
    index = (cur.picked + delta) % len(tl.clips)
    return replace(cur, picked=index)


def toggle_edge(cur: Cursor, edge: Edge) -> Cursor:
    return replace(cur, edge=None if cur.edge == edge else edge)


def next_marker(tl: Timeline, cur: Cursor) -> Cursor:
    marker = tl.next_marker(cur.playhead)
    if marker is None:
        raise EditError("no marker after the playhead (m adds one)")
    return seek(tl, cur, marker.frame)


def prev_marker(tl: Timeline, cur: Cursor) -> Cursor:
    marker = tl.prev_marker(cur.playhead)
    if marker is None:
        raise EditError("no marker before the playhead (m adds one)")
    return seek(tl, cur, marker.frame)


_GOTO = re.compile(r"^([+-]?)\s*(?:(\d+(?:\.\d+)?)\s*([sf]?)|(\d+(?::\d+){1,3}))$")


def parse_goto(text: str, playhead: int, fps: Fraction) -> int:
    """The frame a "go to" entry names: ``01:02:03:04`` (shorter forms such as ``2:10`` are seconds
    and frames, as in the big editors), ``90`` or ``90f`` frames, ``2.5s`` seconds; a leading ``+`` or
    ``-`` is relative to ``playhead``. ``ValueError`` with the sentence the user sees."""
    m = _GOTO.match(text.strip().lower())
    if not m:
        raise ValueError(f"{text.strip()!r} is not a time: try 01:00:10:00, 2:10, 90f, 2.5s, +2s or -10f")
    sign, number, unit, timecode = m.groups()
    if timecode is not None:
        parts = [int(p) for p in timecode.split(":")]
        base = nominal_fps(fps)
        hh, mm, ss, ff = [0] * (4 - len(parts)) + parts
        if ff >= base or ss >= 60 or mm >= 60:
            raise ValueError(f"{timecode!r} is not a valid timecode at {nominal_fps(fps)} frames per second")
        frames = ((hh * 60 + mm) * 60 + ss) * base + ff
    elif unit == "s":
        frames = seconds_to_frames(Fraction(number), fps)
    elif "." in number:
        raise ValueError(f"{number!r}: frames are whole numbers (write {number}s for seconds)")
    else:
        frames = int(number)
    return playhead + frames if sign == "+" else playhead - frames if sign == "-" else frames


def goto(tl: Timeline, cur: Cursor, text: str) -> Cursor:
    try:
        frame = parse_goto(text, cur.playhead, tl.fps)
    except ValueError as exc:
        raise EditError(str(exc)) from None
    return seek(tl, cur, frame)


def next_trim_mode(mode: TrimMode) -> TrimMode:
    return TRIM_MODES[(TRIM_MODES.index(mode) + 1) % len(TRIM_MODES)]


def after_history(tl: Timeline, cur: Cursor) -> Cursor:
    """The cursor after undo/redo replaced the timeline under it."""
    picked = cur.picked if cur.picked is not None and cur.picked < len(tl.clips) else None
    return Cursor(clamp(tl, cur.playhead), picked, cur.edge, frozenset(i for i in cur.marked if i < len(tl.clips)))


# -- edits ---------------------------------------------------------------------------------------------
def _selected_or_fail(tl: Timeline, cur: Cursor) -> int:
    index = selected(tl, cur)
    if index is None:
        raise EditError("there is no clip to edit (add media with a)")
    return index


def _kept(cur: Cursor, index: int | None) -> int | None:
    """The selection after an edit of the target clip, now at ``index``: still selected when it
    was selected, else none (the keys keep acting on the clip under the playhead)."""
    return index if cur.picked is not None else None


def _playhead_source(tl: Timeline, cur: Cursor, index: int, verb: str) -> int:
    """The source frame under the playhead in clip ``index`` (the keys that cut at the playhead)."""
    start, clip = tl.starts()[index], tl.clips[index]
    if not start <= cur.playhead < start + clip.length:
        raise EditError(
            f"the playhead is not over the selected clip {index + 1}/{len(tl.clips)} ({clip_name(tl, clip)}): "
            f"move it into the clip to {verb} it, or esc to act on the clip under the playhead"
        )
    return clip.in_ + cur.playhead - start


def _follow(old: Timeline, new: Timeline, cur: Cursor, moved: Callable[[int, int], int | None]) -> int | None:
    """Where the selected clip is in ``new`` after an edit of several clips: ``moved(start, end)``
    says where a clip that was at ``[start, end)`` starts now (None: taken out or cut in two)."""
    if cur.picked is None or not 0 <= cur.picked < len(old.clips):
        return None
    start, clip = old.starts()[cur.picked], old.clips[cur.picked]
    now = moved(start, start + clip.length)
    placed = new.clip_at(now) if now is not None else None
    return placed.index if placed is not None and placed.start == now and placed.clip == clip else None


def _trimmed(old: Timeline, new: Timeline, what: str) -> Timeline:
    if new == old:
        raise EditError(f"the clip's {what} cannot move further that way")
    return new


def trim_in(tl: Timeline, cur: Cursor) -> Outcome:
    """I: the selected clip starts at the playhead's source frame; the playhead shows that frame."""
    index = _selected_or_fail(tl, cur)
    source = _playhead_source(tl, cur, index, "trim")
    new = _trimmed(tl, tl.trim_in(index, source), "start")
    return Outcome("trim start", new, Cursor(new.starts()[index], _kept(cur, index), "in"))


def trim_out(tl: Timeline, cur: Cursor) -> Outcome:
    """O: the selected clip's last frame is the playhead's source frame."""
    index = _selected_or_fail(tl, cur)
    source = _playhead_source(tl, cur, index, "trim")
    new = _trimmed(tl, tl.trim_out(index, source + 1), "end")
    return Outcome("trim end", new, Cursor(_last_of(new, index), _kept(cur, index), "out"))


def _last_of(tl: Timeline, index: int) -> int:
    return tl.starts()[index] + tl.clips[index].length - 1


def nudge(tl: Timeline, cur: Cursor, delta: int) -> Outcome:
    """Move the selected edge by ``delta`` source frames; the playhead shows the edge frame."""
    index = _selected_or_fail(tl, cur)
    if cur.edge is None:
        raise EditError("select an edge first: [ for the start, ] for the end")
    clip = tl.clips[index]
    if cur.edge == "in":
        new = _trimmed(tl, tl.trim_in(index, clip.in_ + delta), "start")
        return Outcome("nudge start", new, Cursor(new.starts()[index], _kept(cur, index), "in"))
    new = _trimmed(tl, tl.trim_out(index, clip.out + delta), "end")
    return Outcome("nudge end", new, Cursor(_last_of(new, index), _kept(cur, index), "out"))


def split(tl: Timeline, cur: Cursor) -> Outcome:
    """Cut the target clip at the playhead; a selection goes to the right half (under the playhead)."""
    index = _selected_or_fail(tl, cur)
    _playhead_source(tl, cur, index, "split")
    new = tl.split(cur.playhead)
    if new == tl:
        raise EditError(
            f"nothing to split: the playhead is on the first frame of clip {index + 1}/{len(tl.clips)} "
            f"({clip_name(tl, tl.clips[index])}), already a cut; move it at least one frame into the clip"
        )
    return Outcome("split", new, Cursor(cur.playhead, _kept(cur, index + 1), None))


def _locate(tl: Timeline, frame: int) -> tuple[int, int] | None:
    placed = tl.clip_at(frame)
    return (placed.index, frame - placed.start) if placed else None


def delete(tl: Timeline, cur: Cursor) -> Outcome:
    """Ripple delete the target clip (or the marked clips: ``extract``); the playhead stays on the
    same picture where it can. A deleted clip is no longer selected."""
    if cur.marked:
        return extract(tl, cur)
    index = _selected_or_fail(tl, cur)
    new = tl.delete(index)
    here = _locate(tl, cur.playhead)
    if here is None or here[0] == index:
        playhead = tl.starts()[index]
    elif here[0] > index:
        playhead = cur.playhead - tl.clips[index].length
    else:
        playhead = cur.playhead
    return Outcome("delete clip", new, Cursor(clamp(new, playhead), None, None))


def move(tl: Timeline, cur: Cursor, delta: int) -> Outcome:
    """Swap the selected clip with its neighbour; the playhead keeps showing the same picture."""
    index = _selected_or_fail(tl, cur)
    target = index + delta
    if not 0 <= target < len(tl.clips):
        raise EditError(f"the clip is already the {'first' if delta < 0 else 'last'} one")
    new = tl.move(index, delta)
    here = _locate(tl, cur.playhead)
    playhead = cur.playhead
    if here is not None:
        k, offset = here
        k = target if k == index else index if k == target else k
        playhead = new.starts()[k] + offset
    picked = target if cur.picked is not None else None
    return Outcome("move clip", new, Cursor(clamp(new, playhead), picked, cur.edge))


# -- markers ---------------------------------------------------------------------------------------------
def toggle_marker(tl: Timeline, cur: Cursor) -> Outcome:
    """M: a marker at the playhead, or none if there was one."""
    if tl.marker_at(cur.playhead) is not None:
        return Outcome("remove marker", tl.remove_marker(cur.playhead), cur)
    return Outcome("add marker", tl.add_marker(cur.playhead), cur)


def name_marker(tl: Timeline, cur: Cursor, name: str) -> Outcome:
    """Name the marker at the playhead (adding it when there is none)."""
    return Outcome("name marker", tl.add_marker(cur.playhead, name), cur)


# -- roll, slip, slide --------------------------------------------------------------------------------
def trim_step(tl: Timeline, cur: Cursor, mode: TrimMode, delta: int) -> Outcome:
    """The nudge keys in trim mode ``mode``; the playhead goes where the change can be seen."""
    if mode == "trim":
        return nudge(tl, cur, delta)
    index = _selected_or_fail(tl, cur)
    if mode == "roll":
        return _roll(tl, cur, index, delta)
    if mode == "slip":
        new = tl.slip(index, delta)
        if new == tl:
            raise EditError("the clip's source cannot slip further that way")
        start = tl.starts()[index]
        inside = start <= cur.playhead < start + tl.clips[index].length
        return Outcome("slip clip", new, Cursor(cur.playhead if inside else start, _kept(cur, index), cur.edge))
    new = tl.slide(index, delta)
    if new == tl:
        raise EditError("the clip cannot slide further that way")
    moved = new.starts()[index] - tl.starts()[index]
    here = _locate(tl, cur.playhead)
    playhead = cur.playhead + moved if here is not None and here[0] == index else new.starts()[index]
    return Outcome("slide clip", new, Cursor(clamp(new, playhead), _kept(cur, index), cur.edge))


def _roll(tl: Timeline, cur: Cursor, index: int, delta: int) -> Outcome:
    """Roll the selected edge's edit point: ``]`` the one after the clip, ``[`` the one before."""
    if cur.edge is None:
        raise EditError("select the edit point to roll: [ for the clip's start, ] for its end")
    left = index if cur.edge == "out" else index - 1
    if left < 0 or left + 1 >= len(tl.clips):
        raise EditError("a roll needs a clip on each side of the edit point")
    new = tl.roll(left, delta)
    if new == tl:
        raise EditError("the edit point cannot roll further that way")
    point = new.starts()[left + 1]
    # the playhead shows the frame that changed: the incoming clip's first or the outgoing clip's last
    playhead = point if cur.edge == "in" else point - 1
    return Outcome("roll edit", new, Cursor(playhead, _kept(cur, index), cur.edge))


# -- several clips: mark, lift, extract, clipboard ------------------------------------------------------
def toggle_mark(tl: Timeline, cur: Cursor) -> Cursor:
    """V: add the selected clip to the marked clips, or take it out."""
    index = _selected_or_fail(tl, cur)
    return replace(cur, marked=cur.marked ^ {index})


def mark_all(tl: Timeline, cur: Cursor) -> Cursor:
    return replace(cur, marked=frozenset(range(len(tl.clips))))


def clear_marks(cur: Cursor) -> Cursor:
    return replace(cur, marked=frozenset())


def targets(tl: Timeline, cur: Cursor) -> list[int]:
    """The clips lift, extract, copy and cut act on: the marked ones, else the selected one."""
    if cur.marked:
        return sorted(i for i in cur.marked if i < len(tl.clips))
    return [_selected_or_fail(tl, cur)]


def _count(n: int) -> str:
    return "clip" if n == 1 else f"{n} clips"


def copy(tl: Timeline, cur: Cursor) -> tuple[Clip, ...]:
    return tuple(tl.clips[i] for i in targets(tl, cur))


def lift(tl: Timeline, cur: Cursor) -> Outcome:
    """Z: take the clips out and leave gaps (nothing after them moves); the playhead stays."""
    chosen = targets(tl, cur)
    new = tl.lift(chosen)
    picked = None if cur.picked in chosen else _follow(tl, new, cur, lambda start, _end: start)
    return Outcome(f"lift {_count(len(chosen))}", new, Cursor(clamp(new, cur.playhead), picked, None))


def extract(tl: Timeline, cur: Cursor) -> Outcome:
    """Take the clips out and close up; the playhead goes where the first of them was."""
    chosen = targets(tl, cur)
    new = tl.extract(chosen)
    starts = tl.starts()

    def moved(start: int, _end: int) -> int:
        return start - sum(tl.clips[i].length for i in chosen if starts[i] < start)

    picked = None if cur.picked in chosen else _follow(tl, new, cur, moved)
    return Outcome(f"extract {_count(len(chosen))}", new, Cursor(clamp(new, starts[chosen[0]]), picked, None))


def paste(tl: Timeline, cur: Cursor, clips: tuple[Clip, ...], *, overwrite: bool) -> Outcome:
    """Ctrl+V inserts the clipboard at the playhead (what was there moves right); overwrite puts it over
    what was there. The playhead ends after the pasted clips, ready for the next paste."""
    if not clips:
        raise EditError("the clipboard is empty (copy with ctrl+c, cut with ctrl+x)")
    at = cur.playhead if tl.clips else 0
    new = tl.overwrite(at, clips) if overwrite else tl.insert_clips(at, clips)
    length = sum(c.length for c in clips)
    verb = "overwrite" if overwrite else "paste"

    def moved(start: int, end: int) -> int | None:
        if end <= at:
            return start
        if overwrite:
            return start if start >= at + length else None
        return start + length if start >= at else None

    picked = _follow(tl, new, cur, moved)
    return Outcome(f"{verb} {_count(len(clips))}", new, Cursor(clamp(new, at + length), picked, None))


# -- source view and three-point edits -------------------------------------------------------------------
@dataclass(frozen=True)
class SourceMarks:
    """In and out marked on a bin item in the source view (source frames; out is exclusive)."""

    in_: int | None = None
    out: int | None = None


def source_timeline(tl: Timeline, media_id: str, marks: SourceMarks) -> Timeline:
    """What the source view shows: the whole media as one clip, its marks as ``IN``/``OUT`` markers."""
    ref = tl.media_by_id(media_id)
    if not ref.online:
        raise EditError(f"{ref.name} is offline ({ref.error}): it cannot be viewed")
    length = ref.length(tl.fps) or 1
    names: dict[int, str] = {}
    if marks.in_ is not None:
        names[marks.in_] = "IN"
    if marks.out is not None:
        names[marks.out - 1] = "IN/OUT" if marks.out - 1 in names else "OUT"
    markers = [Marker(frame, name) for frame, name in names.items()]
    return Timeline(tl.fps, (ref,), (Clip(media_id, 0, length),), tuple(sorted(markers)))


def mark_source(marks: SourceMarks, edge: Edge, frame: int) -> SourceMarks:
    """I / O in the source view: a mark at the playhead; a mark on the wrong side of it is dropped."""
    if edge == "in":
        return SourceMarks(frame, marks.out if marks.out is not None and marks.out > frame else None)
    return SourceMarks(marks.in_ if marks.in_ is not None and marks.in_ <= frame else None, frame + 1)


def source_clip(tl: Timeline, media_id: str, marks: SourceMarks) -> Clip:
    """The marked range of a bin item (the whole item where a mark is missing)."""
    length = tl.media_length(media_id)
    if length is None:
        raise EditError(f"{tl.media_by_id(media_id).name} is offline: relink it first")
    start = marks.in_ if marks.in_ is not None else 0
    end = marks.out if marks.out is not None else length
    return Clip(media_id, min(start, length - 1), max(min(end, length), min(start, length - 1) + 1))


def three_point(tl: Timeline, cur: Cursor, clip: Clip, *, overwrite: bool) -> Outcome:
    """F9 / F10: the source range in at the timeline's playhead (ripple insert, or over what is there)."""
    outcome = paste(tl, cur, (clip,), overwrite=overwrite)
    verb = "overwrite" if overwrite else "insert"
    return replace(outcome, label=f"{verb} {clip_name(tl, clip)}")


# -- a new project rate ------------------------------------------------------------------------------------
def cursor_at_rate(cur: Cursor, old: Fraction, new: Fraction) -> Cursor:
    """The cursor after the project rate changed (``Timeline.at_rate``): the playhead at the same time."""
    return replace(cur, playhead=frame_at_rate(cur.playhead, old, new))


def marks_at_rate(marks: SourceMarks, old: Fraction, new: Fraction) -> SourceMarks:
    return SourceMarks(
        None if marks.in_ is None else frame_at_rate(marks.in_, old, new),
        None if marks.out is None else frame_at_rate(marks.out, old, new),
    )


# -- snapping ---------------------------------------------------------------------------------------------
def snap_points(tl: Timeline) -> tuple[int, ...]:
    """Where moves stop when snapping is on: edit points and markers."""
    return tuple(sorted({*tl.edit_points(), *(m.frame for m in tl.markers)}))


def snap_delta(start: int, delta: int, points: tuple[int, ...] | list[int]) -> int:
    """``delta`` shortened so a move from ``start`` stops at the first snap point it would pass over.
    Snapping applies to the one-second steps only: a single frame step is always exact."""
    if abs(delta) <= 1:
        return delta
    end = start + delta
    crossed = [p for p in points if start < p < end] if delta > 0 else [p for p in points if end < p < start]
    if not crossed:
        return delta
    return (min(crossed) if delta > 0 else max(crossed)) - start


def snapped_seek(tl: Timeline, cur: Cursor, delta: int) -> Cursor:
    """Shift+←/→ with snapping on: the playhead stops at an edit point or marker on its way."""
    return seek(tl, cur, cur.playhead + snap_delta(cur.playhead, delta, snap_points(tl)))


def snapped_trim(tl: Timeline, cur: Cursor, mode: TrimMode, delta: int) -> int:
    """``delta`` for a one-second trim step with snapping on: the edge that moves along the timeline
    (a rolled edit point, a ripple-trimmed end, a slid clip's start or end) stops at a marker or the
    playhead's frame on its way. Slips and in-edge ripple trims move nothing on the timeline."""
    index = selected(tl, cur)
    if index is None or abs(delta) <= 1:
        return delta
    markers = [m.frame for m in tl.markers]
    start, end = tl.starts()[index], tl.starts()[index] + tl.clips[index].length
    if mode == "roll" and cur.edge is not None:
        return snap_delta(start if cur.edge == "in" else end, delta, markers)
    if mode == "trim" and cur.edge == "out":
        return snap_delta(end, delta, markers)
    if mode == "slide":
        return min((snap_delta(start, delta, markers), snap_delta(end, delta, markers)), key=abs)
    return delta


# -- loop range -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoopRange:
    """The timeline range loop playback repeats: ``[start, end)``."""

    start: int
    end: int


def loop_range(tl: Timeline, cur: Cursor, marks: SourceMarks) -> LoopRange:
    """The timeline's in/out marks (shift+I / shift+O), missing ends taken from the selected clip."""
    index = selected(tl, cur)
    if index is None and (marks.in_ is None or marks.out is None):
        raise EditError("nothing to loop: mark a range with I and O, or put the playhead over a clip")
    clip_start = tl.starts()[index] if index is not None else 0
    clip_end = clip_start + tl.clips[index].length if index is not None else tl.duration
    start = marks.in_ if marks.in_ is not None else clip_start
    end = marks.out if marks.out is not None else clip_end
    start, end = max(0, min(start, tl.duration - 1)), min(end, tl.duration)
    if end <= start:
        raise EditError("the loop range is empty: its out is before its in")
    return LoopRange(start, end)


def loop_wrap(loop: LoopRange, frame: int, speed: float) -> int | None:
    """Where playback at ``frame`` jumps to stay in ``loop`` (None: carry on)."""
    # the preview plays a loop's passes itself (``PreviewHandle.set_loop``): a forward position
    # only leaves the range under the stand-in clock, which reports ``end`` before it wraps
    if speed > 0 and (frame >= loop.end or frame < loop.start):
        return loop.start
    if speed < 0 and (frame <= loop.start or frame >= loop.end):
        return loop.end - 1
    return None


# -- clip sound -----------------------------------------------------------------------------------------
def _sound_targets(tl: Timeline, cur: Cursor) -> list[int]:
    chosen = [i for i in targets(tl, cur) if tl.clips[i].media != GAP]
    if not chosen:
        raise EditError("a gap has no sound")
    return chosen


def change_gain(tl: Timeline, cur: Cursor, delta_db: float) -> Outcome:
    """Ctrl+↑/↓: the selected (or marked) clips' gain up or down by ``delta_db``."""
    chosen = _sound_targets(tl, cur)
    new = tl
    for i in chosen:  # each clip from its own gain
        new = new.set_gain([i], tl.clips[i].gain_db + delta_db)
    if new == tl:
        raise EditError("the gain is at its limit (−60 to +24 dB)")
    gain = new.clips[chosen[0]].gain_db
    return Outcome(f"gain {gain:+.1f} dB", new, cur)  # the marks stay: the next step adjusts them again


def toggle_mute(tl: Timeline, cur: Cursor) -> Outcome:
    """U: mute the selected (or marked) clips; unmute when they all are muted already."""
    chosen = _sound_targets(tl, cur)
    mute = not all(tl.clips[i].mute for i in chosen)
    new = tl.set_mute(chosen, mute)
    return Outcome("mute" if mute else "unmute", new, cur)
