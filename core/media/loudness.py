"""Integrated loudness (ITU-R BS.1770-4, in LUFS) of the timeline's mix, measured in one pass.

Why its own module, and streaming: ``livecut export --loudness -14`` measures the whole film
before it encodes the sound, and a film of an hour is 1.3 GB of float samples, too much to hold
at once (``pyloudnorm``, which the tests use as the reference meter, wants the whole signal in
memory). So the signal is K-weighted chunk by chunk (``scipy.signal.lfilter`` with its state
carried over), only the mean square of each 100 ms quarter-block is kept, and the 400 ms
gating blocks (75 % overlap), the absolute gate (−70 LUFS) and the relative gate (−10 LU) are
applied at the end.

The mix is always 48 kHz, so the K-weighting filters are BS.1770's published 48 kHz
coefficients.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from core.media.audio import RATE

# BS.1770-4, table 1 and 2: the pre-filter (high shelf) and the RLB high-pass at 48 kHz
_SHELF_B = np.array([1.53512485958697, -2.69169618940638, 1.19839281085285])
_SHELF_A = np.array([1.0, -1.69065929318241, 0.73248077421585])
_HIGHPASS_B = np.array([1.0, -2.0, 1.0])
_HIGHPASS_A = np.array([1.0, -1.99004745483398, 0.99007225036621])
_STEP = RATE // 10
"""A quarter of a 400 ms gating block."""


def integrated_loudness(blocks: Iterable[np.ndarray]) -> float:
    """Integrated loudness in LUFS of a (channels, n) 48 kHz signal given in chunks of any size;
    ``-inf`` for silence or a signal shorter than one 400 ms block. Channels weigh 1 (L, R)."""
    from scipy.signal import lfilter  # only an export with a loudness target pays for loading scipy

    shelf_zi: np.ndarray | None = None
    high_zi: np.ndarray | None = None
    carry = np.zeros(0)
    steps: list[float] = []  # mean square (summed over channels) of each 100 ms step
    for block in blocks:
        x = np.asarray(block, dtype=np.float64)
        if shelf_zi is None or high_zi is None:
            shelf_zi = np.zeros((x.shape[0], 2))
            high_zi = np.zeros((x.shape[0], 2))
        y, shelf_zi = lfilter(_SHELF_B, _SHELF_A, x, axis=1, zi=shelf_zi)
        y, high_zi = lfilter(_HIGHPASS_B, _HIGHPASS_A, y, axis=1, zi=high_zi)
        power = np.concatenate([carry, (y * y).sum(axis=0)])
        whole = power.size // _STEP * _STEP
        steps.extend(power[:whole].reshape(-1, _STEP).mean(axis=1).tolist())
        carry = power[whole:]
    if len(steps) < 4:
        return -math.inf
    quarters = np.array(steps)
    blocks_z = np.convolve(quarters, np.ones(4) / 4, mode="valid")  # 400 ms blocks, 100 ms apart
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(blocks_z)
    gated = blocks_z[loudness > -70.0]
    if gated.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(gated.mean())) - 10.0
    with np.errstate(divide="ignore"):
        final = gated[-0.691 + 10 * np.log10(gated) > relative]
    if final.size == 0:
        return -math.inf
    return -0.691 + 10 * math.log10(float(final.mean()))


def normalising_gain_db(measured: float, target: float) -> float:
    """The one gain that brings ``measured`` LUFS to ``target``; 0 for silence."""
    return 0.0 if not math.isfinite(measured) else target - measured
