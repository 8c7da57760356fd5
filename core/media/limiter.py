"""A true-peak limiter for the mix, in numpy, stateful across chunks.

Why it exists: clip gain goes up to +24 dB, and the mix is float, so without it a loud clip
reaches the AAC encoder (and every player) far over full scale and clips there. Why it is shaped
so:

* **True peak**, not sample peak: the signal is 4× oversampled (a windowed-sinc interpolator,
  as BS.1770's true-peak meter) so peaks between samples, which a DAC or a resampler produces,
  stay under the ceiling too.
* **Look-ahead** (5 ms): the gain starts going down before the peak arrives, as a linear ramp
  in dB over the look-ahead window, so there is no instantaneous gain step (which would be a
  click, or harmonics on a sine).
* **Hold, then a smooth release** (≈60 ms time constant, exponential in dB): the gain does not
  follow each waveform cycle (which would distort low notes) and comes back without pumping on
  speech.
* **Stateful**: the preview encodes its sound in small chunks and the export in others; a
  limiter that started afresh at every chunk would click at each boundary, so ``process`` keeps
  the history it needs and the result does not depend on how the signal is cut.

The gain is computed as a reduction ``d`` in nepers (``gain = exp(-d)``): the required reduction
per sample ``r``, a sliding maximum over the hold window, an exponential release (``max(h[n],
e[n-1]·k)``, vectorised as a running maximum in the log domain), then a moving average over the
look-ahead window. Each average covers only values that are at least the reduction needed at
that sample, so the output never exceeds the ceiling, while the average makes the attack
smooth. ``process`` therefore delays its output by ``delay`` samples; ``stream`` hides that, so
sample ``i`` out is sample ``i`` in times its gain.

Below the ceiling the gain is exactly 1: such material passes unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

RATE = 48000
CEILING_DBTP = -1.0
"""The limiter's ceiling in dB true peak (streaming platforms ask for −1 dBTP at most)."""

_OVERSAMPLE = 4
_HALF = 12
"""Taps on each side of an interpolated point (24 taps per phase)."""
_STEP = 8192
"""Samples per vectorised step (bounds the exponents of the release's log-domain running max)."""


def _phases() -> np.ndarray:
    """The 3 fractional-delay FIR kernels (phases 1/4, 2/4, 3/4) of a 4× Kaiser-windowed sinc."""
    taps = np.arange(-_HALF + 1, _HALF + 1, dtype=np.float64)  # sample offsets relative to n
    beta = 8.0
    kernels = []
    for phase in range(1, _OVERSAMPLE):
        t = taps - phase / _OVERSAMPLE  # distance of each input sample from the point n + phase/4
        window = np.i0(beta * np.sqrt(1 - (t / _HALF) ** 2)) / np.i0(beta)
        kernel = np.sinc(t) * window
        kernels.append(kernel / kernel.sum())
    return np.array(kernels)


_KERNELS = _phases()
_GAIN_BOUND = float(np.abs(_KERNELS).sum(axis=1).max())
"""No interpolated value exceeds the largest |sample| around it times this (the kernels' L1 norm)."""


def true_peak(samples: np.ndarray) -> float:
    """The true peak (linear, 4× oversampled) of a (channels, n) block taken on its own."""
    if samples.size == 0:
        return 0.0
    padded = np.pad(samples.astype(np.float64), ((0, 0), (_HALF, _HALF)))
    return float(_peaks(padded, samples.shape[1]).max())


def _peaks(padded: np.ndarray, count: int, floor: float = 0.0) -> np.ndarray:
    """Per sample ``n`` of ``count``: the largest |value| over channels at n, n+¼, n+½, n+¾.

    ``padded`` holds ``_HALF - 1`` samples before the first ``n`` and ``_HALF`` after the last
    (at least: extra ones at the front are ignored). When no interpolated value can exceed
    ``floor``, only the sample peaks are taken (quiet material costs next to nothing).
    """
    start = padded.shape[1] - count - _HALF  # index of the first n
    peak: np.ndarray = np.abs(padded[:, start : start + count]).max(axis=0)
    lo = start - (_HALF - 1)
    context = padded[:, lo : start + count + _HALF]
    if float(np.abs(context).max(initial=0.0)) * _GAIN_BOUND <= floor:
        return peak  # no interpolated value can reach the ceiling: skip the work
    # value at n + phase/4 = sum_j padded[n - HALF + 1 + j] * kernel[j], as 2*HALF shifted
    # multiply-adds over both channels (a BLAS product is no faster here, and contends for cores)
    acc = np.zeros((len(_KERNELS), padded.shape[0], count))
    for j in range(2 * _HALF):
        acc += _KERNELS[:, j, None, None] * context[None, :, j : j + count]
    np.maximum(peak, np.abs(acc).max(axis=(0, 1)), out=peak)
    return peak


