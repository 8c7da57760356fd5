"""The timeline: an immutable value edited by pure functions.

Every edit returns a new ``Timeline`` and leaves the old one untouched, so undo is just "go back
to the previous value" (see ``core.model.history``), the scheduler can diff two plans, and a worker
thread can read a timeline while the UI edits the next one. Positions are integer frames at the
project rate; a clip's ``in``/``out`` are source positions in those same project frames
(half-open), so a 25 fps source in a 30 fps project is addressed at 30 fps like everything else.

The media a timeline uses travel with it (``MediaRef``): adding a file is an edit too, and an
undo removes it again. Markers travel with it for the same reason: adding or naming one is an
undoable edit. They mark timeline positions (not source frames), so like the ruler they stay put
when clips around them are trimmed or deleted.

A *gap* is a real timeline item (black and silent): a clip of the pseudo media ``GAP`` whose
``MediaRef`` (``GAP_REF``) has neither video nor audio, so the plan, the preview stream and the
export already show it as black and silence (as they do under an audio-only clip) without knowing
about gaps. Gaps are not in ``Timeline.media`` (nothing to save or show in the bin) and always
start at source frame 0, so a gap is just its length. Lift leaves gaps, extract closes them.

Trims beyond the plain in/out (``roll``, ``slip``, ``slide``) change only clips' source ranges, never
which media frames exist, so the engine reuses every cell it already has for them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from core.errors import EditError
from core.media.info import MediaInfo
from core.timebase import frame_at_rate


@dataclass(frozen=True)
class MediaRef:
    """A media file as the project knows it."""

    id: str
    """Short id used by clips (``[[media]] id``)."""
    path: str
    """Path as written in the project (relative to the project file when it can be)."""
    resolved: Path
    """Absolute path the engine opens."""
    info: MediaInfo | None
    """Probe result; None when the file is offline or unusable."""
    error: str | None = None
    """Why the file is offline (missing, corrupt, ...), shown to the user."""

    @property
    def online(self) -> bool:
        return self.info is not None

    @property
    def name(self) -> str:
        return self.resolved.name

    def length(self, fps: Fraction) -> int | None:
        """Length in project frames, or None when offline (unknown)."""
        if self.info is None:
            return None
        # remembered per rate: the plan and every trim ask it for each clip, and its Fraction
        # arithmetic was a third of an edit's time on a 500-clip timeline (not a field: eq/hash ignore it)
        lengths: dict[Fraction, int] | None = self.__dict__.get("_lengths")
        if lengths is None:
            lengths = {}
            object.__setattr__(self, "_lengths", lengths)
        frames = lengths.get(fps)
        if frames is None:
            frames = lengths[fps] = self.info.frames_at(fps)
        return frames


MIN_GAIN_DB = -60.0
MAX_GAIN_DB = 24.0
"""Clip gain limits: -60 dB is near silence (use mute for silence), +24 dB is already loud distortion."""


@dataclass(frozen=True)
class Clip:
    """Source frames ``[in_, out)`` of media ``media`` (project frames), with its sound's gain."""

    media: str
    in_: int
    out: int
    gain_db: float = 0.0
    """Gain of the clip's sound in dB (heard in the preview stream and the export)."""
    mute: bool = False
    """The clip's sound is silent; its gain is kept for when it is unmuted."""

    @property
    def audio_gain(self) -> float:
        """Linear factor applied to the clip's samples (0 when muted)."""
        return 0.0 if self.mute else 10.0 ** (self.gain_db / 20.0)

    @property
    def length(self) -> int:
        return self.out - self.in_


@dataclass(frozen=True)
class Placed:
    """A clip with its position on the timeline: frames ``[start, start + clip.length)``."""

    index: int
    start: int
    clip: Clip

    @property
    def end(self) -> int:
        return self.start + self.clip.length


GAP = ""
"""Media id of gap clips (no real media can have it: the project file refuses empty ids)."""
GAP_REF = MediaRef(GAP, "", Path("gap"), MediaInfo(Path("gap"), 0, "gap", Fraction(365 * 24 * 3600), None, None))
"""What a gap "plays": a year of nothing; never saved, never probed."""


