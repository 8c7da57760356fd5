"""Can libmpv open a video window on this display? Asked once, in a short-lived subprocess.

Why a subprocess: a ``DISPLAY`` that is set says nothing about whether a window can be shown.
On VNC, X2Go, Xvfb, remote desktops or with broken drivers libmpv walks its video outputs
(GPU contexts, DRM/KMS, Vulkan, VDPAU, Xv, SDL), writes to the terminal, may switch the
terminal's descriptors to non-blocking mode, and can block for good. None of that may happen
inside the editor. So a child process — in its own session, without a controlling terminal,
with no stdin and its output captured — creates one ``mpv.MPV`` with ``force_window=immediate``
over the outputs livecut accepts, and reports which one opened. A hang or a crash in native code
costs the child, and the caller a bounded wait (``PROBE_SECONDS``).

Why a fixed list of outputs: the player then uses exactly the output the probe proved (see
``WindowOutput``), so the editor's own libmpv never walks the list. SDL, DRM and the terminal
outputs are never tried: they take over or write to the terminal.

Importing this module does not load libmpv.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from core import locations

log = logging.getLogger(__name__)

PROBE_SECONDS = locations.DISPLAY_CHECK_SECONDS
"""How long the editor waits for the answer by default; a display that needs longer counts as
unusable. ``LIVECUT_DISPLAY_CHECK_SECONDS`` overrides it, read when a check starts
(``core.locations.display_check_seconds``: a slow remote display, or a busy test machine)."""


@dataclass(frozen=True)
class WindowOutput:
    """The libmpv options that open a window here: ``vo``, and for ``gpu`` its one context."""

    vo: str
    gpu_context: str = ""

    def options(self) -> dict[str, str]:
        """``mpv.MPV`` keyword options."""
        if not self.gpu_context:
            return {"vo": self.vo}
        return {"vo": self.vo, "gpu_context": self.gpu_context, "gpu_api": "opengl"}

    def describe(self) -> str:
        return f"{self.vo}/{self.gpu_context}" if self.gpu_context else self.vo


@dataclass(frozen=True)
class WindowProbe:
    """What the probe found: an ``output`` that works, or ``reason`` why none does."""

    output: WindowOutput | None
    reason: str
    """One phrase for the user ("" when ``output`` works)."""
    seconds: float

    @property
    def usable(self) -> bool:
        return self.output is not None


def candidates(env: Mapping[str, str] | None = None) -> list[WindowOutput]:
    """The outputs to try on this display, best first (empty: no display at all).

    GPU rendering through the display's own context (EGL, then GLX, on X11; EGL on Wayland)
    first, then the display's plain software output (``x11``: XImage/XShm, works on any X server
    including VNC and Xvfb; ``wlshm`` on Wayland). libmpv refuses software OpenGL (llvmpipe) for
    ``gpu`` by itself, which is what makes ``x11`` win on such displays. One context per try: a
    context this libmpv was built without is an option error, not a fallback.
    """
    env = os.environ if env is None else env
    wayland = bool(env.get("WAYLAND_DISPLAY"))
    x11 = bool(env.get("DISPLAY"))
    found: list[WindowOutput] = []
    if wayland:
        found.append(WindowOutput("gpu", "wayland"))
    if x11:
        found += [WindowOutput("gpu", "x11egl"), WindowOutput("gpu", "x11")]
    if wayland:
        found.append(WindowOutput("wlshm"))
    if x11:
        found.append(WindowOutput("x11"))
    return found


_CHILD = r"""
import json, locale, sys, time
base, tries = json.loads(sys.argv[1])
notes = []
try:
    import mpv
    locale.setlocale(locale.LC_NUMERIC, "C")
except Exception as exc:
    print(json.dumps({"index": None, "notes": [f"{type(exc).__name__}: {exc}"]}), flush=True)
    sys.exit(0)
