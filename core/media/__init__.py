"""Source media: what a file holds (probe, fingerprint), its frames at the project rate, its audio.

Everything that opens a user's file with PyAV for reading lives here, so every other stage gets
frames and samples that are already in project time. It knows files, not timelines: the
model imports media, never the reverse (what walks a timeline's media is ``core.model.playout``).
"""

from __future__ import annotations

from core.media.audio import AacTrack
from core.media.fingerprint import fingerprint
from core.media.frames import DecodeStats, iter_project_frames
from core.media.info import AudioInfo, MediaInfo, VideoInfo, probe

__all__ = [
    "AacTrack",
    "AudioInfo",
    "DecodeStats",
    "MediaInfo",
    "VideoInfo",
    "fingerprint",
    "iter_project_frames",
    "probe",
]