def gap(length: int) -> Clip:
    return Clip(GAP, 0, length)


def _canonical(clip: Clip) -> Clip:
    """A gap is only its length: in is always 0."""
    return Clip(GAP, 0, clip.length) if clip.media == GAP and clip.in_ else clip


@dataclass(frozen=True, order=True)
class Marker:
    """A named timeline position (``[[markers]]`` in the project file)."""

    frame: int
    name: str = ""


MAX_MARKER_NAME = 200
"""Longest marker name: a label on the ruler, not a document."""


@dataclass(frozen=True)
class Timeline:
    """One video track (with its audio) of clips played back to back."""

    fps: Fraction
    media: tuple[MediaRef, ...] = ()
    clips: tuple[Clip, ...] = ()
    markers: tuple[Marker, ...] = ()
    """Sorted by frame, at most one per frame."""

    # -- queries -------------------------------------------------------------------------------
    def media_by_id(self, media_id: str) -> MediaRef:
        if media_id == GAP:
            return GAP_REF
        for ref in self.media:
            if ref.id == media_id:
                return ref
        raise EditError(f"no media with id {media_id!r}")

    def has_media(self, media_id: str) -> bool:
        return media_id == GAP or any(ref.id == media_id for ref in self.media)

    def starts(self) -> tuple[int, ...]:
        """Timeline position of each clip's first frame."""
        out, pos = [], 0
        for clip in self.clips:
            out.append(pos)
            pos += clip.length
        return tuple(out)

    @property
    def duration(self) -> int:
        return sum(c.length for c in self.clips)

    def placed(self) -> Iterator[Placed]:
        pos = 0
        for i, clip in enumerate(self.clips):
            yield Placed(i, pos, clip)
            pos += clip.length

    def clip_at(self, frame: int) -> Placed | None:
        """The clip showing timeline frame ``frame`` (None past the end or when empty)."""
        if frame < 0:
            return None
        starts = self.starts()
        i = bisect.bisect_right(starts, frame) - 1
        if i < 0 or i >= len(self.clips):
            return None
        placed = Placed(i, starts[i], self.clips[i])
        return placed if frame < placed.end else None

    def edit_points(self) -> tuple[int, ...]:
        """Every clip boundary, 0 and the end included, ascending."""
        points = [0, *self.starts()[1:], self.duration] if self.clips else [0]
        return tuple(sorted(set(points)))

    def source_frame(self, frame: int) -> tuple[Clip, int] | None:
        """(clip, source frame) shown at timeline frame ``frame``."""
        placed = self.clip_at(frame)
        if placed is None:
            return None
        return placed.clip, placed.clip.in_ + frame - placed.start

    def media_length(self, media_id: str) -> int | None:
        return self.media_by_id(media_id).length(self.fps)

    def marker_at(self, frame: int) -> Marker | None:
        return next((m for m in self.markers if m.frame == frame), None)

    def next_marker(self, frame: int) -> Marker | None:
        """First marker after ``frame``."""
        i = bisect.bisect_right([m.frame for m in self.markers], frame)
        return self.markers[i] if i < len(self.markers) else None

    def prev_marker(self, frame: int) -> Marker | None:
        """Last marker before ``frame``."""
        i = bisect.bisect_left([m.frame for m in self.markers], frame)
        return self.markers[i - 1] if i > 0 else None

    # -- edits (each returns a new timeline) ---------------------------------------------------
    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.clips):
            raise EditError(f"no clip number {index + 1} (the timeline has {len(self.clips)})")

    def _with_clips(self, clips: list[Clip] | tuple[Clip, ...]) -> Timeline:
        return replace(self, clips=tuple(_canonical(c) for c in clips))

    def _checked(self, clip: Clip) -> Clip:
        if not self.has_media(clip.media):
            raise EditError(f"no media with id {clip.media!r}")
        if clip.in_ < 0 or clip.out <= clip.in_:
            raise EditError(f"a clip needs 0 <= in < out (got in={clip.in_}, out={clip.out})")
        length = self.media_length(clip.media)
        if length is not None and clip.out > length:
            raise EditError(f"out={clip.out} is past the end of media {clip.media!r} ({length} frames)")
        return clip

    def add_media(self, ref: MediaRef) -> Timeline:
        if ref.id == GAP:
            raise EditError("a media id must not be empty")
        if self.has_media(ref.id):
            raise EditError(f"media id {ref.id!r} is already used")
        return replace(self, media=(*self.media, ref))

    def append(self, clip: Clip) -> Timeline:
        return self._with_clips((*self.clips, self._checked(clip)))

    def insert(self, index: int, clip: Clip) -> Timeline:
        if not 0 <= index <= len(self.clips):
            raise EditError(f"cannot insert at clip number {index + 1}")
        clips = list(self.clips)
        clips.insert(index, self._checked(clip))
        return self._with_clips(clips)

    def insert_at_frame(self, frame: int, clip: Clip) -> Timeline:
        """Insert at an edit point, splitting the clip under ``frame`` first when needed."""
        placed = self.clip_at(frame)
        if placed is None:
            return self.append(clip)
        tl = self
        if frame != placed.start:
            tl = tl.split(frame)
            return tl.insert(placed.index + 1, clip)
        return tl.insert(placed.index, clip)

    def replace_clip(self, index: int, clip: Clip) -> Timeline:
        self._check_index(index)
        clips = list(self.clips)
        clips[index] = self._checked(clip)
        return self._with_clips(clips)

    def trim_in(self, index: int, new_in: int) -> Timeline:
        """Move clip ``index``'s first source frame to ``new_in`` (clamped: 0 ≤ in < out)."""
        self._check_index(index)
        clip = self.clips[index]
        new_in = max(0, min(new_in, clip.out - 1))
        return self.replace_clip(index, replace(clip, in_=new_in))

    def trim_out(self, index: int, new_out: int) -> Timeline:
        """Move clip ``index``'s end (one past its last source frame), clamped to the media."""
        self._check_index(index)
        clip = self.clips[index]
        length = self.media_length(clip.media)
        upper = length if length is not None else max(new_out, clip.in_ + 1)
        new_out = max(clip.in_ + 1, min(new_out, upper))
        return self.replace_clip(index, replace(clip, out=new_out))

    def split(self, frame: int) -> Timeline:
        """Cut the clip under timeline frame ``frame`` in two; no-op at an edit point."""
        placed = self.clip_at(frame)
        if placed is None:
            raise EditError("the playhead is not over a clip")
        if frame == placed.start:
            return self
        cut = placed.clip.in_ + frame - placed.start
        left = replace(placed.clip, out=cut)
        right = replace(placed.clip, in_=cut)
        clips = list(self.clips)
        clips[placed.index : placed.index + 1] = [left, right]
        return self._with_clips(clips)

    def delete(self, index: int) -> Timeline:
        """Ripple delete: later clips move left to close the gap."""
        self._check_index(index)
        return self._with_clips(self.clips[:index] + self.clips[index + 1 :])

    def move(self, index: int, delta: int) -> Timeline:
        """Swap clip ``index`` with its neighbour ``delta`` (±1) places away (clamped)."""
        self._check_index(index)
        target = max(0, min(len(self.clips) - 1, index + delta))
        if target == index:
            return self
        clips = list(self.clips)
        clips.insert(target, clips.pop(index))
        return self._with_clips(clips)

    # -- markers -------------------------------------------------------------------------------
    def add_marker(self, frame: int, name: str = "") -> Timeline:
        """Put a marker at ``frame`` (replacing the one there: that is how it is renamed)."""
        if frame < 0:
            raise EditError(f"a marker needs a frame ≥ 0 (got {frame})")
        name = " ".join(name.split())  # one line on the ruler
        if len(name) > MAX_MARKER_NAME:
            raise EditError(f"a marker name is at most {MAX_MARKER_NAME} characters")
        kept = [m for m in self.markers if m.frame != frame]
        return replace(self, markers=tuple(sorted([*kept, Marker(frame, name)])))

    def remove_marker(self, frame: int) -> Timeline:
        if self.marker_at(frame) is None:
            raise EditError("there is no marker here")
        return replace(self, markers=tuple(m for m in self.markers if m.frame != frame))

    # -- trims that keep the timeline's length or a clip's length ------------------------------
    def _upper(self, clip: Clip) -> int | None:
        """Source frames available to ``clip`` (None: offline, unknown)."""
        return self.media_length(clip.media)

    def roll(self, index: int, delta: int) -> Timeline:
        """Move the edit point after clip ``index`` by ``delta`` frames: its out and the next clip's in
        move together, so nothing else moves and the duration stays. Clamped to what both clips allow."""
        if not 0 <= index < len(self.clips) - 1:
            raise EditError("a roll needs a clip on each side of the edit point")
        left, right = self.clips[index], self.clips[index + 1]
        lo = max(left.in_ + 1 - left.out, -right.in_)
        hi = right.out - 1 - right.in_
        upper = self._upper(left)
        if upper is not None:
            hi = min(hi, upper - left.out)
        d = max(lo, min(delta, hi))
        if d == 0:
            return self
        clips = list(self.clips)
        clips[index] = replace(left, out=left.out + d)
        clips[index + 1] = replace(right, in_=right.in_ + d)
        return self._with_clips(clips)

    def slip(self, index: int, delta: int) -> Timeline:
        """Show a later (``delta`` > 0) or earlier part of the source in clip ``index``: in and out
        move together, so the clip keeps its place and length. Clamped to the media."""
        self._check_index(index)
        clip = self.clips[index]
        upper = self._upper(clip)
        d = max(-clip.in_, delta if upper is None else min(delta, upper - clip.out))
        if d == 0:
            return self
        return self.replace_clip(index, replace(clip, in_=clip.in_ + d, out=clip.out + d))

    def slide(self, index: int, delta: int) -> Timeline:
        """Move clip ``index`` ``delta`` frames along the timeline between its neighbours: the previous
        clip's out and the next clip's in follow, so the clip itself and the duration are unchanged."""
        if not 0 < index < len(self.clips) - 1:
            raise EditError("a slide needs a clip on each side (it moves between its neighbours)")
        prev, nxt = self.clips[index - 1], self.clips[index + 1]
        lo = max(prev.in_ + 1 - prev.out, -nxt.in_)
        hi = nxt.out - 1 - nxt.in_
        upper = self._upper(prev)
        if upper is not None:
            hi = min(hi, upper - prev.out)
        d = max(lo, min(delta, hi))
        if d == 0:
            return self
        clips = list(self.clips)
        clips[index - 1] = replace(prev, out=prev.out + d)
        clips[index + 1] = replace(nxt, in_=nxt.in_ + d)
        return self._with_clips(clips)

    # -- the project rate ------------------------------------------------------------------------
    def at_rate(self, fps: Fraction) -> Timeline:
        """The same cut at another project rate, by time: every edit point stays where it was in
        seconds and every clip starts at the same source time, each to the nearest frame of
        ``fps`` (a clip's out follows from its new length; a clip too short for a frame of the new
        rate keeps one). Markers stay at their times. In and out are project frames, so keeping
        the numbers instead would change what each clip shows."""
        if fps == self.fps:
            return self

        def at(frame: int) -> int:
            return frame_at_rate(frame, self.fps, fps)

        bounds = (*self.starts(), self.duration)
        clips: list[Clip] = []
        for i, clip in enumerate(self.clips):
            length = max(1, at(bounds[i + 1]) - at(bounds[i]))
            if clip.media == GAP:
                clips.append(gap(length))
                continue
            in_ = at(clip.in_)
            available = self.media_by_id(clip.media).length(fps)
            if available is not None:  # never past the end of the media at the new rate
                length = max(1, min(length, available))
                in_ = max(0, min(in_, available - length))
            clips.append(replace(clip, in_=in_, out=in_ + length))
        markers: dict[int, Marker] = {}
        for marker in self.markers:  # two markers on one frame of a lower rate: the first stays
            markers.setdefault(at(marker.frame), Marker(at(marker.frame), marker.name))
        return Timeline(fps, self.media, tuple(clips), tuple(sorted(markers.values())))

    # -- clip sound ----------------------------------------------------------------------------
    def set_gain(self, indices: tuple[int, ...] | list[int], gain_db: float) -> Timeline:
        """Clips ``indices`` at ``gain_db`` (clamped to the limits, rounded to 0.1 dB); gaps have no sound."""
        chosen = set(self._check_indices(indices))
        gain = round(max(MIN_GAIN_DB, min(MAX_GAIN_DB, gain_db)), 1)
        return self._with_clips(
            [replace(c, gain_db=gain) if i in chosen and c.media != GAP else c for i, c in enumerate(self.clips)]
        )

    def set_mute(self, indices: tuple[int, ...] | list[int], mute: bool) -> Timeline:
        chosen = set(self._check_indices(indices))
        return self._with_clips(
            [replace(c, mute=mute) if i in chosen and c.media != GAP else c for i, c in enumerate(self.clips)]
        )

    # -- several clips at once: lift, extract, insert, overwrite -------------------------------
    def _check_indices(self, indices: tuple[int, ...] | list[int]) -> list[int]:
        if not indices:
            raise EditError("no clips selected")
        for i in indices:
            self._check_index(i)
        return sorted(set(indices))

    def lift(self, indices: tuple[int, ...] | list[int]) -> Timeline:
        """Remove clips ``indices`` leaving gaps of their length (later clips stay put). Neighbouring
        gaps become one; a gap left at the end is dropped (the film simply ends earlier)."""
        chosen = set(self._check_indices(indices))
        clips = [gap(c.length) if i in chosen else c for i, c in enumerate(self.clips)]
        return self._with_clips(_merge_gaps(clips))

    def extract(self, indices: tuple[int, ...] | list[int]) -> Timeline:
        """Remove clips ``indices`` and close up (a ripple delete of several clips)."""
        chosen = set(self._check_indices(indices))
        return self._with_clips([c for i, c in enumerate(self.clips) if i not in chosen])

    def _split_at(self, frame: int) -> tuple[Timeline, int]:
        """The timeline cut at ``frame`` (padded with a gap when ``frame`` is past the end) and the
        index of the first clip at or after ``frame``."""
        if frame < 0:
            raise EditError(f"frame {frame} is before the start")
        tl = self
        if frame > self.duration:
            tl = self._with_clips((*self.clips, gap(frame - self.duration)))
        elif frame < self.duration:
            tl = self.split(frame)
        starts = tl.starts()
        return tl, bisect.bisect_left(starts, frame) if frame < tl.duration else len(tl.clips)

    def insert_clips(self, frame: int, clips: tuple[Clip, ...] | list[Clip]) -> Timeline:
        """Insert ``clips`` at timeline ``frame``; what was there moves right (a ripple insert)."""
        if not clips:
            return self
        checked = [self._checked(c) for c in clips]
        tl, index = self._split_at(frame)
        return tl._with_clips((*tl.clips[:index], *checked, *tl.clips[index:]))

    def overwrite(self, frame: int, clips: tuple[Clip, ...] | list[Clip]) -> Timeline:
        """Put ``clips`` at timeline ``frame`` over what was there; nothing after them moves."""
        if not clips:
            return self
        checked = [self._checked(c) for c in clips]
        end = frame + sum(c.length for c in checked)
        tl, first = self._split_at(frame)
        if end < tl.duration:
            tl = tl.split(end)
        starts = tl.starts()
        last = bisect.bisect_left(starts, end) if end < tl.duration else len(tl.clips)
        return tl._with_clips((*tl.clips[:first], *checked, *tl.clips[last:]))


def _merge_gaps(clips: list[Clip]) -> list[Clip]:
    out: list[Clip] = []
    for clip in clips:
        if clip.media == GAP and out and out[-1].media == GAP:
            out[-1] = gap(out[-1].length + clip.length)
        else:
            out.append(clip)
    while out and out[-1].media == GAP:
        out.pop()
    return out