def _sliding_max(values: np.ndarray, window: int) -> np.ndarray:
    """``out[i] = max(values[i : i + window])`` for every full window (van Herk / Gil-Werman)."""
    n = values.size - window + 1
    if n <= 0:
        return np.zeros(0)
    blocks = -(-values.size // window)
    padded = np.full(blocks * window, -np.inf)
    padded[: values.size] = values
    shaped = padded.reshape(blocks, window)
    forward = np.maximum.accumulate(shaped, axis=1).ravel()
    backward = np.maximum.accumulate(shaped[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.maximum(backward[:n], forward[window - 1 : window - 1 + n])


class TruePeakLimiter:
    """Keeps the true peak of a (channels, n) float signal at or under ``ceiling_db`` dBTP."""

    def __init__(
        self,
        channels: int = 2,
        rate: int = RATE,
        ceiling_db: float = CEILING_DBTP,
        lookahead_s: float = 0.005,
        hold_s: float = 0.010,
        release_s: float = 0.060,
    ) -> None:
        self.channels = channels
        self.ceiling = 10 ** (ceiling_db / 20)
        self.lookahead = max(1, round(lookahead_s * rate))
        self.hold = max(self.lookahead, round(hold_s * rate))
        self._log_k = -1.0 / max(1.0, release_s * rate)
        self.delay = _HALF + self.lookahead - 1
        """Samples ``process`` holds back: it needs that much of the future for each gain."""
        self.max_reduction_db = 0.0
        """The largest gain reduction applied so far (dB, ≥ 0)."""
        self.limited_samples = 0
        """How many samples were turned down."""
        # raw input from the next output sample on (``delay`` samples); zeros before the start
        self._x = np.zeros((channels, self.delay))
        self._r = np.zeros(self.hold - 1)  # required reduction of the hold window before the next one
        self._e_last = 0.0  # the release envelope at the last computed sample
        self._e = np.zeros(self.lookahead - 1)  # envelope values not yet averaged

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed (channels, n) samples; returns as many limited samples, ``delay`` samples behind
        (zeros stand for the signal before the first sample)."""
        if block.shape[1] <= _STEP:
            return self._step(block)
        parts = [self._step(block[:, i : i + _STEP]) for i in range(0, block.shape[1], _STEP)]
        return np.concatenate(parts, axis=1)

    def _step(self, block: np.ndarray) -> np.ndarray:
        count = block.shape[1]
        if count == 0:
            return np.zeros((self.channels, 0), dtype=np.float32)
        # x[:, j] is sample (fed so far - delay + j): the first is the next one out; the peaks
        # of this step are those of the samples HALF before the newest ones (they need HALF
        # samples after them), and the gains those of the samples lookahead - 1 before that
        x = np.concatenate([self._x, block.astype(np.float64)], axis=1)
        peaks = _peaks(x, count, self.ceiling)
        with np.errstate(divide="ignore"):
            r = np.maximum(0.0, np.log(peaks / self.ceiling))
        held = _sliding_max(np.concatenate([self._r, r]), self.hold)
        self._r = np.concatenate([self._r, r])[-(self.hold - 1) :] if self.hold > 1 else self._r
        # release: e[i] = max(h[i], e[i-1]*k), i.e. log e[i] - i*c = running max of log h[j] - j*c
        steps = np.arange(1, count + 1) * self._log_k
        with np.errstate(divide="ignore"):
            logs = np.log(held) - steps
        start = math.log(self._e_last) if self._e_last > 0 else -np.inf
        envelope = np.exp(np.maximum.accumulate(np.maximum(logs, start)) + steps)
        self._e_last = float(envelope[-1])
        e = np.concatenate([self._e, envelope])
        sums = np.cumsum(np.concatenate([[0.0], e]))
        reduction = np.maximum(0.0, (sums[self.lookahead :] - sums[: -self.lookahead]) / self.lookahead)
        self._e = e[-(self.lookahead - 1) :] if self.lookahead > 1 else e[:0]
        out_x = x[:, :count]
        self._x = x[:, count:]
        if reduction.size and reduction.max() > 0:
            self.max_reduction_db = max(self.max_reduction_db, float(reduction.max()) * 20 / math.log(10))
            self.limited_samples += int(np.count_nonzero(reduction > 1e-9))
            out_x = out_x * np.exp(-reduction)
        return out_x.astype(np.float32)

    def flush(self) -> np.ndarray:
        """The last ``delay`` samples (the input is taken to be silent after its end)."""
        return self.process(np.zeros((self.channels, self.delay)))

    def stream(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """``blocks`` limited, without the delay: as many samples out as in, sample for sample."""
        skip = self.delay  # the first outputs are the zeros before the start
        for block in blocks:
            out = self.process(block)
            if skip:
                cut = min(skip, out.shape[1])
                out, skip = out[:, cut:], skip - cut
            if out.shape[1]:
                yield out
        tail = self.flush()[:, skip:]
        if tail.shape[1]:
            yield tail
