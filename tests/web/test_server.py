"""The server without a browser: the token, the assets only, malformed page messages, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from core.model import project as proj
from core.web.security import is_loopback
from tests.web.conftest import serving


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.org")


def test_a_taken_port_moves_to_the_next_free_one() -> None:
    from core.web.hub import WebHub
    from core.web.server import WebServer

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = WebServer(WebHub(), port=port)
        try:
            address = server.start()
            assert address.port != port and address.port > port
            assert address.url == f"http://127.0.0.1:{address.port}/?token={server.token}"
        finally:
            server.close()
    assert _free(address.port)


def test_every_request_needs_the_token(web_project: proj.Project, cells: Path) -> None:
    with serving(web_project, cells, ready=False) as (_engine, server):
        assert server.address is not None
        base = f"http://127.0.0.1:{server.address.port}"
        token = server.token

        async def check() -> None:
            # unsafe: the jar keeps cookies of IP-address hosts, as a browser does
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                for path in ("/", "/static/player.js", "/ws", "/?token=wrong", "/static/style.css?token="):
                    async with http.get(base + path) as r:
                        assert r.status == 403, path
                async with http.get(f"{base}/?token={token}") as r:
                    assert r.status == 200
                    assert "player.js" in await r.text()
                # the cookie set by the page's load lets its assets load without the query
                async with http.get(f"{base}/static/player.js") as r:
                    assert r.status == 200
            async with aiohttp.ClientSession() as http:
                for path in (
                    "/static/../../../../etc/passwd",
                    "/static/%2e%2e%2fcore%2fweb%2fserver.py",
                    "/etc/passwd",
                ):
                    async with http.get(f"{base}{path}?token={token}") as r:
                        assert r.status in (403, 404), path
                        assert "root:" not in await r.text()

        asyncio.run(check())


def test_malformed_page_messages_are_ignored_and_the_stream_goes_on(
    web_project: proj.Project, cells: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core.web")
    with serving(web_project, cells) as (_engine, server):
        assert server.address is not None
        url = f"ws://127.0.0.1:{server.address.port}/ws?token={server.token}"

        async def talk() -> None:
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
                kinds = []
                while "session" not in kinds:
                    kinds.append(json.loads((await ws.receive(timeout=10)).data)["type"])
                assert kinds[0] == "hello"
                for bad in (
                    "not json",
                    "[1, 2]",
                    '{"type": "seek", "frame": "x"}',
                    '{"type": "seek", "frame": -5}',
                    '{"type": "rm -rf", "frame": 1}',
                    '{"frame": true, "type": "pos"}',
                    "{}" * 1000,
                ):
                    await ws.send_str(bad)
                await ws.send_bytes(b"\x00\x01")
                await ws.send_str(json.dumps({"type": "seek", "frame": 300}))
                sid, got = None, 0
                while got < 2000:  # a new session's header, then its bytes
                    msg = await ws.receive(timeout=10)
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        data = json.loads(msg.data)
                        if data["type"] == "session":
                            sid = data["id"]
                            assert data["frame"] == 300 and data["start"] <= 300
                    elif msg.type == aiohttp.WSMsgType.BINARY and sid is not None:
                        if int.from_bytes(msg.data[:4], "big") == sid:
                            got += len(msg.data) - 4
                    else:
                        assert msg.type == aiohttp.WSMsgType.BINARY, msg
                assert sid is not None and sid >= 2

        asyncio.run(talk())
    assert sum("ignored a malformed page message" in r.getMessage() for r in caplog.records) >= 6
    assert any("ignored a binary message" in r.getMessage() for r in caplog.records)


def _free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.slow
def test_serve_prints_a_url_and_ctrl_c_exits_130_and_frees_the_port(web_project: proj.Project) -> None:
    assert web_project.path is not None
    child = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "serve", str(web_project.path), "--port", "0", "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "token=" in url, url
        port = int(url.split(":")[2].split("/")[0])

        async def watch_then_interrupt() -> tuple[int, int]:
            """A page is connected and streaming when Ctrl-C comes."""
            async with aiohttp.ClientSession() as http:
                async with http.get(url) as r:
                    status = r.status
                ws_url = url.replace("http://", "ws://").replace("/?token=", "/ws?token=")
                async with http.ws_connect(ws_url) as ws:
                    while (await ws.receive(timeout=30)).type != aiohttp.WSMsgType.BINARY:
                        pass
                    assert not _free(port)
                    child.send_signal(signal.SIGINT)
                    code = await asyncio.to_thread(child.wait, 30)
            return status, code

        status, code = asyncio.run(watch_then_interrupt())
        assert status == 200
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read() if child.stderr else ""
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert _free(port)


def test_serve_warns_when_binding_beyond_loopback(web_project: proj.Project) -> None:
    assert web_project.path is not None
    child = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "serve", str(web_project.path), "--port", "0", "--bind", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        url = child.stdout.readline()
        assert "0.0.0.0" in url
        child.send_signal(signal.SIGINT)
        child.wait(30)
        assert "other machines can reach" in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
