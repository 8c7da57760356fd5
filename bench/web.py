"""Browser preview figures (issue 11): page load → first frame, edit → new frame, stream bytes/s.

Localhost, cached cells, the demo project, Debian's Chromium driven by Playwright (skipped when
either is missing). The edit path is the editor's: the engine re-plans, then the hub restarts
every page's stream at the playhead (what ``Bridge.set_timeline`` does), and the time runs until
the page has painted a frame whose code band shows the edited source frame. The stream's bytes
per second are what an SSH tunnel carries while the page plays; compare them with
``tui.terminal_bytes_per_s`` (the half-block terminal preview).
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import figure
from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.synthetic.demo import generate_demo
from core.synthetic.testpattern import read_index
from core.web.hub import WebHub
from core.web.server import WebServer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--autoplay-policy=no-user-gesture-required", "--mute-audio"]
FIRST_FRAME = "window.livecut && livecut.stats.firstFrameAt !== null"


async def _index(page: Any) -> int | None:
    g = await page.evaluate("livecut.grab()")
    if g is None:
        return None
    rgba = np.frombuffer(base64.b64decode(g["rgba"]), np.uint8).reshape(g["height"], g["width"], 4)
    return read_index(np.ascontiguousarray(rgba[..., :3]))


async def _measure(url: str, engine: Engine, hub: WebHub, loads: int, edits: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        first_ms = []
        for _ in range(loads):
            page = await browser.new_page()
            await page.goto(url)
            await page.wait_for_function(FIRST_FRAME, timeout=30000)
            first_ms.append(await page.evaluate("livecut.stats.firstFrameAt"))  # since navigation start
            await page.close()

        page = await browser.new_page()
        await page.goto(url)
        await page.wait_for_function(FIRST_FRAME, timeout=30000)
        await asyncio.sleep(0.5)
        sent0, t0 = hub.bytes_sent, time.perf_counter()
        await page.evaluate("livecut.setSpeed(1)")
        await asyncio.sleep(8)
        play_s = time.perf_counter() - t0
        played = await page.evaluate("video.currentTime")
        bytes_per_s = (hub.bytes_sent - sent0) / play_s
        await page.evaluate("livecut.setSpeed(0)")

        timeline = engine.timeline
        edit_ms = []
        for r in range(edits):
            trim = 10 + 7 * r  # frame 0 then shows source frame `trim` of the first clip
            edited = timeline.trim_in(0, trim)
            painted = await page.evaluate("livecut.stats.painted")
            t0 = time.perf_counter()
            engine.set_timeline(edited)
            hub.timeline_changed(0)
            deadline, checked, seen = t0 + 10, t0, None
            while time.perf_counter() < deadline:
                now = await page.evaluate("livecut.stats.painted")
                if now != painted or time.perf_counter() - checked > 0.05:  # a paint, or a slow check
                    painted, checked = now, time.perf_counter()
                    seen = await _index(page)
                    if seen == trim:
                        break
                await asyncio.sleep(0.002)
            else:
                state = await page.evaluate("[livecut.frame(), video.currentTime, video.seeking, livecut.state.sid]")
                raise RuntimeError(f"edit {r}: the page shows frame {seen}, not {trim} ({state})")
            edit_ms.append((time.perf_counter() - t0) * 1000)
        await browser.close()
    return {
        "page_load_to_first_frame_ms": figure(statistics.median(first_ms), "ms", loads, goal="<= 500", all=first_ms),
        "edit_to_new_frame_ms": figure(
            statistics.median(edit_ms), "ms", edits, goal="<= 250 median", max=round(max(edit_ms), 1)
        ),
        "stream_bytes_per_s": figure(
            bytes_per_s,
            "B/s",
            1,
            compared_with="tui.terminal_bytes_per_s (half-block terminal preview)",
            played_s=round(played, 2),
        ),
    }


def run(loads: int = 5, edits: int = 9) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        return {"skipped": "Debian's chromium is not installed (make test-tools)"}
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return {"skipped": "playwright is not installed (pip install -e '.[dev]')"}
    with tempfile.TemporaryDirectory(prefix="livecut-bench-web-") as tmp:
        d = Path(tmp)
        clips = generate_demo(d / "media")
        project = proj.new_from_media(d / "demo.toml", [str(c) for c in clips])
        with Engine(project, workers=2, store=CellStore(d / "cache")) as engine:
            engine.wait_ready(600)
            hub = WebHub(engine, following=True)
            server = WebServer(hub, port=0)
            address = server.start()
            try:
                out = asyncio.run(_measure(address.url, engine, hub, loads, edits))
            finally:
                server.close()
        out["preview_height"] = project.preview_height
        return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
