"""Cold preview encode of a 20 s 1080p30 H.264 source to 540p cells (issue 3's figures)."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import av

from bench.common import ensure_ffmpeg, figure, timed
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.synthetic.testpattern import make_source

SECONDS = 20


def run(runs: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-") as tmp:
        d = Path(tmp)
        src = make_source(
            d / "src.mp4",
            frames=30 * SECONDS,
            width=1920,
            height=1080,
            fps=30,
            gop=60,
            crf=20,
            preset="veryfast",
            audio=False,
        )
        p = proj.new_from_media(d / "p.toml", [str(src)])
        p = replace(p, preview_height=540)

        def cold(workers: int) -> Engine:
            store = CellStore(d / f"cache-{workers}")
            store.clear()
            eng = Engine(p, workers=workers, store=store)
            eng.wait_ready(600)
            eng.close()
            return eng

        one, one_runs, _eng1 = timed(lambda: cold(1), runs)
        two, two_runs, eng2 = timed(lambda: cold(2), runs)
        stats = eng2.decode_stats
        needed = 30 * SECONDS

        def decode_only() -> int:
            with av.open(str(src)) as c:
                s = c.streams.video[0]
                s.thread_type = "AUTO"
                return sum(1 for _ in c.decode(s))

        dec, dec_runs, _ = timed(decode_only, runs)
        out: dict[str, Any] = {
            "source": f"{SECONDS} s 1920x1080@30 H.264, 2 s GOP, crf 20; preview 960x540 all-intra libx264 ultrafast",
            "cold_encode_1_worker_s": figure(one, "s", runs, runs_s=[round(t, 3) for t in one_runs]),
            "cold_encode_2_workers_s": figure(two, "s", runs, runs_s=[round(t, 3) for t in two_runs]),
            "workers_speedup_2_vs_1": figure(one / two, "x", runs, "1 worker"),
            "decode_only_s": figure(dec, "s", runs, runs_s=[round(t, 3) for t in dec_runs]),
            "cold_encode_vs_decode_only": figure(two / dec, "x", runs, "PyAV decode-only of the same frames"),
            "decode_amplification": figure(stats.frames_decoded / needed, "frames decoded / needed", 1),
        }
        ffmpeg = ensure_ffmpeg()
        if ffmpeg:
            cmd = [
                ffmpeg,
                "-v",
                "error",
                "-i",
                str(src),
                "-vf",
                "scale=960:540",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-g",
                "1",
                "-an",
                "-f",
                "mp4",
                "-y",
                str(d / "peer.mp4"),
            ]
            peer, peer_runs, _ = timed(lambda: subprocess.run(cmd, check=True), runs)
            out["ffmpeg_cli_s"] = figure(peer, "s", runs, runs_s=[round(t, 3) for t in peer_runs])
            out["cold_encode_vs_ffmpeg_cli"] = figure(two / peer, "x", runs, "ffmpeg CLI, same transcode (all cores)")
        else:
            out["ffmpeg_cli_s"] = "ffmpeg CLI not available: peer not measured"
        return out
