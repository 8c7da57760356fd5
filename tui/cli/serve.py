"""``livecut serve``: the project's preview in a browser (with sound), e.g. at the far end of SSH.

The engine encodes the cells as the editor would; the page plays the assembled stream through
Media Source Extensions with its own transport. The server binds loopback unless ``--bind`` says
otherwise, and every URL carries a random token. It runs until Ctrl-C, which stops the server
and the engine (the port is free again) and exits 130 like every other command.
"""

from __future__ import annotations

import argparse
import sys
import time

from tui.cli.command import Command
from tui.cli.engine_run import start_engine
from tui.cli.output import Progress, UsageError, emit_json, say, warn


def _setup_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("project")
    p.add_argument(
        "--port", type=int, default=8765, help="port to listen on (the next free one if taken; default 8765)"
    )
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument(
        "--max-viewers",
        type=int,
        default=None,
        metavar="N",
        help="pages that may play at once; the next is refused with a message (default 8, or LIVECUT_WEB_MAX_VIEWERS)",
    )
    p.add_argument("--json", action="store_true", help="print the address as JSON")


def cmd_serve(args: argparse.Namespace) -> int:
    from core.web.hub import WebHub
    from core.web.limits import WebLimits, max_viewers_from_env
    from core.web.security import is_loopback
    from core.web.server import WebServer

    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    if args.max_viewers is not None and args.max_viewers < 1:
        raise UsageError("--max-viewers must be at least 1")
    limits = WebLimits(max_viewers=max_viewers_from_env() if args.max_viewers is None else args.max_viewers)
    _project, engine = start_engine(args.project, args.workers, None, Progress(quiet=True))
    try:
        server = WebServer(WebHub(engine), host=args.bind, port=args.port, limits=limits)
        try:
            address = server.start()
        except OSError as exc:
            raise UsageError(f"cannot listen on {args.bind}:{args.port}: {exc}") from exc
        try:
            if not is_loopback(args.bind):
                warn(f"listening on {args.bind}: other machines can reach this preview (the token still guards it)")
            if address.port != args.port:
                warn(f"port {args.port} is taken: using {address.port}")
            if args.json:
                emit_json({"url": address.url, "host": address.host, "port": address.port, "project": args.project})
            else:
                say(address.url)
            sys.stdout.flush()
            while True:
                time.sleep(0.5)
        finally:
            server.close()
    finally:
        engine.close()


COMMAND = Command(
    "serve", "serve the project's preview to a browser (with sound), until Ctrl-C", _setup_serve, cmd_serve
)
