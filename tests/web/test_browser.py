"""The page in a real Chromium: it buffers and plays with sound, and seeks are frame-exact.

Frame-exact means the picture drawn from the <video> onto a canvas carries the test pattern's
code band of the expected source frame, not merely that something changed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from core.model import project as proj
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving, source_index, wait_shown

pytestmark = pytest.mark.slow


async def _open(url: str) -> tuple[Any, Any, Any]:
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = await browser.new_page()
    await page.goto(url)
    await page.wait_for_function("window.livecut && window.livecut.stats.firstFrameAt !== null", timeout=20000)
    return pw, browser, page


def test_page_buffers_and_plays_with_sound(web_project: proj.Project, cells: Path) -> None:
    need_chromium()
    with serving(web_project, cells) as (_engine, server):
        assert server.address is not None
        url = server.address.url

        async def scenario() -> None:
            pw, browser, page = await _open(url)
            try:
                assert "mp4a" in await page.evaluate("livecut.state.codecs")
                ends = [await page.evaluate("video.buffered.length ? video.buffered.end(0) : 0")]
                await page.keyboard.press("l")
                for _ in range(30):
                    await asyncio.sleep(0.1)
                    ends.append(await page.evaluate("video.buffered.length ? video.buffered.end(0) : 0"))
                state = await page.evaluate(
                    "({t: video.currentTime, paused: video.paused, audio: video.webkitAudioDecodedByteCount,"
                    " start: video.buffered.start(0)})"
                )
                assert state["t"] > 1.0 and not state["paused"]
                assert state["audio"] > 0  # an audio track was decoded
                assert ends[-1] > ends[0]  # the buffer kept growing while it played
                assert ends[0] < 16.0 - 1  # and was bounded ahead of the playhead at first
                assert sorted(ends) == ends
                await page.keyboard.press("k")
                t1 = await page.evaluate("video.currentTime")
                await asyncio.sleep(0.3)
                assert await page.evaluate("video.paused") and await page.evaluate("video.currentTime") == t1
            finally:
                await browser.close()
                await pw.stop()

        asyncio.run(scenario())


def test_page_seeks_are_frame_exact(web_project: proj.Project, cells: Path) -> None:
    need_chromium()
    with serving(web_project, cells) as (_engine, server):
        assert server.address is not None
        url = server.address.url
        last = web_project.timeline.duration - 1

        async def scenario() -> None:
            pw, browser, page = await _open(url)
            try:
                assert await wait_shown(page, source_index(web_project, 0)) == source_index(web_project, 0)
                steps: list[tuple[str, int]] = [
                    ("ArrowRight", 1),
                    ("ArrowRight", 2),
                    ("Shift+ArrowRight", 32),
                    ("ArrowLeft", 31),
                    ("End", last),  # beyond the buffered 10 s: a new session there
                    ("Shift+ArrowLeft", last - 30),
                    ("Home", 0),
                ]
                for key, frame in steps:
                    await page.keyboard.press(key)
                    expected = source_index(web_project, frame)
                    assert await wait_shown(page, expected) == expected, key
                    assert await page.evaluate("livecut.frame()") == frame
                    assert await page.evaluate("document.getElementById('timecode').textContent") == (
                        f"00:00:{frame // 30:02d}:{frame % 30:02d}"
                    )
                await page.keyboard.press("j")  # backwards from the start: stays at frame 0, paused
                await asyncio.sleep(0.3)
                assert await page.evaluate("[livecut.frame(), livecut.state.speed]") == [0, 0]
                await page.evaluate("livecut.seek(200)")
                await wait_shown(page, source_index(web_project, 200))
                await page.keyboard.press("j")  # plays backwards
                await page.wait_for_function("livecut.frame() < 185", timeout=5000)
                await page.keyboard.press("k")
                for frame in (300, 241, 17):  # by the page's seek (far, then inside what it holds)
                    await page.evaluate(f"livecut.seek({frame})")
                    expected = source_index(web_project, frame)
                    assert await wait_shown(page, expected) == expected, frame
                # a click on the segment bar seeks there
                box = await page.locator("#bar").bounding_box()
                assert box is not None
                await page.locator("#bar").click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
                frame = await page.evaluate("livecut.frame()")
                assert abs(frame - round(0.75 * web_project.timeline.duration)) <= 2
                expected = source_index(web_project, frame)
                assert await wait_shown(page, expected) == expected
                states = await page.evaluate("livecut.state.segs.map(s => s[2])")
                assert states and set(states) == {"ready"}
            finally:
                await browser.close()
                await pw.stop()

        asyncio.run(scenario())


def test_several_tabs_watch_at_once_and_seek_on_their_own(web_project: proj.Project, cells: Path) -> None:
    need_chromium()
    with serving(web_project, cells) as (_engine, server):
        assert server.address is not None
        url = server.address.url

        async def scenario() -> None:
            pw, browser, first = await _open(url)
            try:
                second = await browser.new_page()
                await second.goto(url)
                await second.wait_for_function("livecut.stats.firstFrameAt !== null", timeout=20000)
                await first.evaluate("livecut.seek(400)")
                await second.evaluate("livecut.seek(100)")
                for page, frame in ((first, 400), (second, 100)):
                    expected = source_index(web_project, frame)
                    assert await wait_shown(page, expected) == expected
                assert len(server.hub.clients) == 2
            finally:
                await browser.close()
                await pw.stop()

        asyncio.run(scenario())
