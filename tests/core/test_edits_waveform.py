"""Waveforms: a tone burst lands at its time; the cache is reused on reopen (no second decode)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from core.media import waveform as wf
from core.media.info import probe


def tone_burst(path: Path, seconds: float = 2.0, start: float = 1.0, end: float = 1.5, rate: int = 48000) -> Path:
    """A WAV of silence with a 440 Hz tone at 0.8 of full scale between ``start`` and ``end``."""
    t = np.arange(int(seconds * rate)) / rate
    signal = np.where((t >= start) & (t < end), 0.8 * np.sin(2 * np.pi * 440 * t), 0.0)
    samples = (signal * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout="mono")
        for i in range(0, len(samples), 4800):
            frame = av.AudioFrame.from_ndarray(samples[None, i : i + 4800], format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def burst(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone_burst(tmp_path_factory.mktemp("wave") / "burst.wav")


def test_burst_appears_at_its_time(burst: Path) -> None:
    w = wf.compute(probe(burst))
    assert abs(w.seconds - 2.0) < 0.02
    loud = np.nonzero(w.peaks > 100)[0]
    assert loud.min() in (99, 100) and loud.max() in (149, 150)  # 1.0 s .. 1.5 s at 100 peaks a second
    assert w.peak(1.1, 1.2) == pytest.approx(0.8 / 2**0.5, abs=0.02)  # mono spread on stereo: -3 dB, as heard
    assert w.peak(0.2, 0.9) < 0.01 and w.peak(1.6, 2.0) < 0.01
    assert w.peak(5.0, 6.0) == 0.0  # past the end


def test_cache_is_reused_without_decoding(burst: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = probe(burst)
    first, decoded = wf.load_or_compute(info, "fp-burst", tmp_path)
    assert decoded and wf.cache_path(tmp_path, "fp-burst").stat().st_size == len(first.peaks)

    def no_decoding(*_args: object, **_kw: object) -> None:
        raise AssertionError("the audio was decoded again")

    monkeypatch.setattr(wf, "compute", no_decoding)
    again, decoded = wf.load_or_compute(info, "fp-burst", tmp_path)
    assert not decoded and np.array_equal(again.peaks, first.peaks)
