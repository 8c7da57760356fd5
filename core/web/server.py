"""The aiohttp application of the browser preview, and ``WebServer``, which runs it on a thread.

Why aiohttp: HTTP, streaming responses and WebSockets in one maintained asyncio package with no
other server to run; the preview needs exactly a few static assets and one WebSocket.

Every request needs the token (query ``token=…``, or the cookie the page's first load sets):
without it the answer is 403. Only the page's own assets, read from the package once at start,
are served — no path from a request ever reaches the file system.

At most ``WebLimits.max_viewers`` pages hold a stream at once (``core.web.limits``): the next
WebSocket is answered at once with a ``refused`` message the page shows, then closed with the
policy-violation code, before it costs a session, a thread or an engine snapshot.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.typedefs import Handler

from core.web.client import Client
from core.web.hub import WebHub
from core.web.limits import WebLimits, max_viewers_from_env
from core.web.security import is_loopback, new_token, token_matches

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
PORT_TRIES = 50
"""Ports tried from the one asked for when it is taken."""
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "player.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
"""The only files the server answers with (read from ``core/web/static`` at start)."""
HUB_KEY = web.AppKey("hub", WebHub)
LIMITS_KEY = web.AppKey("limits", WebLimits)
REFUSED = (
    "livecut already serves {n} page(s), the most it allows at once: close one of them and reload"
    " this page (livecut serve --max-viewers N, or LIVECUT_WEB_MAX_VIEWERS, allows more)."
)
"""What a page refused by the cap shows."""


def _load_assets() -> dict[str, bytes]:
    folder = resources.files("core.web") / "static"
    return {name: (folder / name).read_bytes() for name in ASSETS}


def build_app(hub: WebHub, token: str, port: int, limits: WebLimits | None = None) -> web.Application:
    """The application: ``/`` (the page), ``/static/NAME`` (its assets) and ``/ws`` (the stream)."""
    assets = _load_assets()
    cookie = f"livecut_token_{port}"

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.query.get("token") or request.cookies.get(cookie)
        if not token_matches(token, given):
            log.warning("refused a request without the token: %s %s", request.method, request.path)
            raise web.HTTPForbidden(text="livecut: this address needs the token printed by livecut\n")
        response: web.StreamResponse = await handler(request)
        if request.query.get("token") and isinstance(response, web.Response):
            response.set_cookie(cookie, token, httponly=True, samesite="Strict")
        return response

    def asset(name: str) -> web.Response:
        return web.Response(
            body=assets[name],
            content_type=ASSETS[name].split(";")[0],
            charset="utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    async def index(_request: web.Request) -> web.Response:
        return asset("index.html")

    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in assets:  # a fixed set: nothing from the request reaches the file system
            raise web.HTTPNotFound()
        return asset(name)

    app = web.Application(middlewares=[require_token])
    app[HUB_KEY] = hub
    app[LIMITS_KEY] = limits or WebLimits()
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/ws", websocket)
    return app


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """One page: hello, segment states, a first session at the transport's frame, then messages."""
    hub, limits = request.app[HUB_KEY], request.app[LIMITS_KEY]
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=64 * 1024)
    await ws.prepare(request)
    if len(hub.clients) >= limits.max_viewers:
        await _refuse(ws, len(hub.clients), limits)
        return ws
    client = Client(ws, hub, limits, request.transport)  # no await between the count and the add
    hub.clients.add(client)
    log.info("page connected (%d open)", len(hub.clients))
    try:
        client.send_later(hub.hello())
        client.send_later(await hub.current_segments())
        transport = hub.transport
        client.send_later(transport.message(seek=False))
        client.restart_later(transport.frame, edit=False)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                try:
                    client.receive(message.data)
                except Exception:  # a page must never take the server down
                    log.exception("page message failed: %.80r", message.data)
            elif message.type == WSMsgType.BINARY:
                log.warning("ignored a binary message from a page (%d bytes)", len(message.data))
            elif message.type == WSMsgType.ERROR:
                log.warning("page connection error: %s", ws.exception())
    finally:
        hub.clients.discard(client)
        client.close()
        log.info("page disconnected (%d open)", len(hub.clients))
        await client.released()
    return ws


