"""Clocks: the wall clock, or a simulated one running ``speed`` times faster."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from zenith.timefmt import utcnow


class Clock:
    """Wall time (``speed`` 1)."""

    speed: float = 1.0

    def now(self) -> datetime:
        return utcnow()

    def real_seconds(self, seconds: float) -> float:
        """Real seconds that ``seconds`` of this clock's time take."""
        return seconds / self.speed


class SimClock(Clock):
    """Starts at ``start`` and runs ``speed`` simulated seconds per real second."""

    def __init__(self, start: datetime, speed: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("the simulated start time needs a time zone")
        self.start = start
        self.speed = float(speed)
        self._monotonic = monotonic
        self._t0 = monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self._monotonic() - self._t0) * self.speed)

