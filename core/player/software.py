"""libmpv's software render API, which python-mpv 1.0.8 cannot drive on its own.

Why this module exists: the terminal preview needs decoded frames as RGB pixels at a size we
choose, with no GPU and no window. libmpv offers exactly that (``vo=libmpv`` plus a render context
of api type ``"sw"``), but the frame is described by four render parameters that python-mpv's
``MpvRenderParam`` table does not know: ``MPV_RENDER_PARAM_SW_SIZE`` (17, ``int[2]``),
``SW_FORMAT`` (18, ``char *``), ``SW_STRIDE`` (19, ``size_t *``) and ``SW_POINTER`` (20,
``void *``), see libmpv/render.h.

Rather than patching python-mpv's class-level table for every user of the library, this module
builds the ``mpv_render_param`` array itself with ctypes and calls ``mpv_render_context_render``
through a private function pointer (``backend[...]`` returns a fresh one, so python-mpv's own
prototype is left untouched). Creating and freeing the context and the update callback still go
through python-mpv's ``MpvRenderContext``.

Threading contract (from libmpv/render.h and vo_libmpv.c):

* the update callback runs on an arbitrary libmpv thread and must not call libmpv: it only
  signals the owner (``Player`` wakes its render thread);
* ``update()`` and ``render()`` are called from one thread, the owner's render thread;
* the VO waits up to 200 ms for each frame to be rendered, so rendering must follow promptly;
* the context must be freed before the mpv handle is terminated.

We render with ``block_for_target_time=0`` so a render call never waits on the VO's timing; the
VO paces playback itself.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import Any, Literal

import mpv
import numpy as np

from core.errors import LivecutError

logger = logging.getLogger(__name__)

MPV_RENDER_PARAM_INVALID = 0
MPV_RENDER_PARAM_API_TYPE = 1
MPV_RENDER_PARAM_BLOCK_FOR_TARGET_TIME = 12
MPV_RENDER_PARAM_SW_SIZE = 17
MPV_RENDER_PARAM_SW_FORMAT = 18
MPV_RENDER_PARAM_SW_STRIDE = 19
MPV_RENDER_PARAM_SW_POINTER = 20

PixelFormat = Literal["rgb0", "bgr0"]
"""The 4-byte packed formats we ask libmpv for; the pad byte is dropped on return."""


class RenderError(LivecutError):
    """libmpv's software renderer could not be created or failed to render a frame."""


class _RenderParam(ctypes.Structure):
    """``mpv_render_param``: ``{enum mpv_render_param_type type; void *data;}``."""

    _fields_ = [("type", ctypes.c_int), ("data", ctypes.c_void_p)]


def _render_function() -> Any:
    """``mpv_render_context_render`` with our own prototype (a fresh pointer, not python-mpv's)."""
    fn = mpv.backend["mpv_render_context_render"]
    fn.argtypes = [ctypes.c_void_p, ctypes.POINTER(_RenderParam)]
    fn.restype = ctypes.c_int
    return fn


def mpv_error_string(code: int) -> str:
    """libmpv's text for an ``mpv_error`` code (e.g. -13 is "loading failed")."""
    fn = mpv.backend["mpv_error_string"]
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_char_p
    raw = fn(code)
    return raw.decode("utf-8", "replace") if raw else f"error {code}"


class _SwTarget:
    """The frame buffer and the parameter array that points into it, reused while the size and
    format stay the same (the ctypes objects must outlive the render call)."""

    def __init__(self, width: int, height: int, pixel_format: PixelFormat) -> None:
        self.width = width
        self.height = height
        self.pixels = np.zeros((height, width, 4), dtype=np.uint8)
        self._size = (ctypes.c_int * 2)(width, height)
        self._format = ctypes.create_string_buffer(pixel_format.encode("ascii"))
        self._stride = ctypes.c_size_t(width * 4)
        self._block = ctypes.c_int(0)
        params = (_RenderParam * 6)()
        params[0] = _RenderParam(MPV_RENDER_PARAM_SW_SIZE, ctypes.addressof(self._size))
        params[1] = _RenderParam(MPV_RENDER_PARAM_SW_FORMAT, ctypes.addressof(self._format))
        params[2] = _RenderParam(MPV_RENDER_PARAM_SW_STRIDE, ctypes.addressof(self._stride))
        params[3] = _RenderParam(MPV_RENDER_PARAM_SW_POINTER, self.pixels.ctypes.data)
        params[4] = _RenderParam(MPV_RENDER_PARAM_BLOCK_FOR_TARGET_TIME, ctypes.addressof(self._block))
        params[5] = _RenderParam(MPV_RENDER_PARAM_INVALID, None)
        self.params = params


class SoftwareRenderer:
    """A software render context on an ``MPV`` handle created with ``vo="libmpv"``.

    Create it before the first ``loadfile`` (the VO looks for the context when it starts). Use
    from one thread: ``update()`` after each update callback, ``render(w, h)`` when it says a new
    frame is ready. ``free()`` before terminating the handle.
    """

    def __init__(self, handle: mpv.MPV, *, pixel_format: PixelFormat = "rgb0") -> None:
        if pixel_format not in ("rgb0", "bgr0"):
            raise ValueError(f"unsupported software render format {pixel_format!r}")
        self._pixel_format: PixelFormat = pixel_format
        self._render_fn = _render_function()
        self._target: _SwTarget | None = None
        self._on_update: Callable[[], None] | None = None
        try:
            self._ctx: mpv.MpvRenderContext | None = mpv.MpvRenderContext(handle, "sw")
        except Exception as exc:  # python-mpv raises its own error types here
            raise RenderError(f"libmpv software renderer unavailable: {exc}") from exc
        # Installed once; the wrapper forwards to whatever hook is current.
        self._ctx.update_cb = self._fire_update

    # --- update callback -------------------------------------------------------------------------

    def set_update_callback(self, callback: Callable[[], None] | None) -> None:
        """Called on a libmpv thread whenever ``update()`` should be called; must not call libmpv
        and must return quickly (set an Event)."""
        self._on_update = callback

    def _fire_update(self) -> None:
        callback = self._on_update
        if callback is not None:
            callback()

    # --- rendering -----------------------------------------------------------------------------

    def update(self) -> bool:
        """Let libmpv process its render queue; True when a new frame waits to be rendered."""
        if self._ctx is None:
            return False
        return bool(self._ctx.update())

    def render(self, width: int, height: int) -> np.ndarray:
        """Render the current frame scaled (aspect kept, black bars) into ``height×width×3`` RGB.

        The returned array is a fresh copy owned by the caller.
        """
        if self._ctx is None:
            raise RenderError("the software renderer was already freed")
        if width <= 0 or height <= 0:
            raise ValueError(f"render size must be positive, got {width}x{height}")
        target = self._target
        if target is None or (target.width, target.height) != (width, height):
            target = self._target = _SwTarget(width, height, self._pixel_format)
        code = self._render_fn(self._ctx.handle, target.params)
        if code < 0:
            raise RenderError(f"libmpv software render failed: {mpv_error_string(code)}")
        if self._pixel_format == "rgb0":
            return np.ascontiguousarray(target.pixels[:, :, :3])
        return np.ascontiguousarray(target.pixels[:, :, 2::-1])

    def free(self) -> None:
        """Release the render context (stops the VO). Idempotent; call before ``terminate()``."""
        ctx, self._ctx = self._ctx, None
        self._on_update = None
        if ctx is not None:
            ctx.free()

    def __enter__(self) -> SoftwareRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()
