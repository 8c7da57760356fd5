"""``livecut cache``: show, verify or clear the preview and export caches.

``stats`` shows the limit in force and where it came from (``LIVECUT_CACHE_LIMIT``, the config's
``[cache] limit``, or the default) and how it is split between the two stores. ``clear`` also
removes the part files killed exports left beside their outputs (``core.export.leftovers``).
"""

from __future__ import annotations

import argparse
import sys

from tui.cli.command import Command
from tui.cli.output import emit_json, say


def _setup_cache(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["stats", "verify", "clear"])
    p.add_argument("--json", action="store_true")


def cmd_cache(args: argparse.Namespace) -> int:
    from core import locations
    from core.cells.limits import ENV, cache_limits, format_size, parse_size
    from core.cells.store import CellStore, default_cache_dir
    from core.export import leftovers
    from core.export.render import export_store

    raw = locations.cache_limit_text()
    if raw:
        try:
            parse_size(raw)
        except ValueError as exc:
            sys.stderr.write(f"livecut: {ENV} ignored: {exc}\n")
    limits = cache_limits()
    export_cells = export_store()
    export_cells.limit = limits.export  # the split of the limit in force (see core.cells.limits)
    stores = {"preview": CellStore(limit_bytes=limits.preview), "export": export_cells}
    data: dict[str, object] = {}
    if args.action == "stats":
        data["limit"] = {"bytes": limits.total, "source": limits.source}
        if not args.json:
            say(f"limit: {format_size(limits.total)} (from {limits.source}), preview 1/3, export 2/3")
    for name, store in stores.items():
        if args.action == "stats":
            st = store.stats()
            data[name] = {"root": st.root, "entries": st.entries, "bytes": st.bytes, "limit": st.limit}
            line = f"{name}: {st.root}: {st.entries} entries, {format_size(st.bytes)} of {format_size(st.limit)}"
        elif args.action == "verify":
            rep = store.verify()
            data[name] = {"checked": rep.checked, "removed": rep.removed}
            line = f"{name}: {rep.checked} entries checked, {rep.removed} corrupt removed"
        else:
            removed = store.clear()
            data[name] = {"removed": removed}
            line = f"{name}: {removed} entries removed"
        if not args.json:
            say(line)
    if args.action == "clear":
        parts = [p for p in leftovers.clean_known(default_cache_dir()) if p.suffix == ".part"]
        data["leftovers"] = {"removed": [str(p) for p in parts]}
        if not args.json:
            say(f"leftovers: {len(parts)} part files of killed exports removed")
    if args.json:
        emit_json(data)
    return 0


COMMAND = Command("cache", "show, verify or clear the preview and export caches", _setup_cache, cmd_cache)
