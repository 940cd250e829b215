"""Auto exposure: proportional control in log space, exposure before gain.

Each frame's mean brightness (linear, 0..1) is compared with the target in
photographic stops: ``error = log2(target / mean)``. The change applied is
``k * error`` stops, limited to ``max_step`` stops per frame, and nothing
within ``deadband`` stops of the target (so a settled sky does not
flicker). The new product exposure x gain is spent on exposure first, up
to its limit, and only then on gain; going darker, gain comes down first.
For a sensor whose signal is proportional to exposure x gain the error
shrinks by ``(1 - k)`` each frame: it converges without overshooting.
A nearly saturated frame (mean above ``saturated``) says only "far too
bright", so it gets the largest step down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    min_exposure_s: float
    max_exposure_s: float
    min_gain: float
    max_gain: float

    def clamp(self, exposure_s: float, gain: float) -> tuple[float, float]:
        return (min(self.max_exposure_s, max(self.min_exposure_s, exposure_s)),
                min(self.max_gain, max(self.min_gain, gain)))


@dataclass(frozen=True)
class AutoExposure:
    k: float = 0.6
    max_step: float = 1.5  # stops per frame
    deadband: float = 0.1  # stops
    saturated: float = 0.8  # mean brightness

    def error_stops(self, mean: float, target: float) -> float:
        return math.log2(target / max(mean, 1e-5))

    def next(self, exposure_s: float, gain: float, mean: float, target: float,
             limits: Limits) -> tuple[float, float]:
        """Exposure and gain for the next frame."""
        exposure_s, gain = limits.clamp(exposure_s, gain)
        error = self.error_stops(mean, target)
        if abs(error) <= self.deadband:
            return exposure_s, gain
        step = max(-self.max_step, min(self.max_step, self.k * error))
        if mean >= self.saturated:
            step = -self.max_step
        product = exposure_s * gain * (2.0 ** step)
        new_exposure = min(limits.max_exposure_s,
                           max(limits.min_exposure_s, product / limits.min_gain))
        new_gain = min(limits.max_gain, max(limits.min_gain, product / new_exposure))
        return new_exposure, new_gain
