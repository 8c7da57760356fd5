"""``livecut cache``: show, verify or clear the preview and export caches."""

from __future__ import annotations

import argparse

from tui.cli.command import Command
from tui.cli.output import emit_json, say


def _setup_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["stats", "verify", "clear"])
    p.add_argument("--json", action="store_true")


def cmd_cache(args: argparse.Namespace) -> int:
    from core.cells.store import CellStore
    from core.export.render import export_store

    stores = {"preview": CellStore(), "export": export_store()}
    data: dict[str, dict[str, object]] = {}
    for name, store in stores.items():
        if args.action == "stats":
            st = store.stats()
            data[name] = {"root": st.root, "entries": st.entries, "bytes": st.bytes, "limit": st.limit}
            line = f"{name}: {st.root}: {st.entries} entries, {st.bytes / 1e6:.1f} MB of {st.limit / 1e9:.1f} GB"
        elif args.action == "verify":
            rep = store.verify()
            data[name] = {"checked": rep.checked, "removed": rep.removed}
            line = f"{name}: {rep.checked} entries checked, {rep.removed} corrupt removed"
        else:
            data[name] = {"removed": store.clear()}
            line = f"{name}: {data[name]['removed']} entries removed"
        if not args.json:
            say(line)
    if args.json:
        emit_json(data)
    return 0


COMMAND = Command("cache", "show, verify or clear the preview and export caches", _setup_cache, cmd_cache)
