"""The server under many clients (#31): a cap with a refusal, bounded memory and threads that are
given back, coalesced seeks, and a page that stops reading dropped.

Everything runs in this process on 127.0.0.1 (the server on its thread, the clients on the test's
loop), so the RSS and the thread count measured here cover both sides; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from core.model import project as proj
from core.web.client import SETTLE_MAX_SECONDS, Client
from core.web.limits import MAX_VIEWERS, WebLimits
from core.web.server import WebServer
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, need_chromium, serving

CLIENTS = 300
RSS_GROWTH_MB = 500
PAGE_LOAD_SECONDS = 2.0


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def ws_url(server: WebServer) -> str:
    assert server.address is not None
    return f"ws://127.0.0.1:{server.address.port}/ws?token={server.token}"


async def settle(expected: int, timeout: float = 20.0) -> int:
    """Wait until at most ``expected`` threads run; returns the count seen last."""
    deadline = time.monotonic() + timeout
    while threading.active_count() > expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return threading.active_count()


async def gone(server: WebServer, timeout: float = 20.0) -> None:
    """Wait until the server has no page left."""
    deadline = time.monotonic() + timeout
    while server.hub.clients and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def first_media(http: aiohttp.ClientSession, url: str) -> float:
    """Seconds from asking for the page's socket to its first stream bytes (then it closes)."""
    t0 = time.monotonic()
    async with http.ws_connect(url) as ws:
        while True:
            msg = await ws.receive(timeout=10)
            assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
            if msg.type == aiohttp.WSMsgType.BINARY:
                return time.monotonic() - t0
            assert json.loads(msg.data)["type"] != "refused"


@dataclass
class Outcome:
    kind: str
    """"stream" (got stream bytes), "refused" (got the refusal) or what else happened."""
    seconds: float
    reason: str = ""
    close_code: int | None = None


@pytest.mark.slow
def test_300_clients_get_8_streams_and_292_refusals_and_everything_is_given_back(
    web_project: proj.Project, cells: Path
) -> None:
    with serving(web_project, cells) as (_engine, server):
        assert server.limits.max_viewers == MAX_VIEWERS == 8
        url = ws_url(server)
        assert server.address is not None
        page = server.address.url

        async def scenario() -> dict[str, float]:
            figures: dict[str, float] = {}
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                await first_media(http, url)  # warm up: pools, caches, the first session
                await gone(server)
                await asyncio.sleep(0.5)
                threads0, rss0 = threading.active_count(), rss_mb()
                peak = [rss0]
                viewers: list[aiohttp.ClientWebSocketResponse] = []
                stop = asyncio.Event()

                async def watch_memory() -> None:
                    while not stop.is_set():
                        peak[0] = max(peak[0], rss_mb())
                        await asyncio.sleep(0.02)

                async def keep_reading(ws: aiohttp.ClientWebSocketResponse) -> None:
                    while not stop.is_set() and (await ws.receive()).type in (
                        aiohttp.WSMsgType.TEXT,
                        aiohttp.WSMsgType.BINARY,
                    ):
                        pass

                readers: list[asyncio.Task[None]] = []

                async def one() -> Outcome:
                    t0 = time.monotonic()
                    ws = await http.ws_connect(url)
                    while True:
                        msg = await ws.receive(timeout=30)
                        if msg.type == aiohttp.WSMsgType.BINARY:
                            viewers.append(ws)
                            readers.append(asyncio.create_task(keep_reading(ws)))
                            return Outcome("stream", time.monotonic() - t0)
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            return Outcome(str(msg.type), time.monotonic() - t0)
                        data = json.loads(msg.data)
                        if data["type"] == "refused":
                            seconds = time.monotonic() - t0
                            closing = await ws.receive(timeout=10)
                            await ws.close()
                            return Outcome("refused", seconds, data["reason"], closing.data)

                watcher = asyncio.create_task(watch_memory())
                t0 = time.monotonic()
                outcomes = await asyncio.gather(*(one() for _ in range(CLIENTS)))
                figures["all answered s"] = time.monotonic() - t0
                # the server still answers a page's load while the viewers play
                t1 = time.monotonic()
                async with http.get(page) as r:
                    assert r.status == 200 and "player.js" in await r.text()
                figures["page under load s"] = time.monotonic() - t1
                await asyncio.sleep(1.0)  # the viewers stream on
                stop.set()
                await watcher
                figures["rss growth MB"] = peak[0] - rss0
                figures["threads at peak"] = threading.active_count() - threads0

                streams = [o for o in outcomes if o.kind == "stream"]
                refused = [o for o in outcomes if o.kind == "refused"]
                assert len(streams) == 8, [o.kind for o in outcomes if o.kind not in ("stream", "refused")]
                assert len(refused) == CLIENTS - 8
                assert all("the most it allows" in o.reason and "--max-viewers" in o.reason for o in refused)
                assert {o.close_code for o in refused} == {1008}  # policy violation
                figures["slowest refusal s"] = max(o.seconds for o in refused)
                figures["slowest stream s"] = max(o.seconds for o in streams)
                assert peak[0] - rss0 <= RSS_GROWTH_MB

                for ws in viewers:
                    await ws.close()
                for task in readers:
                    task.cancel()
                await gone(server)
                assert not server.hub.clients
                threads1 = await settle(threads0 + 2)
                figures["threads after"] = threads1 - threads0
                assert threads1 <= threads0 + 2, [t.name for t in threading.enumerate()]
                figures["rss after MB"] = rss_mb() - rss0
                assert rss_mb() - rss0 <= 100

                # and a normal page loads at once: its HTML, then its first stream bytes
                t2 = time.monotonic()
                async with http.get(page) as r:
                    assert r.status == 200
                figures["page load s"] = time.monotonic() - t2 + await first_media(http, url)
                assert figures["page load s"] < PAGE_LOAD_SECONDS
            return figures

        figures = asyncio.run(scenario())
    print("\n" + ", ".join(f"{k}: {v:.2f}" for k, v in figures.items()))