async def _refuse(ws: web.WebSocketResponse, open_pages: int, limits: WebLimits) -> None:
    """Tell a page over the cap why it gets no stream, and close its socket."""
    log.warning("refused a page: %d already open, the most allowed", open_pages)
    try:
        async with asyncio.timeout(limits.stall_seconds):
            await ws.send_json({"type": "refused", "reason": REFUSED.format(n=limits.max_viewers)})
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too many pages")
    except (TimeoutError, ConnectionError, RuntimeError) as exc:
        log.info("a refused page went away first: %r", exc)


@dataclass(frozen=True)
class Address:
    """Where the server listens and the URL to print."""

    host: str
    port: int
    token: str

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"


def ssh_host(environ: Mapping[str, str]) -> str:
    """The name to ``ssh`` to for this machine: the server address of the SSH session the editor
    runs in (``SSH_CONNECTION`` = client ip, client port, server ip, server port), else ``HOST``,
    else the host name."""
    parts = environ.get("SSH_CONNECTION", "").split()
    if len(parts) == 4 and parts[2]:
        return parts[2]
    return environ.get("HOST") or socket.gethostname()


def ssh_tunnel(address: Address, environ: Mapping[str, str]) -> str:
    """The exact ``ssh -L`` line that brings this server's port to the user's own machine."""
    return f"ssh -L {address.port}:127.0.0.1:{address.port} {ssh_host(environ)}"


def bind_socket(host: str, port: int, tries: int = PORT_TRIES) -> socket.socket:
    """A listening socket on ``port``, or the next free one (OSError when none of ``tries`` is)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    last: OSError | None = None
    for candidate in range(port, min(port + tries, 65536)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or port == 0:
                raise
            last = exc
            continue
        sock.setblocking(False)
        return sock
    raise last or OSError(errno.EADDRINUSE, f"no free port from {port}")


class WebServer:
    """Runs the browser preview on its own thread and event loop until ``close``."""

    def __init__(
        self,
        hub: WebHub,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        token: str | None = None,
        limits: WebLimits | None = None,
    ):
        """``limits`` (default: ``LIVECUT_WEB_MAX_VIEWERS`` pages, see ``core.web.limits``)."""
        self.hub = hub
        self.limits = limits or WebLimits(max_viewers=max_viewers_from_env())
        self.host = host
        self.wanted_port = port
        self.token = token or new_token()
        self.address: Address | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def start(self, timeout: float = 10.0) -> Address:
        """Bind (the next free port if the one asked for is taken) and serve; returns where.

        Raises OSError when no port can be bound."""
        sock = bind_socket(self.host, self.wanted_port)
        port = sock.getsockname()[1]
        self.address = Address(self.host, port, self.token)
        self._thread = threading.Thread(target=self._run, args=(sock,), name="livecut-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise OSError("the browser preview server did not start")
        if self._error is not None:
            raise OSError(f"the browser preview server failed: {self._error}")
        log.info("browser preview on %s:%d", self.host, port)
        return self.address

    def _run(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(sock))
        except BaseException as exc:
            self._error = exc
            log.exception("the browser preview server stopped on an error")
        finally:
            self.hub.bind(None)
            self._ready.set()
            loop.close()

    async def _serve(self, sock: socket.socket) -> None:
        assert self.address is not None
        self._stop = asyncio.Event()
        app = build_app(self.hub, self.token, self.address.port, self.limits)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.SockSite(runner, sock)
        await site.start()
        self.hub.bind(asyncio.get_running_loop())
        watcher = asyncio.get_running_loop().create_task(self.hub.watch_segments())
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            watcher.cancel()
            for client in list(self.hub.clients):
                await client.disconnect()
            await runner.cleanup()
            sock.close()

    def close(self, timeout: float = 5.0) -> None:
        """Stop serving and release the port (idempotent)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("the browser preview server did not stop within %.0f s", timeout)
