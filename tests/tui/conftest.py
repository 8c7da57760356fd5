"""Builders for the TUI tests: projects made of values (no files) or of tiny generated media.

Apps under test never start the real engine or libmpv: they get a ``Bridge(engine=False)`` or a
``SyntheticBridge`` that serves a hand-made snapshot, so tests and snapshots are deterministic.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from core.cells.plan import PlanSettings, SegmentState, plan
from core.media.info import AudioInfo, MediaInfo, VideoInfo
from core.model.project import Project
from core.model.timeline import Clip, MediaRef, Timeline
from core.modes import VideoOutput
from core.preview.seam import SnapshotView
from core.synthetic.testpattern import make_source
from tui.app import LivecutApp
from tui.bridge.bridge import Bridge
from tui.bridge.snapshot import StaticSnapshot
from tui.editor.document import Document
from tui.settings.config import Config


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests (Pilot) on a fresh event loop; no asyncio plugin is installed."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


FPS = Fraction(30)
FAKE_CONFIG = Path("/home/editor/.config/livecut/config.toml")
"""A stable config path for screens that show it (snapshots); nothing is written there."""


def media_info(name: str, seconds: float, width: int = 1920, height: int = 1080, fps: Fraction = FPS) -> MediaInfo:
    video = VideoInfo("h264", width, height, "yuv420p", fps, round(seconds * fps), 0, Fraction(0))
    return MediaInfo(
        Path(f"/media/{name}"),
        1_000_000,
        "mov,mp4",
        Fraction(seconds).limit_denominator(1000),
        video,
        AudioInfo("aac", 48000, 2, Fraction(0)),
    )


def ref(
    mid: str,
    name: str,
    seconds: float = 12,
    width: int = 1920,
    height: int = 1080,
    fps: Fraction = FPS,
    online: bool = True,
) -> MediaRef:
    path = Path(f"/media/{name}")
    if not online:
        return MediaRef(mid, name, path, None, "file not found")
    return MediaRef(mid, name, path, media_info(name, seconds, width, height, fps))


def demo_like() -> Project:
    """The demo project's shape with made-up media facts (no files needed)."""
    media = (
        ref("a", "a.mp4", 12),
        ref("b", "b.mp4", 10, 1280, 720, Fraction(25)),
        ref("c", "c.mp4", 10, 640, 480, Fraction(24000, 1001)),
    )
    clips = (
        Clip("a", 0, 120),
        Clip("b", 30, 120),
        Clip("c", 60, 150),
        Clip("a", 60, 120),
        Clip("b", 150, 270),
        Clip("c", 0, 75),
    )
    return Project("demo", Timeline(FPS, media, clips), path=Path("/projects/demo.toml"))


def three_clips() -> Project:
    """Clips of 60, 90 and 30 frames (starts 0, 60, 150; duration 180) from 300-frame media."""
    media = (ref("a", "a.mp4", 10), ref("b", "b.mp4", 10))
    clips = (Clip("a", 0, 60), Clip("b", 100, 190), Clip("a", 200, 230))
    return Project("three", Timeline(FPS, media, clips))


def synthetic_snapshot(
    timeline: Timeline,
    cell_frames: int = 60,
    states: dict[int, SegmentState] | None = None,
    progress: dict[int, float] | None = None,
    errors: dict[int, str] | None = None,
    encoder: str = "libx264",
    size: int = 14_200_000,
) -> StaticSnapshot:
    """The timeline's segments with chosen states (default ready), as the engine would report them."""
    segments = tuple(plan(timeline, PlanSettings(cell_frames, "test"), lambda r: r.id))
    chosen = states or {}
    st = tuple(SegmentState.OFFLINE if s.offline else chosen.get(i, SegmentState.READY) for i, s in enumerate(segments))
    prog = tuple((progress or {}).get(i, 1.0 if x == SegmentState.READY else 0.0) for i, x in enumerate(st))
    errs = {segments[i].key: text for i, text in (errors or {}).items()}
    return StaticSnapshot(
        segments, st, prog, st.count(SegmentState.READY), st.count(SegmentState.ENCODING), size, encoder, errs
    )


class SyntheticBridge(Bridge):
    """A bridge with no engine that reports a given snapshot and preview mode."""

    def __init__(self, make: Callable[[Timeline], SnapshotView], mode: VideoOutput = "terminal") -> None:
        super().__init__(preview="none", engine=False)
        self._make = make
        self._mode: VideoOutput = mode

    def open(self, project: Project, frame_size: tuple[int, int]) -> None:
        super().open(project, frame_size)
        self.mode, self.status = self._mode, ""

    def snapshot(self) -> SnapshotView:
        return self._make(self._timeline) if self._timeline is not None else StaticSnapshot()


def make_app(
    project: Project | Document, *, bridge: Bridge | None = None, config: Config | None = None, **kwargs: Any
) -> LivecutApp:
    document = project if isinstance(project, Document) else Document(project)
    return LivecutApp(
        document,
        bridge=bridge or Bridge(preview="none", engine=False),
        config=config or Config(path=FAKE_CONFIG),
        **kwargs,
    )


@pytest.fixture(scope="session")
def tiny_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three small real files (3 s each at 30, 25 and 24000/1001 fps) and a file that is not media."""
    folder = tmp_path_factory.mktemp("media")
    files = {
        "a": make_source(folder / "a.mp4", frames=90, width=64, height=48, fps=30, audio=False),
        "b": make_source(folder / "b.mp4", frames=75, width=64, height=36, fps=25, audio=False),
        "c": make_source(folder / "c.mp4", frames=72, width=48, height=36, fps="24000/1001", audio=False),
    }
    bad = folder / "notes.mp4"
    bad.write_text("this is not a video\n")
    files["bad"] = bad
    return files
