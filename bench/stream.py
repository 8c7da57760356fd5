"""Edit → first fragment of the new stream on a 100-clip cached timeline (issue 4's figure)."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import figure
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.stream.assembler import Assembler
from core.stream.bytestream import GrowingStream
from core.synthetic.testpattern import make_source


def run(runs: int = 15) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-") as tmp:
        d = Path(tmp)
        src = make_source(d / "a.mp4", frames=300, width=640, height=360, fps=30)
        p = replace(proj.new_from_media(d / "p.toml", [str(src)]), preview_height=360)
        tl = Timeline(p.fps, p.timeline.media)
        for i in range(100):
            start = (i * 37) % 240
            tl = tl.append(Clip("a", start, start + 30 + i % 30))
        store = CellStore(d / "cache")
        with Engine(replace(p, timeline=tl), workers=2, store=store) as eng:
            eng.wait_ready(600)
            asm = Assembler(store, p.fps)
            warm = GrowingStream()
            asm.session(tl, eng.segments, 0, warm, eng.resolve).run()
            edit_ms, at_playhead_ms, reused = [], [], []
            for r in range(runs):
                idx = 50 + r % 10
                edited = tl.trim_out(idx, tl.clips[idx].out - 1 - r % 3)
                t0 = time.perf_counter()
                eng.set_timeline(edited)
                sink = GrowingStream()
                session = asm.session(edited, eng.segments, 0, sink, eng.resolve).start_thread()
                sink.wait_for(1, 10)
                edit_ms.append((time.perf_counter() - t0) * 1000)
                reused.append(session.reused)
                session.cancel()
                session.join(10)
                # the playhead sits at the edit: a session that starts at the edited segment
                seg = next(i for i, s in enumerate(eng.segments) if s.clip == idx)
                t0 = time.perf_counter()
                sink2 = GrowingStream()
                s2 = asm.session(edited, eng.segments, seg, sink2, eng.resolve).start_thread()
                while s2.state.fragments == [] and time.perf_counter() - t0 < 10:
                    time.sleep(0.0002)
                at_playhead_ms.append((time.perf_counter() - t0) * 1000)
                s2.cancel()
                s2.join(10)
            asm.close()
        return {
            "timeline": "100 clips, all cells cached, 640x360 preview",
            "edit_to_first_fragment_ms": figure(
                statistics.median(edit_ms),
                "ms",
                runs,
                "goal 15 ms",
                p95=round(sorted(edit_ms)[int(0.95 * (runs - 1))], 2),
                fragments_reused_median=statistics.median(reused),
            ),
            "edit_to_first_fragment_at_edit_point_ms": figure(
                statistics.median(at_playhead_ms), "ms", runs, "new session starting at the edited segment (no reuse)"
            ),
        }
