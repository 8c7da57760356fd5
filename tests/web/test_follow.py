"""The editor serves the page and the page follows it: seeks, play/pause, and an edit (Pilot).

The editor runs with the real engine and no preview of its own (``--preview none --web``, the
SSH set-up); the page in Chromium must show, frame-exactly, what the editor's playhead shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.model import project as proj
from core.model.timeline import Timeline
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium, wait_shown
from tui.app import LivecutApp
from tui.bridge.bridge import Bridge
from tui.editor.document import Document
from tui.settings.config import Config


def _index(timeline: Timeline, frame: int) -> int:
    found = timeline.source_frame(frame)
    assert found is not None
    return found[1]


@pytest.mark.slow
def test_the_page_follows_the_editor_through_seeks_play_and_a_trim(web_project: proj.Project, tmp_path: Path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright

    async def scenario() -> None:
        app = LivecutApp(
            Document(web_project),
            bridge=Bridge(preview="none", workers=2),
            config=Config(path=tmp_path / "config.toml"),
            check_autosave=False,
            web=True,
            web_port=0,
        )
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                snap = app.editor.bridge.snapshot()
                if app.web_url and snap.segments and snap.ready == len(snap.segments):
                    break
                await pilot.pause(0.1)
            assert app.web_url is not None and "token=" in app.web_url
            await pilot.press("escape")  # the dialog with the URL (--web shows it at start)
            pw = await async_playwright().start()
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                await page.goto(app.web_url)
                await page.wait_for_function("window.livecut && livecut.stats.firstFrameAt !== null", timeout=20000)
                assert await page.locator("#mode").text_content() == "following the editor"

                def shown() -> int:
                    return _index(app.document.project.timeline, app.editor.cursor.playhead)

                for key in ("end", "shift+left", "home", "right", "right"):  # seeks in the editor
                    await pilot.press(key)
                    assert await wait_shown(page, shown()) == shown(), key
                    assert await page.evaluate("livecut.frame()") == app.editor.cursor.playhead

                await pilot.press("l")  # play in the editor: the page plays
                await page.wait_for_function("!video.paused && video.currentTime > 0.5", timeout=10000)
                await pilot.press("k")
                await page.wait_for_function("video.paused", timeout=5000)

                await pilot.press("home")
                await pilot.press("escape")  # no selection: i trims the clip under the playhead
                for _ in range(30):
                    await pilot.press("right")
                before = app.document.project.timeline
                assert await wait_shown(page, shown()) == shown() == 30
                await pilot.press("i")  # trim the clip's start to the playhead: frame 0 now shows source 30
                after = app.document.project.timeline
                assert after != before and after.duration == before.duration - 30
                assert app.editor.cursor.playhead == 0
                assert await wait_shown(page, shown()) == shown() == 30
                assert await page.evaluate("livecut.frame()") == 0
                await page.wait_for_function(f"livecut.state.duration === {after.duration}", timeout=5000)
            finally:
                await browser.close()
                await pw.stop()

    asyncio.run(scenario())


def test_the_palette_entry_serves_the_page_and_the_editor_closes_it(web_project: proj.Project, tmp_path: Path) -> None:
    import aiohttp

    async def scenario() -> None:
        app = LivecutApp(
            Document(web_project),
            bridge=Bridge(preview="none", engine=False),
            config=Config(path=tmp_path / "config.toml"),
            check_autosave=False,
            web_port=0,
        )
        async with app.run_test(size=(120, 40)) as pilot:
            assert "Browser preview" in [c.title for c in app.get_system_commands(app.screen)]
            assert app.web_url is None
            app.action_web_preview()
            await pilot.pause()
            url = app.web_url
            assert url is not None and url == app.editor.bridge.web_url
            async with aiohttp.ClientSession() as http:
                async with http.get(url) as r:
                    assert r.status == 200
                async with http.get(url.split("?")[0]) as r:
                    assert r.status == 403
        async with aiohttp.ClientSession() as http:  # the editor closed: nothing listens any more
            try:
                async with http.get(url) as r:
                    raise AssertionError(f"still served after the editor quit: {r.status}")
            except aiohttp.ClientConnectionError:
                pass

    asyncio.run(scenario())


def test_the_browser_preview_dialog_shows_the_whole_url_and_the_ssh_line_for_its_port(
    web_project: proj.Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#26: the URL was only in a wrapped toast and the hint said ``ssh -L PORT:…``."""
    from textual.widgets import Input

    from tui.screens.web_url import WebUrlScreen

    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 50123 198.51.100.4 22")

    async def scenario() -> None:
        app = LivecutApp(
            Document(web_project),
            bridge=Bridge(preview="none", engine=False),
            config=Config(path=tmp_path / "config.toml"),
            check_autosave=False,
            web_port=0,
        )
        async with app.run_test(size=(80, 24)) as pilot:
            app.action_web_preview()
            await pilot.pause()
            assert isinstance(app.screen, WebUrlScreen)
            address = app.editor.bridge.start_web()  # idempotent: where it already listens
            assert address.port != 0
            url = app.screen.query_one("#url", Input)
            assert url.value == app.web_url == address.url and f"token={address.token}" in url.value
            assert url.region.width >= len(url.value) + 2, "the URL is not shown whole on one line"
            tunnel = app.screen.query_one("#tunnel", Input).value
            assert tunnel == f"ssh -L {address.port}:127.0.0.1:{address.port} 198.51.100.4"
            assert app.clipboard == address.url
            await pilot.press("x")  # the fields are for reading: typing changes nothing
            assert url.value == address.url
            app.save_screenshot(str(tmp_path / "dialog.svg"))
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, WebUrlScreen)

    asyncio.run(scenario())


