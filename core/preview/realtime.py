"""Would playback keep up? A headless 1× playout of the timeline against the engine, no display.

The question quality adaptation answers is about time: does the stream reach the playhead before
the playhead reaches the end of what was streamed? This module plays the timeline on a virtual
clock that advances at ``speed`` × wall time exactly as a player would, through the real stream
assembler and the engine's rung-aware resolver (``Engine.resolve_at``): when the stream ends for
a change of rung, a new session starts at that frame at the new rung, as ``Preview`` does. The
playhead is reported to the engine as it moves, so scheduling and the controller see what they
would see under a real player. Whenever the playhead reaches the end of what has been streamed
while more is to come, playback is stalled, and the time is counted.

It reports the figures the issue asks for (``first_frame_ms``, ``stalls``, ``stall_seconds``,
seconds per rung) and, with ``keep_streams``, every session's bytes and the frames it played, so
a test can decode them and check that each delivered frame is the expected one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from fractions import Fraction

from core.cells.plan import Segment, segment_at
from core.engine.engine import Engine
from core.engine.quality import LADDER
from core.stream.assembler import Assembler, StreamSession
from core.stream.bytestream import GrowingStream

log = logging.getLogger(__name__)

TICK_S = 0.005
"""Step of the virtual clock (it reads the wall clock each step, so this is only granularity)."""
STALL_MIN_S = 0.05
"""A stall shorter than this is not counted as a stall event (its seconds still are)."""


@dataclass(frozen=True)
class PlayedSession:
    """One session of the playout: frames ``[start, end)`` played at ``rung`` from ``stream``."""

    rung: int
    start: int
    end: int
    stream: bytes
    """The session's whole stream (empty unless ``keep_streams``)."""


@dataclass(frozen=True)
class RealtimeReport:
    first_frame_ms: float
    stalls: int
    stall_seconds: float
    rungs_used: dict[str, float]
    """Seconds of timeline played at each rung, by rung name."""
    sessions: tuple[PlayedSession, ...]
    frames: int
    """Timeline frames delivered."""
    wall_seconds: float
    rung_changes: int
    """Changes the controller made during the run."""

    def as_dict(self) -> dict[str, object]:
        return {
            "first_frame_ms": round(self.first_frame_ms, 1),
            "stalls": self.stalls,
            "stall_seconds": round(self.stall_seconds, 3),
            "rungs_used": {k: round(v, 2) for k, v in self.rungs_used.items()},
            "sessions": len(self.sessions),
            "frames": self.frames,
            "wall_seconds": round(self.wall_seconds, 2),
            "rung_changes": self.rung_changes,
        }


def play_realtime(
    engine: Engine,
    *,
    start: int = 0,
    end: int | None = None,
    speed: float = 1.0,
    keep_streams: bool = False,
    timeout: float | None = None,
) -> RealtimeReport:
    """Play frames ``[start, end)`` (default: to the end) at ``speed``× on a virtual clock."""
    segs = engine.segments
    timeline = engine.timeline
    fps: Fraction = engine.fps
    stop = timeline.duration if end is None else min(end, timeline.duration)
    assemblers: dict[int, Assembler] = {}
    sessions: list[PlayedSession] = []
    changes_before = engine.controller.changes
    t0 = time.monotonic()

    def open_session(frame: int, rung: int | None = None) -> StreamSession:
        index = segment_at(segs, frame)
        seg = segs[index] if index is not None else None
        r = engine.start_rung(seg) if rung is None else rung
        asm = assemblers.get(r) or assemblers.setdefault(r, Assembler(engine.store, fps))

        def resolve(segment: Segment, cancel: threading.Event, rung: int = r) -> str | None:
            return engine.resolve_at(rung, segment, cancel, switch_up=segment is not seg)

        engine.set_playhead(frame)
        return asm.session(timeline, segs, index if index is not None else len(segs), GrowingStream(), resolve, r)

    def close(session: StreamSession, upto: int) -> None:
        session.cancel()
        session.join(5)
        data = session.sink.getvalue() if keep_streams else b""
        sessions.append(PlayedSession(session.rung, session.start_frame, upto, data))

    playhead = float(start)
    session = open_session(start).start_thread()
    first_frame_ms: float | None = None
    stall = 0.0
    stalls = 0
    stalled_for = 0.0
    rungs: dict[str, float] = {}
    last = time.monotonic()
    deadline = None if timeout is None else t0 + timeout
    try:
        while playhead < stop:
            time.sleep(TICK_S)
            now = time.monotonic()
            dt, last = now - last, now
            if deadline is not None and now > deadline:
                log.warning("realtime playout gave up at frame %.0f after %.0f s", playhead, timeout)
                break
            frags = session.state.fragments
            streamed = frags[-1].end if frags else session.start_frame
            switch = session.state.switch_frame
            if switch is not None and session.state.switch_rung is not None and playhead >= switch:
                close(session, switch)  # it ended where it was: go on at the other rung
                session = open_session(switch, session.state.switch_rung).start_thread()
                continue
            if first_frame_ms is None:
                if streamed > playhead:
                    first_frame_ms = (now - t0) * 1000
                    last = now
                continue
            want = playhead + dt * float(fps) * speed
            reach = min(want, float(streamed), float(stop))
            if switch is not None and reach >= switch:
                reach = float(switch)
            if reach > playhead:
                rungs[LADDER[session.rung].name] = rungs.get(LADDER[session.rung].name, 0.0) + (
                    reach - playhead
                ) / float(fps)
            if want > reach and reach < stop:
                lost = (want - reach) / (float(fps) * speed)
                if switch is None or reach < switch:
                    stall += lost
                    stalled_for += lost
            elif stalled_for:
                if stalled_for >= STALL_MIN_S:
                    stalls += 1
                stalled_for = 0.0
            playhead = reach
            engine.set_playhead(int(playhead))
            if session.sink.aborted and not session.cancel_event.is_set():
                raise RuntimeError("the stream session failed (see the log)")
    finally:
        close(session, int(playhead))
        for asm in assemblers.values():
            asm.close()
    if stalled_for >= STALL_MIN_S:
        stalls += 1
    return RealtimeReport(
        first_frame_ms=first_frame_ms if first_frame_ms is not None else float("nan"),
        stalls=stalls,
        stall_seconds=stall,
        rungs_used=rungs,
        sessions=tuple(sessions),
        frames=int(playhead) - start,
        wall_seconds=time.monotonic() - t0,
        rung_changes=engine.controller.changes - changes_before,
    )
