"""``python -m tui.cli``: the same entry point as the ``livecut`` script."""

from __future__ import annotations

from tui.cli.main import main

raise SystemExit(main())