for index, options in enumerate(tries):
    lines = []
    def keep(level, prefix, text, lines=lines):
        if level in ("fatal", "error", "warn"):
            lines.append(f"{prefix}: {text.strip()}")
    try:
        player = mpv.MPV(log_handler=keep, loglevel="warn", **base, **options)
    except Exception as exc:
        notes.append(f"{options}: {type(exc).__name__}: {exc} {lines[-3:]}")
        continue
    vo = None
    deadline = time.monotonic() + 5
    while vo is None and time.monotonic() < deadline:
        vo = player.current_vo
        if vo is None:
            time.sleep(0.01)
    player.terminate()
    if vo:
        print(json.dumps({"index": index, "notes": notes}), flush=True)
        sys.exit(0)
    notes.append(f"{options}: no video output {lines[-3:]}")
print(json.dumps({"index": None, "notes": notes}), flush=True)
"""

_PROBE_OPTIONS = {
    "force_window": "immediate",
    "idle": "yes",
    "terminal": "no",
    "config": "no",
    "ao": "null",
    "audio": "no",
    "osc": "no",
    "input_default_bindings": "no",
    "input_vo_keyboard": "no",
    "title": "livecut display check",
    "geometry": "16x16",
}


def probe_window(timeout: float | None = None, env: Mapping[str, str] | None = None) -> WindowProbe:
    """Ask a child process to open a libmpv window here; at most ``timeout`` seconds (None:
    ``LIVECUT_DISPLAY_CHECK_SECONDS``, else ``PROBE_SECONDS``)."""
    if timeout is None:
        timeout = locations.display_check_seconds()
    started = time.monotonic()
    environ = dict(os.environ if env is None else env)
    tries = candidates(environ)
    if not tries:
        return WindowProbe(None, "no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)", 0.0)
    request = json.dumps([_PROBE_OPTIONS, [t.options() for t in tries]])
    try:
        child = subprocess.Popen(
            [sys.executable, "-I", "-c", _CHILD, request],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
            start_new_session=True,  # no controlling terminal: native code cannot reach ours
            close_fds=True,
        )
    except OSError as exc:
        return WindowProbe(None, f"the display check could not start: {exc}", time.monotonic() - started)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(child)
        seconds = time.monotonic() - started
        log.warning("display check: libmpv opened no window within %.1f s; giving up", seconds)
        return WindowProbe(None, f"no window from libmpv in {timeout:g} s", seconds)
    seconds = time.monotonic() - started
    native = err.decode(errors="replace").strip()
    if native:
        log.info("display check, native output: %s", native[-2000:])
    try:
        answer = json.loads(out.decode(errors="replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        log.warning("display check exited with status %s and no answer", child.returncode)
        return WindowProbe(None, f"the display check crashed (status {child.returncode})", seconds)
    for note in answer.get("notes", []):
        log.info("display check: %s", note)
    index = answer.get("index")
    if not isinstance(index, int) or not 0 <= index < len(tries):
        log.warning("display check: libmpv cannot open a window here (%.2f s)", seconds)
        return WindowProbe(None, "libmpv cannot open a window here", seconds)
    output = tries[index]
    log.info("display check: libmpv opens a window with %s (%.2f s)", output.describe(), seconds)
    return WindowProbe(output, "", seconds)


def _kill(child: subprocess.Popen[bytes]) -> None:
    """End the child's whole session (libmpv may have started helpers) and reap it."""
    try:
        os.killpg(child.pid, 9)
    except OSError:
        child.kill()
    try:
        child.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        log.warning("display check process %d did not exit", child.pid)


# -- the answer for this process's display, asked once ----------------------------------------------
_lock = threading.Lock()
_answers: dict[tuple[str, str], WindowProbe] = {}


def _display_key() -> tuple[str, str]:
    return os.environ.get("DISPLAY", ""), os.environ.get("WAYLAND_DISPLAY", "")


def window_output(timeout: float | None = None) -> WindowProbe:
    """The probe's answer for the current display: asked on first use, then remembered.

    The player's ``window`` output uses it, so the editor's libmpv opens exactly what the
    probe proved and never walks its outputs.
    """
    key = _display_key()
    with _lock:
        known = _answers.get(key)
        if known is not None:
            return known
        answer = probe_window(timeout)
        _answers[key] = answer
        return answer


def forget() -> None:
    """Drop remembered answers (tests, or after the display changed)."""
    with _lock:
        _answers.clear()
