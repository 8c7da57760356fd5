"""Quality adaptation on heavy footage (issue 13): does cold playback keep up, and at what rung?

A 4K60 H.264 long-GOP source with B-frames at a camera-like bitrate is generated with PyAV (the
test pattern plus a little noise, so the bitrate is real: ABR at ``BITRATE``), and a light 1080p30
source. Each is played cold at 1× by ``core.preview.realtime`` (the real assembler and the
engine's rung-aware resolver, no display) once with the rung pinned to full and once with
adaptation on, each against an empty cache with the editor's 2 workers. Reported per run: first
frame, stalls, stall seconds, seconds per rung, rung changes. After the adaptive run the playhead
rests at the start (paused) and the time until every cell within ``NEAR_S`` of it is at the top
rung is measured (sharpening).

``LIVECUT_BENCH_QUALITY_SECONDS`` sets the length of the sources (default 10; the issue's figure
is for 30, which takes several minutes to generate on 2 cores). The decode speed of the 4K source
alone (PyAV, all cores, nothing else running) is reported too: it bounds every rung, because
decoding costs the same whatever the preview size.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from bench.common import figure
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.preview.realtime import play_realtime
from core.synthetic.testpattern import draw_frame, make_source

log = logging.getLogger(__name__)

BITRATE = 80_000_000
"""Bits per second of the heavy source (a phone or camera records 4K60 at 50-100 Mbit/s)."""
GOP = 120
"""Keyframe interval of the heavy source in frames (2 s: long-GOP, like a camera)."""
NEAR_S = 10
"""Seconds either side of the paused playhead that must be at the top rung after sharpening."""
SHARPEN_TIMEOUT_S = 600


def seconds() -> int:
    try:
        return max(2, int(os.environ.get("LIVECUT_BENCH_QUALITY_SECONDS", "10")))
    except ValueError:
        return 10


def make_heavy(path: Path, duration: int, width: int = 3840, height: int = 2160, fps: int = 60) -> Path:
    """4K60 H.264 High, 2 B-frames, ``GOP``-frame GOPs at ``BITRATE`` (ABR), frames that carry their index."""
    rng = np.random.default_rng(13)
    noise = [rng.integers(0, 8, (height, width, 3), dtype=np.uint8) for _ in range(4)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(
            "libx264",
            rate=fps,
            options={"preset": "ultrafast", "g": str(GOP), "keyint_min": str(GOP), "sc_threshold": "0"},
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = BITRATE
        stream.codec_context.max_b_frames = 2
        stream.codec_context.thread_count = 0
        for i in range(duration * fps):
            picture = draw_frame(i, width, height)
            picture += noise[i % len(noise)]
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def decode_speed(path: Path) -> float:
    """Source seconds decoded per wall second (PyAV, automatic threads)."""
    t0 = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = sum(1 for _ in container.decode(stream))
        rate = float(stream.average_rate or 60)
    return frames / rate / (time.perf_counter() - t0)


def playout(p: proj.Project, cache: Path, quality: str, *, sharpen: bool = False) -> dict[str, Any]:
    store = CellStore(cache)
    store.clear()
    with Engine(p, workers=2, store=store, quality=quality) as eng:
        report = play_realtime(eng, timeout=20 * p.timeline.duration / float(p.fps) + 60)
        out: dict[str, Any] = report.as_dict()
        out["cells_per_rung"] = list(eng.stats().cells_per_rung)
        speeds = eng.quality().speeds
        out["speed_per_worker"] = [None if s is None else round(s, 3) for s in speeds]
        if sharpen:
            out["seconds_until_near_cells_at_top_rung"] = _sharpen_time(eng)
    return out


def _sharpen_time(eng: Engine) -> float | None:
    """Paused at the start: seconds until every segment within ``NEAR_S`` is stored at rung 0."""
    eng.set_playhead(0)
    near = [s for s in eng.segments if s.key and s.at < NEAR_S * eng.fps]
    t0 = time.monotonic()
    while time.monotonic() - t0 < SHARPEN_TIMEOUT_S:
        if all(eng.best_rung(s.cell) == 0 for s in near):
            return round(time.monotonic() - t0, 2)
        eng.ahead_seconds()  # nothing plays: the buffer ahead is "complete"
        time.sleep(0.1)
    return None


def run() -> dict[str, Any]:
    duration = seconds()
    with tempfile.TemporaryDirectory(prefix="livecut-bench-quality-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        heavy = make_heavy(tmp / "heavy4k60.mp4", duration)
        made_s = time.perf_counter() - t0
        bitrate = heavy.stat().st_size * 8 / duration
        decode = decode_speed(heavy)
        p = proj.new_from_media(tmp / "heavy.toml", [str(heavy)])
        full = playout(p, tmp / "cache-full", "full")
        auto = playout(p, tmp / "cache-auto", "auto", sharpen=True)
        light_src = make_source(tmp / "light1080p30.mp4", frames=duration * 30, width=1920, height=1080, fps=30, gop=30)
        light = proj.new_from_media(tmp / "light.toml", [str(light_src)], fps="30")
        light_auto = playout(light, tmp / "cache-light", "auto")
    return {
        "source": (
            f"{duration} s 4K60 H.264 long-GOP (GOP {GOP}, 2 B-frames) at {bitrate / 1e6:.0f} Mbit/s made with PyAV "
            f"in {made_s:.0f} s; {duration} s 1080p30 test pattern; cold cache, 2 workers, 1x playout without display"
        ),
        "heavy_decode_speed": figure(decode, "x real time", 1, note="PyAV decode alone, all cores: bounds every rung"),
        "heavy_stall_seconds_auto": figure(auto["stall_seconds"], "s", 1),
        "heavy_stall_seconds_pinned_full": figure(full["stall_seconds"], "s", 1),
        "heavy_first_frame_ms_auto": figure(auto["first_frame_ms"], "ms", 1),
        "heavy_sharpen_seconds": figure(
            auto.get("seconds_until_near_cells_at_top_rung") or float("nan"), "s", 1, near_seconds=NEAR_S
        ),
        "light_rungs_used": light_auto["rungs_used"],
        "runs": {"heavy_full": full, "heavy_auto": auto, "light_auto": light_auto},
    }


if __name__ == "__main__":
    import json

    logging.basicConfig(level=logging.INFO)
    print(json.dumps(run(), indent=2))
