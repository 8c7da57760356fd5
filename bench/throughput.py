"""Cold preview encode against its peer, the ffmpeg CLI, in the same run (issue 17).

For each source (generated high-bitrate 720p / 1080p / 4K, and the shared real media):

* livecut's cold encode (``Engine``, quality pinned to the full rung, one codec thread per worker)
  and the ffmpeg CLI encoding exactly the frames livecut encodes (the whole source: its cells
  cover it) to the same size, CRF, preset and all-intra GOP, both as whole-process CPU seconds,
  medians of ``runs`` in alternation;
* PyAV decode-only of the same frames (the floor any transcode pays);
* worker scaling: livecut N workers ÷ 1 worker against ffmpeg's own N-thread ÷ 1-thread gain,
  for N = 2, 4, 8 up to the machine's cores (wall time, where parallelism shows).

Plus frames encoded ÷ frames needed for a cold timeline of trimmed clips (cells are whole 2 s
units, so a clip's first and last cell carry frames nobody asked for).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import numpy as np

from bench.common import ensure_ffmpeg, figure
from bench.real_media import MEDIA as SHARED_MEDIA
from core.cells.encoders import encoder_settings
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.model.timeline import Clip, Timeline
from core.synthetic.testpattern import make_source

GENERATED = (("720p", 1280, 720, 6), ("1080p", 1920, 1080, 4), ("4K", 3840, 2160, 2))
"""(label, width, height, seconds) of the generated sources."""
REAL = ("sowt_h264_1080p50_pcm_s16le.mov", "bear_h264_aac_1080x720_29.97_bframes_elst.mp4")
"""Shared real media measured (when ../shared/media is there)."""
FPS = 30


# -- sources --------------------------------------------------------------------------------------
def high_bitrate_source(path: Path, width: int, height: int, seconds: int) -> Path:
    """Camera-like H.264 (2 s GOP, B-frames, ~33 Mbit/s at 720p): moving shapes under fresh grain
    every frame, which is what makes real footage expensive to decode."""
    rng = np.random.default_rng(17)
    yy, xx = np.mgrid[0:height, 0:width]
    base = ((xx * 255 // max(1, width - 1) + yy * 64 // max(1, height - 1)) % 256).astype(np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS, options={"crf": "17", "preset": "ultrafast", "bframes": "2"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 2 * FPS
        for i in range(seconds * FPS):
            y = base.copy()
            x0 = (i * width // 90) % width
            y[height // 4 : height // 2, x0 : x0 + width // 6] = 230
            y += rng.integers(-3, 4, size=y.shape, dtype=np.int16)
            yuv = np.empty((height * 3 // 2, width), np.uint8)
            yuv[:height] = np.clip(y, 16, 235)
            yuv[height:] = 128 + rng.integers(-3, 4, size=(height // 2, width), dtype=np.int16)
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


# -- measuring ------------------------------------------------------------------------------------
def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _measure(func: Callable[[], Any], clock: Callable[[], float]) -> tuple[float, float]:
    """(CPU seconds by ``clock``, wall seconds) of one call."""
    c, t = clock(), time.perf_counter()
    func()
    return clock() - c, time.perf_counter() - t


def _median_pairs(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


class _Subject:
    """One source under measurement: its project, livecut's runs and the ffmpeg peer's."""

    def __init__(self, src: Path, work: Path, ffmpeg: str) -> None:
        self.src = src
        self.work = work
        self.ffmpeg = ffmpeg
        p = proj.new_from_media(work / "p.toml", [str(src)])
        self.project = p
        probe = Engine(p, workers=1, store=CellStore(work / "probe-cache"), quality="full")
        self.profile = probe.profile
        clip = p.timeline.clips[0]
        self.frames = clip.length
        probe.close()
        self.n = 0

    def livecut(self, workers: int) -> None:
        """A cold encode of the whole source with ``workers`` workers, one codec thread each."""
        self.n += 1
        store = CellStore(self.work / f"cache-{self.n}")
        with Engine(self.project, workers=workers, codec_threads=1, store=store, quality="full") as eng:
            if not eng.wait_ready(1200):
                raise RuntimeError(f"{self.src.name}: the cold encode did not finish")
        store.clear()

    def peer(self, threads: int) -> None:
        """The ffmpeg CLI doing the same transcode: same frames, size, CRF, preset, all-intra."""
        prof = self.profile
        params = encoder_settings(prof.encoder, prof.crf, prof.preset).options["x264-params"]
        cmd = [
            self.ffmpeg,
            "-v",
            "error",
            "-threads",
            str(threads),
            "-filter_threads",
            str(threads),
            "-i",
            str(self.src),
            "-map",
            "0:v:0",
            "-frames:v",
            str(self.frames),
            "-vf",
            f"fps={self.project.fps},scale={prof.width}:{prof.height}:flags=bilinear,format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            prof.preset,
            "-crf",
            str(prof.crf),
            "-x264-params",
            params,
            "-threads",
            str(threads),
            "-an",
            "-f",
            "mp4",
            "-y",
            str(self.work / "peer.mp4"),
        ]
        subprocess.run(cmd, check=True)

    def decode_only(self) -> None:
        with av.open(str(self.src)) as c:
            stream = c.streams.video[0]
            stream.codec_context.thread_count = 1
            for _ in c.decode(stream):
                pass


def _measure_source(label: str, src: Path, ffmpeg: str, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="livecut-bench-tp-") as tmp:
        s = _Subject(src, Path(tmp), ffmpeg)
        mine1: list[tuple[float, float]] = []
        peer1: list[tuple[float, float]] = []
        dec: list[tuple[float, float]] = []
        for _ in range(runs):  # in alternation, so drift on a shared machine hits both
            mine1.append(_measure(lambda: s.livecut(1), _cpu_self))
            peer1.append(_measure(lambda: s.peer(1), _cpu_children))
            dec.append(_measure(s.decode_only, _cpu_self))
        (m_cpu, _m_wall), (p_cpu, _p_wall), (d_cpu, _d_wall) = (
            _median_pairs(mine1),
            _median_pairs(peer1),
            _median_pairs(dec),
        )
        mbit = src.stat().st_size * 8 / float(s.frames / s.project.fps) / 1e6
        out: dict[str, Any] = {
            "source": f"{label}: {src.name}, {s.frames} frames, {mbit:.0f} Mbit/s → "
            f"{s.profile.width}x{s.profile.height} {s.profile.preset} crf {s.profile.crf} all-intra",
            "cold_encode_cpu_s": figure(m_cpu, "s CPU", runs, "1 worker, 1 codec thread"),
            "ffmpeg_cli_cpu_s": figure(p_cpu, "s CPU", runs, "-threads 1, the same frames and settings"),
            "cold_encode_vs_ffmpeg_cli_cpu": figure(m_cpu / p_cpu, "x", runs, "ffmpeg CLI CPU time (goal ≤ 1.0)"),
            "decode_only_cpu_s": figure(d_cpu, "s CPU", runs, "PyAV decode, 1 thread"),
            "cold_encode_vs_decode_only_cpu": figure(m_cpu / d_cpu, "x", runs, "PyAV decode-only (goal ≤ 1.3)"),
        }
        return out


def _scaling(src: Path, ffmpeg: str, runs: int) -> dict[str, Any]:
    """livecut N workers ÷ 1 against ffmpeg -threads N ÷ 1, wall time, for N up to the cores."""
    out: dict[str, Any] = {}
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="livecut-bench-tp-") as tmp:
        s = _Subject(src, Path(tmp), ffmpeg)
        for n in (2, 4, 8):
            if n > cpus:
                break
            mine: dict[int, list[float]] = {1: [], n: []}
            peer: dict[int, list[float]] = {1: [], n: []}
            for _ in range(runs):  # in alternation
                for k in (1, n):
                    mine[k].append(_measure(lambda k=k: s.livecut(k), _cpu_self)[1])  # type: ignore[misc]
                    peer[k].append(_measure(lambda k=k: s.peer(k), _cpu_children)[1])  # type: ignore[misc]
            gain_mine = statistics.median(mine[1]) / statistics.median(mine[n])
            gain_peer = statistics.median(peer[1]) / statistics.median(peer[n])
            out[f"workers_{n}_vs_1"] = figure(
                gain_mine,
                "x",
                runs,
                f"ffmpeg CLI -threads {n} vs -threads 1, same transcode",
                ffmpeg_gain=round(gain_peer, 3),
                ratio_to_ffmpeg_gain=round(gain_mine / gain_peer, 3),
                goal="ratio_to_ffmpeg_gain ≥ 0.95",
                source=f"{src.name}, {s.frames} frames",
            )
    return out


def _cluster_export(src: Path, runs: int) -> dict[str, Any]:
    """Export time on a Dask LocalCluster of N worker processes against the local pool."""
    try:
        import distributed
    except ImportError:
        return {"cluster_export": "distributed not installed (pip install 'livecut[cluster]')"}
    from core.export.render import ExportOptions, export

    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="livecut-bench-cl-") as tmp:
        d = Path(tmp)
        p = proj.new_from_media(d / "p.toml", [str(src)])
        opts = ExportOptions(height=360, segment_frames=2 * FPS, force=True)
        with distributed.LocalCluster(
            n_workers=cpus, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster:
            local: list[float] = []
            remote: list[float] = []
            for i in range(runs):
                local.append(export(p, d / "l.mp4", opts, store=CellStore(d / f"l{i}")).seconds)
                remote.append(
                    export(
                        p, d / "r.mp4", replace(opts, cluster=cluster.scheduler_address), store=CellStore(d / f"r{i}")
                    ).seconds
                )
        lm, rm = statistics.median(local), statistics.median(remote)
        return {
            "cluster_export_s": figure(
                rm, "s", runs, f"LocalCluster of {cpus} worker processes", local_pool_s=round(lm, 3)
            ),
            "cluster_vs_local_pool": figure(rm / lm, "x", runs, f"local pool of {cpus} workers, same export"),
        }


# -- trimmed clips --------------------------------------------------------------------------------
TRIMS = ((37, 95), (130, 171), (200, 340), (407, 455), (500, 590))
"""Clips of a 20 s source, cut where an editor would: nowhere near a 2 s boundary."""


def _waste(work: Path) -> dict[str, Any]:
    src = make_source(work / "trim.mp4", frames=600, width=640, height=360, fps=FPS, audio=False)
    p = proj.new_from_media(work / "t.toml", [str(src)])
    clips = tuple(Clip(p.timeline.clips[0].media, a, b) for a, b in TRIMS)
    p = replace(p, timeline=Timeline(p.timeline.fps, p.timeline.media, clips))
    with Engine(p, workers=2, store=CellStore(work / "trim-cache"), quality="full") as eng:
        eng.wait_ready(600)
        snap = eng.snapshot()
        encoded = eng.encoded_keys()
        cell_frames = eng.cell_frames
    wanted = {s.key: s.cell.frames for s in snap.segments if s.key}
    frames_encoded = sum(f for k, f in wanted.items() if k in encoded)
    needed = sum(b - a for a, b in TRIMS)

    def grid(size: int) -> int:
        cells = {k for a, b in TRIMS for k in range(a // size, (b - 1) // size + 1)}
        return sum(min(size, 600 - k * size) for k in cells)

    return {
        "frames_encoded_vs_needed": figure(
            frames_encoded / needed,
            "x",
            1,
            f"{len(TRIMS)} trimmed clips of one 20 s source, {cell_frames}-frame cells",
            frames_encoded=frames_encoded,
            frames_needed=needed,
            handles_encoded=len(encoded - wanted.keys()),
            with_1s_cells=round(grid(FPS) / needed, 3),
            with_half_s_cells=round(grid(FPS // 2) / needed, 3),
        )
    }


def run(runs: int = 3) -> dict[str, Any]:
    ffmpeg = ensure_ffmpeg()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="livecut-bench-src-") as tmp:
        d = Path(tmp)
        out["trimmed_timeline"] = _waste(d)
        if ffmpeg is None:
            out["peer"] = "ffmpeg CLI not available: peer not measured"
            return out
        scaling_src = high_bitrate_source(d / "scaling.mp4", 1280, 720, 20)
        out["scaling"] = _scaling(scaling_src, ffmpeg, runs)
        out["cluster"] = _cluster_export(scaling_src, runs)
        for label, w, h, secs in GENERATED:
            src = high_bitrate_source(d / f"{label}.mp4", w, h, secs)
            out[label] = _measure_source(label, src, ffmpeg, runs)
            src.unlink()
        for name in REAL:
            path = SHARED_MEDIA / name
            if path.is_file():
                out[name] = _measure_source("real", path, ffmpeg, runs)
    return out


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=2) + "\n")
