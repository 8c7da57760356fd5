"""Browser preview test set-up: a small project of test-pattern media, the server, and Chromium.

Chromium is Debian's (``make test-tools`` installs it); Playwright drives it through
``executable_path`` because Playwright's own browser download is not used here.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.cells.store import CellStore
from core.engine.engine import Engine
from core.model import project as proj
from core.synthetic.testpattern import make_source, read_index
from core.web.hub import WebHub
from core.web.server import WebServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--autoplay-policy=no-user-gesture-required", "--mute-audio"]
CLIP_FRAMES = 240
"""Each of the two clips: 8 s at 30 fps, so the 16 s timeline is longer than the page's 10 s
forward buffer and the buffer must keep growing while it plays."""


def need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test-tools installs it)")
    pytest.importorskip("playwright.async_api")


@pytest.fixture(scope="session")
def web_project(tmp_path_factory: pytest.TempPathFactory) -> proj.Project:
    d = tmp_path_factory.mktemp("web")
    make_source(d / "a.mp4", frames=CLIP_FRAMES, width=160, height=120, fps=30)
    make_source(d / "b.mp4", frames=CLIP_FRAMES, width=160, height=120, fps=30, tone_hz=660)
    p = proj.new_from_media(d / "p.toml", [str(d / "a.mp4"), str(d / "b.mp4")])
    return proj.save(replace(p, width=320, height=240, preview_height=120, cell_frames=30))


@pytest.fixture(scope="session")
def cells(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cell store for the session: the cells are encoded once."""
    return tmp_path_factory.mktemp("web-cells")


@contextmanager
def serving(project: proj.Project, cells: Path, *, ready: bool = True) -> Iterator[tuple[Engine, WebServer]]:
    """The project's engine (cells encoded when ``ready``) behind a server on a free port."""
    with Engine(project, workers=2, store=CellStore(cells)) as engine:
        if ready:
            assert engine.wait_ready(60)
        server = WebServer(WebHub(engine), port=0)
        server.start()
        try:
            yield engine, server
        finally:
            server.close()


def source_index(project: proj.Project, frame: int) -> int:
    """The test-pattern index timeline ``frame`` shows."""
    found = project.timeline.source_frame(frame)
    assert found is not None
    return found[1]


async def shown_index(page: Any) -> int | None:
    """The index read from the frame the page's <video> shows (drawn onto a canvas)."""
    grabbed = await page.evaluate("livecut.grab()")
    if grabbed is None:
        return None
    rgba = np.frombuffer(base64.b64decode(grabbed["rgba"]), np.uint8).reshape(grabbed["height"], grabbed["width"], 4)
    return read_index(np.ascontiguousarray(rgba[..., :3]))


async def wait_shown(page: Any, expected: int, timeout: float = 10.0) -> int | None:
    """Poll until the picture shows ``expected`` (returns what it last showed)."""
    import asyncio

    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        settled = await page.evaluate("!video.seeking && livecut.state.pendingSeek === null")
        if settled:
            seen = await shown_index(page)
            if seen == expected:
                return seen
        await asyncio.sleep(0.05)
    return seen
