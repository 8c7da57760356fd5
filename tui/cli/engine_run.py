"""The engine as the headless commands drive it: load the project, start, report progress.

``encode`` and ``preview`` share this; both use only the engine's public face
(``snapshot``, ``stats``, ``wait_ready``), never its scheduler or profile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.cli.output import Progress, bar, check_workers

if TYPE_CHECKING:
    from core.engine import Engine
    from core.model import Project


def start_engine(
    project_path: str, workers: int | None, encoder: str | None, progress: Progress, cluster: str | None = None
) -> tuple[Project, Engine]:
    """Load ``project_path`` and start its engine; progress lines follow every engine event."""
    from core.engine import Engine
    from core.model import project as proj

    check_workers(workers)
    project = proj.load(project_path)
    holder: list[Engine] = []
    engine = Engine(
        project,
        workers=workers,
        encoder=encoder,
        on_event=lambda _e: progress.show(status(holder[0])) if holder else None,
        cluster=cluster,
    )
    holder.append(engine)
    return project, engine


def status(engine: Engine) -> str:
    snap = engine.snapshot()
    return f"{bar(snap.ready, snap.total)} {snap.summary()}"
