"""Sun altitude, day or night, and which night a frame belongs to."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import ephem
import numpy as np
import pytest

from zenith_capture.astro import Site, is_night, night_of, radec_to_altaz, sun_altitude
from zenith_capture.catalogue import bright_stars

SITE = Site(52.0, 5.0)


@pytest.mark.parametrize("when, expected", [
    (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), "day"),
    (datetime(2026, 11, 21, 22, 0, tzinfo=UTC), "night"),
    (datetime(2026, 11, 21, 6, 0, tzinfo=UTC), "night"),
    (datetime(2026, 6, 21, 20, 30, tzinfo=UTC), "day"),  # civil twilight counts as day
    (datetime(2026, 6, 21, 22, 0, tzinfo=UTC), "night"),
])
def test_day_or_night_from_the_sun(when, expected):
    alt = sun_altitude(SITE, when)
    assert ("night" if is_night(alt, -6.0) else "day") == expected


def test_the_night_angle_is_a_setting():
    when = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)  # just after sunset
    alt = sun_altitude(SITE, when)
    assert -6 < alt < 0
    assert not is_night(alt, -6.0) and is_night(alt, 0.0)


def test_sun_matches_ephem():
    when = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    obs = ephem.Observer()
    obs.lat, obs.lon, obs.date = "52", "5", "2026/3/20 12:00"
    obs.pressure = 0
    assert sun_altitude(SITE, when) == pytest.approx(math.degrees(ephem.Sun(obs).alt), abs=1e-6)


@pytest.mark.parametrize("when, night, longitude, expected", [
    (datetime(2026, 11, 21, 21, 0, tzinfo=UTC), True, 5.0, "2026-11-21"),
    (datetime(2026, 11, 22, 4, 0, tzinfo=UTC), True, 5.0, "2026-11-21"),
    (datetime(2026, 11, 22, 10, 0, tzinfo=UTC), False, 5.0, "2026-11-22"),
    (datetime(2026, 11, 21, 23, 30, tzinfo=UTC), True, 5.0, "2026-11-21"),
    # 150° E: 14:00 UTC is midnight local solar time on the 22nd
    (datetime(2026, 11, 21, 14, 0, tzinfo=UTC), True, 150.0, "2026-11-21"),
    (datetime(2026, 11, 21, 21, 0, tzinfo=UTC), False, 150.0, "2026-11-22"),
    # 120° W: 05:00 UTC on the 22nd is 21:00 local on the 21st
    (datetime(2026, 11, 22, 5, 0, tzinfo=UTC), True, -120.0, "2026-11-21"),
])
def test_frames_are_filed_under_the_night_they_began(when, night, longitude, expected):
    assert night_of(when, longitude, night) == expected


def test_catalogue_positions_match_ephem():
    cat = bright_stars()
    when = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    obs = SITE.observer(when)
    for name in ("Vega", "Capella", "Sirius", "Polaris", "Deneb"):
        i = cat.index(name)
        alt, az = radec_to_altaz(cat.ra_deg[[i]], cat.dec_deg[[i]], when, SITE)
        star = ephem.star(name)
        star.compute(obs)
        assert float(alt[0]) == pytest.approx(math.degrees(star.alt), abs=0.05)
        d_az = (float(az[0]) - math.degrees(star.az) + 180) % 360 - 180
        assert abs(d_az * math.cos(math.radians(float(alt[0])))) < 0.05


def test_catalogue_is_the_bright_sky():
    cat = bright_stars()
    assert len(cat) >= 300
    assert cat.vmag.min() == pytest.approx(-1.46)  # Sirius
    assert np.all(cat.vmag <= 4.0)