@pytest.mark.slow
def test_a_burst_of_2000_seeks_starts_few_sessions_and_the_latest_one_plays(
    web_project: proj.Project, cells: Path
) -> None:
    with serving(web_project, cells) as (_engine, server):
        url = ws_url(server)
        duration = web_project.timeline.duration
        last = 333

        async def scenario() -> tuple[int, float, int]:
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
                while (await ws.receive(timeout=10)).type != aiohttp.WSMsgType.BINARY:
                    pass
                threads0 = threading.active_count()
                frames = [(i * 37) % duration for i in range(1999)] + [last]
                t0 = time.monotonic()
                for frame in frames:
                    await ws.send_str(json.dumps({"type": "seek", "frame": frame}))
                sessions, sid, most_threads = 0, None, threads0
                while True:
                    most_threads = max(most_threads, threading.active_count())
                    msg = await ws.receive(timeout=10)
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        data = json.loads(msg.data)
                        if data["type"] == "session":
                            sessions += 1
                            sid = data["id"] if data["frame"] == last else None
                    elif msg.type == aiohttp.WSMsgType.BINARY:
                        if sid is not None and int.from_bytes(msg.data[:4], "big") == sid:
                            break
                    else:
                        raise AssertionError(msg)
                seconds = time.monotonic() - t0
                (client,) = server.hub.clients
                assert isinstance(client, Client)
                assert client.frame == last
                return sessions, seconds, most_threads - threads0

        sessions, seconds, extra_threads = asyncio.run(scenario())
    # seeks settle before a session starts: at most one session per SETTLE_MAX_SECONDS of the
    # burst (however slowly a loaded machine reads it), never one per seek
    assert sessions <= max(20, seconds / SETTLE_MAX_SECONDS + 2), (sessions, seconds)
    assert extra_threads <= 20, extra_threads
    print(f"\n2000 seeks: {sessions} sessions, latest playing after {seconds:.2f} s, +{extra_threads} threads")


