"""The mix's true-peak limiter and loudness normalisation, measured on real signals (#26).

Before the limiter, a clip at +24 dB reached the AAC encoder at 4× full scale: the decoded
export peaked far over 0 dBFS and every player clipped it (harmonics all over a sine). The
tests measure what a listener gets: the export decoded with PyAV, its true peak (4× FFT
upsampling, independent of the limiter's own interpolator), the harmonics after the clipping a
player would do, and the loudness with pyloudnorm (the reference BS.1770 meter).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest

from core.cells.store import CellStore
from core.export.render import ExportOptions, export
from core.media.audio import CODEC_HEADROOM_DB, LIMITER_WARMUP, RATE
from core.media.limiter import CEILING_DBTP, TruePeakLimiter, true_peak
from core.media.loudness import integrated_loudness
from core.model import project as proj
from core.model.playout import mixed_audio, timeline_audio
from core.model.timeline import Timeline
from core.synthetic.testpattern import make_source

CEILING = 10 ** (CEILING_DBTP / 20)


def sine(hz: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    wave = amplitude * np.sin(2 * np.pi * hz * t)
    return np.vstack([wave, wave]).astype(np.float32)


def fft_true_peak(samples: np.ndarray, margin: int = 2400) -> float:
    """|peak| of the signal upsampled 4× by zero-padding its spectrum (an ideal interpolator),
    ``margin`` samples from each end left out (the FFT wraps the ends round, and rings there)."""
    n = samples.shape[1]
    spectrum = np.fft.rfft(samples.astype(np.float64), axis=1)
    upsampled = np.fft.irfft(spectrum, n * 4, axis=1) * 4
    return float(np.abs(upsampled[:, 4 * margin : -4 * margin]).max())


def harmonics_db(samples: np.ndarray, hz: float) -> float:
    """Energy between 2 and 5 kHz (excluding nothing: the fundamental is below) against the fundamental, dB."""
    x = samples[0, : RATE // 2].astype(np.float64) * np.hanning(RATE // 2)
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    fundamental = power[(freqs > hz - 20) & (freqs < hz + 20)].sum()
    harmonics = power[(freqs > 1900) & (freqs < 5100)].sum()
    return 10 * math.log10(harmonics / fundamental)


def limited(x: np.ndarray, chunk: int, limiter: TruePeakLimiter | None = None) -> np.ndarray:
    lim = limiter or TruePeakLimiter()
    return np.concatenate(list(lim.stream(x[:, i : i + chunk] for i in range(0, x.shape[1], chunk))), axis=1)


# -- the limiter on its own ------------------------------------------------------------------------
def test_a_sine_24_db_over_comes_out_under_the_ceiling_without_harmonics() -> None:
    loud = sine(1000, 1.0, 0.25) * np.float32(10 ** (24 / 20))  # +12 dBFS
    assert 20 * math.log10(fft_true_peak(loud)) > 11
    limiter = TruePeakLimiter()
    out = limited(loud, 4096, limiter)
    assert out.shape == loud.shape
    assert fft_true_peak(out) <= CEILING * 1.001  # ≤ -1 dBTP
    assert harmonics_db(out[:, RATE // 4 :], 1000) < -60
    assert 12.5 < limiter.max_reduction_db < 13.5


def test_peaks_between_samples_are_caught() -> None:
    """A sine at a quarter of the rate, sampled at ±45°: its samples stay at 0.707 of its true peak."""
    n = np.arange(RATE // 2)
    wave = 1.2 * CEILING * np.sin(2 * np.pi * n / 4 + np.pi / 4)
    x = np.vstack([wave, wave]).astype(np.float32)
    assert np.abs(x).max() < CEILING  # the sample peak says nothing needs doing
    out = limited(x, 1000)
    assert fft_true_peak(out) <= CEILING * 1.005
    assert true_peak(out) <= CEILING * 1.0001


def test_the_result_does_not_depend_on_how_the_signal_is_cut() -> None:
    """The preview feeds 4096-sample chunks, the export 8192: a limiter restarting per chunk would click."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((2, RATE)) * np.linspace(0.1, 3, RATE)).astype(np.float32)
    whole = limited(x, x.shape[1])
    for chunk in (4096, 1000, 333):
        assert np.abs(limited(x, chunk) - whole).max() < 1e-6, chunk  # float rounding only


def test_material_under_the_ceiling_passes_unchanged() -> None:
    x = sine(440, 0.5, 0.8)
    limiter = TruePeakLimiter()
    assert np.array_equal(limited(x, 4096, limiter), x)
    assert limiter.max_reduction_db == 0.0


