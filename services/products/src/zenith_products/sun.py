"""When the sun rises above the configured angle (for silent cameras)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import ephem

POLAR_NIGHT_S = 12 * 3600.0


def sunrise_after(t: float, latitude: float, longitude: float, elevation: float,
                  angle: float) -> float:
    """Epoch seconds when the sun next rises above ``angle`` degrees after ``t``.

    In a polar day (the sun never goes below the angle) that is ``t`` itself;
    in a polar night (it never rises above it) ``t`` plus 12 hours."""
    observer = ephem.Observer()
    observer.lat = str(latitude)
    observer.lon = str(longitude)
    observer.elevation = elevation
    observer.pressure = 0
    observer.horizon = str(angle)
    observer.date = ephem.Date(datetime.fromtimestamp(t, UTC).replace(tzinfo=None))
    try:
        rising = observer.next_rising(ephem.Sun(), use_center=True)
    except ephem.AlwaysUpError:
        return t
    except ephem.NeverUpError:
        return t + POLAR_NIGHT_S
    return rising.datetime().replace(tzinfo=UTC).timestamp()


def sun_altitude(t: float, latitude: float, longitude: float, elevation: float = 0.0) -> float:
    """The sun's altitude in degrees at epoch ``t``."""
    observer = ephem.Observer()
    observer.lat = str(latitude)
    observer.lon = str(longitude)
    observer.elevation = elevation
    observer.pressure = 0
    observer.date = ephem.Date(datetime.fromtimestamp(t, UTC).replace(tzinfo=None))
    return math.degrees(float(ephem.Sun(observer).alt))