def _stalled_socket(server: WebServer) -> socket.socket:
    """A WebSocket that never reads: a tiny receive buffer, the handshake, then silence."""
    assert server.address is not None
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.address.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws?token={server.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _masked_text(text: str) -> bytes:
    """One client-to-server text frame (clients must mask)."""
    payload = text.encode()
    mask = os.urandom(4)
    assert len(payload) < 126
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


@pytest.mark.slow
def test_a_page_that_stops_reading_is_dropped_and_its_session_released(
    web_project: proj.Project, cells: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core.web")
    from core.cells.store import CellStore
    from core.engine.engine import Engine
    from core.web.hub import WebHub

    with Engine(web_project, workers=2, store=CellStore(cells)) as engine:
        assert engine.wait_ready(60)
        threads0 = threading.active_count()
        server = WebServer(WebHub(engine), port=0, limits=WebLimits(stall_seconds=1.0))
        server.start()
        try:
            sock = _stalled_socket(server)
            try:
                # its playhead at the end: the whole stream is due to it, and it takes none of it;
                # each seek back to 0 is the whole stream again, until the socket's buffers are full
                sock.sendall(_masked_text(json.dumps({"type": "pos", "frame": web_project.timeline.duration})))
                deadline = time.monotonic() + 30
                dropped = False
                while time.monotonic() < deadline and not dropped:
                    if server.hub.clients:
                        sock.sendall(_masked_text(json.dumps({"type": "seek", "frame": 0})))
                    time.sleep(0.25)
                    dropped = not server.hub.clients and threading.active_count() <= threads0 + 3
                assert dropped, (len(server.hub.clients), threading.active_count() - threads0)
            finally:
                sock.close()
            # and the server serves the next page as before
            url = ws_url(server)

            async def next_page() -> float:
                async with aiohttp.ClientSession() as http:
                    return await first_media(http, url)

            assert asyncio.run(next_page()) < 10
            assert any("dropped a page that stopped reading" in r.getMessage() for r in caplog.records)
        finally:
            server.close()


@pytest.mark.slow
def test_a_refused_page_shows_why_and_does_not_retry(web_project: proj.Project, cells: Path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright

    from core.cells.store import CellStore
    from core.engine.engine import Engine
    from core.web.hub import WebHub

    with Engine(web_project, workers=2, store=CellStore(cells)) as engine:
        assert engine.wait_ready(60)
        server = WebServer(WebHub(engine), port=0, limits=WebLimits(max_viewers=1))
        server.start()
        try:
            assert server.address is not None
            url, page_url = ws_url(server), server.address.url

            async def scenario() -> None:
                async with aiohttp.ClientSession() as http, http.ws_connect(url) as viewer:
                    while (await viewer.receive(timeout=10)).type != aiohttp.WSMsgType.BINARY:
                        pass
                    pw = await async_playwright().start()
                    browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    try:
                        page = await browser.new_page()
                        await page.goto(page_url)
                        await page.wait_for_function("window.livecut && livecut.state.refused", timeout=10000)
                        message = page.locator("#message")
                        assert await message.is_visible()
                        assert "the most it allows" in (await message.text_content() or "")
                        await asyncio.sleep(2.5)  # longer than the page's reconnect delay
                        assert "retrying" not in (await message.text_content() or "")
                        assert len(server.hub.clients) == 1
                    finally:
                        await browser.close()
                        await pw.stop()

            asyncio.run(scenario())
        finally:
            server.close()


def test_the_cap_comes_from_the_environment_and_a_typo_is_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.web.hub import WebHub
    from core.web.limits import MAX_VIEWERS_ENV, max_viewers_from_env

    monkeypatch.delenv(MAX_VIEWERS_ENV, raising=False)
    assert max_viewers_from_env() == 8
    monkeypatch.setenv(MAX_VIEWERS_ENV, "3")
    assert max_viewers_from_env() == 3
    assert WebServer(WebHub(), port=0).limits.max_viewers == 3  # the editor's --web server too
    monkeypatch.setenv(MAX_VIEWERS_ENV, "lots")
    assert max_viewers_from_env() == 8
    monkeypatch.setenv(MAX_VIEWERS_ENV, "0")
    assert max_viewers_from_env() == 1
    with pytest.raises(ValueError):
        WebLimits(max_viewers=0)


@pytest.mark.slow
def test_serve_max_viewers_caps_the_pages(web_project: proj.Project) -> None:
    import signal
    import subprocess
    import sys

    assert web_project.path is not None
    bad = subprocess.run(
        [sys.executable, "-m", "tui.cli", "serve", str(web_project.path), "--max-viewers", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--max-viewers" in bad.stderr
    child = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "serve", str(web_project.path), "--port", "0", "--max-viewers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LIVECUT_WEB_MAX_VIEWERS": "5"},  # the option wins
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip().replace("http://", "ws://").replace("/?token=", "/ws?token=")

        async def two_pages() -> str:
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as first:
                while (await first.receive(timeout=30)).type != aiohttp.WSMsgType.BINARY:
                    pass
                async with http.ws_connect(url) as second:
                    while True:
                        data = json.loads((await second.receive(timeout=10)).data)
                        if data["type"] == "refused":
                            return str(data["reason"])

        assert "the most it allows" in asyncio.run(two_pages())
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