def test_speech_like_bursts_do_not_pump_between_them() -> None:
    """A loud burst, then quiet sound: the gain comes back smoothly (no step), within ~0.5 s."""
    loud = sine(300, 0.3, 3.0)
    quiet = sine(300, 1.0, 0.1)
    out = limited(np.concatenate([loud, quiet], axis=1), 4096)
    gain = np.abs(out[0, loud.shape[1] :]) / np.maximum(np.abs(quiet[0]), 1e-9)
    on_peaks = gain[np.abs(quiet[0]) > 0.099]  # the gain at each crest of the quiet part
    assert np.all(np.diff(on_peaks) >= -1e-6)  # it only rises after the burst
    assert on_peaks[-1] > 0.999  # and is back to unity


# -- the mix: preview and export -------------------------------------------------------------------
@pytest.fixture(scope="module")
def tone_project(tmp_path_factory: pytest.TempPathFactory) -> proj.Project:
    d = tmp_path_factory.mktemp("limiter-src")
    make_source(d / "tone.mp4", frames=60, width=64, height=48, fps=30, tone_hz=1000)  # 0.25 = -12 dBFS
    p = proj.new_from_media(d / "p.toml", [str(d / "tone.mp4")])
    return replace(p, width=64, height=48)


def with_gain(project: proj.Project, gain_db: float) -> proj.Project:
    tl = project.timeline
    clips = tuple(replace(c, gain_db=gain_db) for c in tl.clips)
    return replace(project, timeline=Timeline(tl.fps, tl.media, clips))


def decoded(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        blocks = [f.to_ndarray() for f in c.decode(audio=0)]
    return np.concatenate(blocks, axis=1)


def test_an_export_at_24_db_is_limited_to_the_ceiling(tone_project: proj.Project, tmp_path: Path) -> None:
    loud = with_gain(tone_project, 24.0)
    result = export(loud, tmp_path / "loud.mp4", ExportOptions(), store=CellStore(tmp_path / "c"))
    sound = decoded(result.output)
    body = sound[:, RATE // 4 : -RATE // 4]  # away from the fade-in of the source's own AAC priming
    peak_db = 20 * math.log10(fft_true_peak(body))
    assert peak_db <= CEILING_DBTP, peak_db  # decoded: the limiter leaves AAC its headroom
    clipped = np.clip(body, -1.0, 1.0)  # what a player does with samples over full scale
    assert harmonics_db(clipped, 1000) < -40
    assert 12.5 < result.limited_db < 15.0
    assert "limited by up to" in result.sound and result.to_dict()["limited_db"] == round(result.limited_db, 2)


def test_the_preview_mix_is_limited_and_a_mid_start_matches_a_play_from_the_start(
    tone_project: proj.Project,
) -> None:
    """The preview's sound comes from ``mixed_audio`` too; a session starting inside the timeline
    warms the limiter up on the sound before it, so its gain there is the continuous play's."""
    tl = with_gain(tone_project, 24.0).timeline
    whole = np.concatenate(list(mixed_audio(tl, 0, chunk=4096)), axis=1)
    assert whole.shape[1] == np.concatenate(list(timeline_audio(tl, 0)), axis=1).shape[1]
    assert true_peak(whole) <= 10 ** ((CEILING_DBTP - CODEC_HEADROOM_DB) / 20) * 1.0001
    start = LIMITER_WARMUP + 12345
    tail = np.concatenate(list(mixed_audio(tl, start, chunk=4096)), axis=1)
    assert tail.shape[1] == whole.shape[1] - start
    assert np.abs(tail - whole[:, start:]).max() < 1e-3


def test_unity_gain_under_the_ceiling_is_the_raw_mix(tone_project: proj.Project) -> None:
    tl = tone_project.timeline
    raw = np.concatenate(list(timeline_audio(tl, 0)), axis=1)
    assert np.array_equal(np.concatenate(list(mixed_audio(tl, 0, chunk=4096)), axis=1), raw)


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_an_export_normalised_to_a_loudness_target(tone_project: proj.Project, tmp_path: Path, target: float) -> None:
    options = ExportOptions(loudness=target)
    result = export(tone_project, tmp_path / "n.mp4", options, store=CellStore(tmp_path / "c"))
    sound = decoded(result.output)
    measured = pyloudnorm.Meter(RATE).integrated_loudness(sound.T.astype(np.float64))
    assert abs(measured - target) <= 1.0, measured
    assert result.loudness_measured is not None and result.loudness_gain_db is not None
    assert abs(result.loudness_measured + result.loudness_gain_db - target) < 1e-6
    assert "loudness" in result.sound


def test_the_streaming_meter_agrees_with_pyloudnorm() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(RATE * 5) / RATE
    x = np.vstack([0.1 * np.sin(2 * np.pi * 1000 * t), rng.standard_normal(t.size) * 0.05])
    ours = integrated_loudness(x[:, i : i + 3333] for i in range(0, x.shape[1], 3333))
    assert abs(ours - pyloudnorm.Meter(RATE).integrated_loudness(x.T)) < 0.1
    assert integrated_loudness([np.zeros((2, RATE))]) == -math.inf
