"""The demo media: three short clips anyone can edit without bringing their own footage.

Why this module is shaped so
----------------------------
The README, the example projects and the end-to-end tests all need real-looking media with
*different* sizes and frame rates (so conform, scaling and the cell grid are exercised), and
pictures that make an editing mistake visible: every frame shows its number large and carries
the machine-readable code of :mod:`core.synthetic.testpattern`, and each clip has its own tone, so a
wrong frame or a wrong clip is seen and heard at once.

Generation must be cheap enough to run on first launch: the three clips are written in parallel
threads (PyAV releases the GIL inside codec calls) with x264 ``ultrafast``; on a 2-core machine
the whole set takes a few seconds. Existing valid files are kept, so a second call only probes.
Each file is written under a temporary name and renamed into place (by
:func:`core.synthetic.testpattern.make_source`), so Ctrl-C never leaves a half clip at a final name: on
interrupt the workers are told to stop, they delete their temporary files, and the interrupt
propagates.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from core.errors import MediaError
from core.synthetic.testpattern import make_source

log = logging.getLogger(__name__)

__all__ = ["DEMO_CLIPS", "DemoClip", "generate_demo"]


@dataclass(frozen=True)
class DemoClip:
    """One demo clip: H.264 + AAC in MP4, 2 s GOP with B-frames."""

    name: str
    """File name inside the demo folder, e.g. ``a.mp4``."""
    width: int
    height: int
    fps: Fraction
    """Exact frame rate, e.g. ``Fraction(24000, 1001)``."""
    frames: int
    """Number of video frames; the duration is ``frames / fps``."""
    tone_hz: float
    """Pitch of the sine tone on the audio track; different per clip."""

    @property
    def duration(self) -> Fraction:
        """Length in seconds, exact."""
        return self.frames / self.fps

    @property
    def label(self) -> str:
        """The line drawn at the top left of every frame."""
        rate = str(self.fps.numerator) if self.fps.denominator == 1 else f"{float(self.fps):.3f}"
        return f"{self.name} {self.width}x{self.height} {rate}fps {self.tone_hz:g}Hz"


DEMO_CLIPS: tuple[DemoClip, ...] = (
    DemoClip("a.mp4", 1920, 1080, Fraction(30), 300, 440.0),
    DemoClip("b.mp4", 1280, 720, Fraction(25), 300, 554.37),
    DemoClip("c.mp4", 640, 480, Fraction(24000, 1001), 216, 659.25),
)
"""10 s of 1080p30, 12 s of 720p25 and 9.01 s of 480p23.976; tones A4, C#5, E5 (an A major
chord when the clips overlap)."""

_GOP_SECONDS = 2
_PRESET = "ultrafast"
_CRF = 23


def generate_demo(
    directory: Path,
    *,
    force: bool = False,
    clips: Sequence[DemoClip] = DEMO_CLIPS,
    cancel: threading.Event | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[Path]:
    """Make sure ``directory`` holds every clip of ``clips``; return their paths in order.

    A clip that already exists and probes as expected (size, rate, frame count, an audio track)
    is kept unless ``force``. Missing or invalid clips are written in parallel. Setting
    ``cancel`` (or Ctrl-C) stops the writers within a frame and leaves no partial file; the
    :class:`~core.errors.Cancelled` or ``KeyboardInterrupt`` propagates.
    Raises :class:`~core.errors.MediaError` if the folder or a clip cannot be written.
    ``on_progress(done, total, name)`` is called as each clip is written (a worker thread).
    """
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MediaError(folder, f"cannot create the demo folder ({err.strerror or err})") from err
    paths = [folder / clip.name for clip in clips]
    todo: list[tuple[DemoClip, Path]] = []
    for clip, path in zip(clips, paths, strict=True):
        if not force and _is_valid(path, clip):
            log.info("demo: %s is present and valid, keeping it", path)
        else:
            todo.append((clip, path))
    if todo:
        _write_all(todo, cancel if cancel is not None else threading.Event(), on_progress)
    return paths


def _write_all(
    todo: list[tuple[DemoClip, Path]],
    stop: threading.Event,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> None:
    started = time.perf_counter()
    log.info("demo: writing %s", ", ".join(str(path) for _, path in todo))
    with ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="livecut-demo") as pool:
        futures = [pool.submit(_write_clip, clip, path, stop) for clip, path in todo]
        if on_progress is not None:
            done = [0]
            lock = threading.Lock()

            def report(future: Future[None], name: str) -> None:
                if future.exception() is None:
                    with lock:
                        done[0] += 1
                        on_progress(done[0], len(todo), name)

            for future, (_clip, path) in zip(futures, todo, strict=True):
                future.add_done_callback(functools.partial(report, name=path.name))
        try:
            _wait_first_error(futures)
        except BaseException:
            stop.set()  # every other writer stops within one frame and deletes its temp file
            wait(futures)
            raise
    log.info("demo: done in %.1f s", time.perf_counter() - started)


def _wait_first_error(futures: list[Future[None]]) -> None:
    """Wait for all writers; re-raise the first failure as soon as it happens."""
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    for future in done:
        future.result()


def _write_clip(clip: DemoClip, path: Path, stop: threading.Event) -> None:
    started = time.perf_counter()
    log.info("demo: writing %s (%dx%d, %s fps, %d frames)", path.name, clip.width, clip.height, clip.fps, clip.frames)
    make_source(
        path,
        frames=clip.frames,
        width=clip.width,
        height=clip.height,
        fps=clip.fps,
        codec="libx264",
        gop=max(1, round(_GOP_SECONDS * clip.fps)),
        crf=_CRF,
        preset=_PRESET,
        tone_hz=clip.tone_hz,
        label=clip.label,
        cancel=stop,
    )
    log.info("demo: wrote %s in %.1f s", path.name, time.perf_counter() - started)


def _is_valid(path: Path, clip: DemoClip) -> bool:
    """True if ``path`` opens and has the clip's video geometry, rate and frame count, and audio."""
    if not path.is_file():
        return False
    try:
        with av.open(str(path)) as container:
            if len(container.streams.video) != 1 or len(container.streams.audio) != 1:
                return False
            video = container.streams.video[0]
            return (
                (video.codec_context.width, video.codec_context.height) == (clip.width, clip.height)
                and video.average_rate == clip.fps
                and video.frames == clip.frames
            )
    except (av.FFmpegError, OSError) as err:
        log.info("demo: %s is not usable (%s), rewriting it", path, err)
        return False
