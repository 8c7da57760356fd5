"""``python -m bench`` (or ``make bench``): run every benchmark, print ONE JSON document."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from typing import Any

from bench import (
    cells,
    edits,
    engine,
    export,
    fingerprint,
    graphics,
    memory,
    player,
    project_save,
    quality,
    real_media,
    shared_cache,
    smart_export,
    stream,
    throughput,
    tui,
    web,
)


def main() -> int:
    started = time.time()
    doc: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "cells": cells.run(),
        "throughput": throughput.run(),
        "stream": stream.run(),
        "player": player.run(),
        "engine": engine.run(),
        "export": export.run(),
        "smart_export": smart_export.run(),
        "tui": tui.run(),
        "edits": edits.run(),
        "graphics": graphics.run(),
        "memory": memory.run(),
        "fingerprint": fingerprint.run(),
        "shared_cache": shared_cache.run(),
        "web": web.run(),
        "real_media": real_media.run(),
        "quality": quality.run(),
        "project_save": project_save.run(),
    }
    doc["total_seconds"] = round(time.time() - started, 1)
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
