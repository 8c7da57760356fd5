"""The libmpv options of the player, grouped by the reason they are there.

Why it is shaped so: the options *are* most of the player's contract with libmpv — the demuxer
cache is what makes the non-seekable ``livecut://`` stream seekable (``core.player.protocol``), its
size is how far back a seek can go (``core.player.seek``), and everything a stand-alone mpv would
do on its own (config files, key bindings, OSD, terminal output) must be off inside an editor.
Building them in one pure function keeps those reasons together, away from the state machine.
"""

from __future__ import annotations

from core.modes import VideoOutput
from core.player.probe import WindowOutput


def mpv_options(
    *,
    vo: VideoOutput,
    audio: bool,
    cache_bytes: int,
    cache_pause_wait: float,
    decoder_threads: int,
    window: WindowOutput | None = None,
) -> dict[str, str]:
    """``mpv.MPV`` keyword options for ``Player``'s constructor arguments of the same names.

    ``window`` is the output the display check proved (``core.player.probe``); a ``window``
    player without one would let libmpv walk every video output, which can hang or take over
    the terminal on displays without a usable GPU.
    """
    options: dict[str, str] = {
        # Stay alive between sessions, and keep the last frame when a stream ends.
        "idle": "yes",
        "keep_open": "yes",
        # The demuxer cache holds what was received: it is what makes the stream seekable, and
        # ``cache_pause`` is what reports a stream that ran dry.
        "cache": "yes",
        "force_seekable": "yes",
        "demuxer_max_bytes": str(cache_bytes),
        "demuxer_max_back_bytes": str(cache_bytes),
        "cache_pause": "yes",
        "cache_pause_wait": f"{cache_pause_wait:.3f}",
        # Straight to libavformat's mp4 demuxer: mpv's own probing peeks ~2 KiB first and
        # would block on a young stream that holds less than that.
        "demuxer": "lavf",
        "demuxer_lavf_format": "mp4",
        "vd_lavc_threads": str(decoder_threads),
        # Timestamps as written (sessions carry their own offset), and frame-exact seeks.
        "rebase_start_time": "no",
        "hr_seek": "yes",
        "hwdec": "no",
        # An embedded player: no config files, key bindings, OSD or terminal output of its own.
        "input_default_bindings": "no",
        "input_vo_keyboard": "no",
        "osc": "no",
        "osd_level": "0",
        "terminal": "no",
        "config": "no",
        "audio_fallback_to_null": "yes",
        "title": "livecut preview",
    }
    if not audio:
        options["ao"] = "null"
    if vo == "none":
        options["vo"] = "null"
    elif vo == "terminal":
        options["vo"] = "libmpv"
    else:
        options["force_window"] = "yes"
        if window is not None:
            options.update(window.options())
    return options
