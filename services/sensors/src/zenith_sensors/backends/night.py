"""A plausible simulated night for every simulated sensor.

Hours since the start of the night, ``h``, run at ``speed`` times real
time. The air cools from 12 °C to 3 °C at the middle of a 12-hour night and
warms again; the dew point follows it down more slowly, so the spread
(temperature minus dew point) shrinks from 5.5 °C to zero at midnight:
dew, unless a heater warms the dome (``heating``, 0..1, adds up to 4 °C
at the dome sensor). Clouds pass for 40 minutes of every 3 hours: the sky
temperature jumps from 25 °C below the air to 4 °C below it, and the sky
brightens. Deterministic for a given ``seed`` and clock.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from datetime import datetime

from zenith_sensors.dewpoint import relative_humidity

NIGHT_H = 12.0
DUSK_SOLAR_H = 18.0


def night_hours(when: datetime, longitude: float) -> float:
    """Hours since 18:00 local solar time (the simulated dusk) at ``when``."""
    solar = when.hour + when.minute / 60 + when.second / 3600 + longitude / 15.0
    return (solar - DUSK_SOLAR_H) % 24.0
HEATER_GAIN_C = 4.0
HEATER_TAU_H = 0.25


class Night:
    def __init__(self, clock: Callable[[], float] = time.monotonic, speed: float = 1.0,
                 start_h: float = 0.0, seed: int = 7) -> None:
        self.clock = clock
        self.speed = speed
        self.start_h = start_h
        self._t0 = clock()
        self.heating = 0.0
        self.rng = random.Random(seed)
        self._warmth = 0.0
        self._warmth_at = self.hours

    @property
    def hours(self) -> float:
        return (self.start_h + (self.clock() - self._t0) * self.speed / 3600.0) % 24.0

    def _phase(self) -> float:
        h = self.hours
        return math.sin(math.pi * h / NIGHT_H) if h < NIGHT_H else 0.0

    def noise(self, scale: float) -> float:
        return self.rng.gauss(0.0, scale)

    def air_c(self) -> float:
        return 12.0 - 9.0 * self._phase()

    def dew_c(self) -> float:
        return 6.5 - 3.5 * self._phase()

    def dome_c(self) -> float:
        """The air, plus what the heater has warmed the dome so far (it takes
        ``HEATER_TAU_H`` to come most of the way to full effect)."""
        now = self.hours
        dt = max(0.0, now - self._warmth_at)
        self._warmth_at = now
        target = min(max(self.heating, 0.0), 1.0)
        self._warmth += (target - self._warmth) * (1.0 - math.exp(-dt / HEATER_TAU_H))
        return self.air_c() + HEATER_GAIN_C * self._warmth

    def dome_rh(self) -> float:
        return min(100.0, relative_humidity(self.dome_c(), self.dew_c()))

    def cloud_cover(self) -> float:
        """0 clear .. 1 overcast; passing clouds with soft edges."""
        minutes = (self.hours * 60.0) % 180.0
        if 60.0 <= minutes < 100.0:
            edge = min(minutes - 60.0, 100.0 - minutes)
            return min(1.0, 0.2 + edge / 8.0)
        return 0.05

    def sky_minus_air_c(self) -> float:
        return -25.0 + 21.0 * self.cloud_cover()

    def sqm(self) -> float:
        return 21.3 - 2.5 * self.cloud_cover()