def test_the_ssh_host_is_the_sessions_server_address_else_host() -> None:
    from core.web.server import ssh_host

    assert ssh_host({"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.9 22", "HOST": "box"}) == "10.0.0.9"
    assert ssh_host({"HOST": "box"}) == "box"
    assert ssh_host({}) != ""


@pytest.mark.slow
def test_the_pages_transport_keys_drive_the_editor_and_it_says_when_it_does_not_follow(
    web_project: proj.Project, tmp_path: Path
) -> None:
    """#26: the page's keys moved only the page, which still said "following the editor"."""
    need_chromium()
    from playwright.async_api import async_playwright

    async def scenario() -> None:
        app = LivecutApp(
            Document(web_project),
            bridge=Bridge(preview="none", workers=2),
            config=Config(path=tmp_path / "config.toml"),
            check_autosave=False,
            web=True,
            web_port=0,
        )
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                snap = app.editor.bridge.snapshot()
                if app.web_url and snap.segments and snap.ready == len(snap.segments):
                    break
                await pilot.pause(0.1)
            assert app.web_url is not None
            await pilot.press("escape")
            ed = app.editor

            async def until(check: Callable[[], bool], what: str) -> None:
                end = time.monotonic() + 10
                while not check():
                    assert time.monotonic() < end, what
                    await pilot.pause(0.05)

            pw = await async_playwright().start()
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                await page.goto(app.web_url)
                await page.wait_for_function("window.livecut && livecut.stats.firstFrameAt !== null", timeout=20000)
                assert await page.locator("#mode").text_content() == "following the editor"

                await page.keyboard.press("ArrowRight")  # the editor's playhead moves, the page follows
                await until(lambda: ed.cursor.playhead == 1, "→ in the page did not move the editor")
                await page.keyboard.press("Shift+ArrowRight")
                await until(lambda: ed.cursor.playhead == 31, "shift+→ in the page")
                await page.wait_for_function("livecut.frame() === 31", timeout=5000)
                await page.keyboard.press(" ")  # space: the editor plays
                await until(lambda: ed.transport.playing, "space in the page did not play the editor")
                await page.keyboard.press("k")
                await until(lambda: not ed.transport.playing, "k in the page did not stop the editor")
                await page.keyboard.press("Home")
                await until(lambda: ed.cursor.playhead == 0, "Home in the page")

                await page.keyboard.press("f")  # its own mode: it says so, and its keys move the page only
                assert await page.locator("#mode").text_content() == "not following: press F to follow"
                await page.keyboard.press("End")
                await page.wait_for_function("livecut.frame() > 0", timeout=5000)
                await pilot.pause(0.3)
                assert ed.cursor.playhead == 0
                await pilot.press("right", "right")  # the editor moves: the page in its own mode stays
                await pilot.pause(0.3)
                assert await page.evaluate("livecut.frame()") == app.document.timeline.duration - 1
                await page.keyboard.press("f")  # follows again: back at the editor's playhead
                assert await page.locator("#mode").text_content() == "following the editor"
                await page.wait_for_function("livecut.frame() === 2", timeout=5000)
            finally:
                await browser.close()
                await pw.stop()

    asyncio.run(scenario())


def test_the_hub_hands_only_transport_keys_of_a_following_page_to_the_editor() -> None:
    from core.web.hub import Driver, WebHub

    class Recorder:
        def __init__(self) -> None:
            self.keys: list[str] = []

        def page_key(self, key: str) -> None:
            self.keys.append(key)

    editor = Recorder()
    _checked: Driver = editor
    WebHub(following=True, driver=editor).page_key("play_pause")
    WebHub(following=True, driver=editor).page_key("delete")  # not a transport key: never an edit
    WebHub(following=False, driver=editor).page_key("stop")  # nothing follows: the page's own
    assert editor.keys == ["play_pause"]
