"""Where the sun, the moon and the stars are for a site and a time.

The sun and moon come from PyEphem. Catalogue stars (J2000) are precessed
to the date (IAU 1976 angles) and turned into altitude/azimuth with the
local sidereal time, vectorised over numpy arrays. Refraction is ignored
(under 0.5° even at the horizon, a few pixels on an all-sky frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import ephem
import numpy as np

J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Site:
    latitude: float
    longitude: float
    elevation: float = 0.0

    def observer(self, when: datetime) -> ephem.Observer:
        obs = ephem.Observer()
        obs.lat = math.radians(self.latitude)
        obs.lon = math.radians(self.longitude)
        obs.elevation = self.elevation
        obs.pressure = 0  # geometric positions, no refraction
        obs.date = ephem.Date(when.astimezone(UTC).replace(tzinfo=None))
        return obs


@dataclass(frozen=True)
class Body:
    alt: float
    az: float


@dataclass(frozen=True)
class Moon(Body):
    illumination: float  # 0 new .. 1 full


def sun_position(site: Site, when: datetime) -> Body:
    sun = ephem.Sun(site.observer(when))
    return Body(math.degrees(sun.alt), math.degrees(sun.az))


def sun_altitude(site: Site, when: datetime) -> float:
    return sun_position(site, when).alt


def moon_position(site: Site, when: datetime) -> Moon:
    moon = ephem.Moon(site.observer(when))
    return Moon(math.degrees(moon.alt), math.degrees(moon.az), float(moon.moon_phase))


def is_night(sun_alt: float, night_sun_altitude: float) -> bool:
    return sun_alt < night_sun_altitude


def night_of(when: datetime, longitude: float, night: bool) -> str:
    """The date a frame is filed under, in local *solar* time (longitude/15 h
    from UTC): a night belongs to the date it began on (the night of 11-21
    runs from the evening of 11-21 to the morning of 11-22), a day frame to
    its own date."""
    solar = when.astimezone(UTC) + timedelta(hours=longitude / 15.0)
    if night:
        solar -= timedelta(hours=12)
    return solar.date().isoformat()


def local_sidereal_deg(when: datetime, longitude: float) -> float:
    """Local mean sidereal time in degrees (IAU 1982 GMST)."""
    days = (when.astimezone(UTC) - J2000).total_seconds() / 86400.0
    t = days / 36525.0
    gmst = (280.46061837 + 360.98564736629 * days + 0.000387933 * t * t
            - t * t * t / 38710000.0)
    return (gmst + longitude) % 360.0


def _precession_matrix(when: datetime) -> np.ndarray:
    t = (when.astimezone(UTC) - J2000).total_seconds() / 86400.0 / 36525.0
    arc = math.pi / (180.0 * 3600.0)
    zeta = (2306.2181 * t + 0.30188 * t * t + 0.017998 * t ** 3) * arc
    z = (2306.2181 * t + 1.09468 * t * t + 0.018203 * t ** 3) * arc
    theta = (2004.3109 * t - 0.42665 * t * t - 0.041833 * t ** 3) * arc
    cz, sz, ct, st, cZ, sZ = (math.cos(zeta), math.sin(zeta), math.cos(theta),
                              math.sin(theta), math.cos(z), math.sin(z))
    return np.array([
        [cz * ct * cZ - sz * sZ, -sz * ct * cZ - cz * sZ, -st * cZ],
        [cz * ct * sZ + sz * cZ, -sz * ct * sZ + cz * cZ, -st * sZ],
        [cz * st, -sz * st, ct],
    ])


def precess(ra_deg: np.ndarray, dec_deg: np.ndarray, when: datetime
            ) -> tuple[np.ndarray, np.ndarray]:
    """J2000 coordinates to the mean equator and equinox of ``when``."""
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    vec = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    out = _precession_matrix(when) @ vec
    return (np.degrees(np.arctan2(out[1], out[0])) % 360.0,
            np.degrees(np.arcsin(np.clip(out[2], -1, 1))))


def radec_to_altaz(ra_deg: np.ndarray, dec_deg: np.ndarray, when: datetime, site: Site,
                   *, j2000: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Altitude and azimuth (degrees, azimuth from north through east)."""
    ra, dec = (precess(ra_deg, dec_deg, when) if j2000 else (ra_deg, dec_deg))
    ha = np.radians(local_sidereal_deg(when, site.longitude) - ra)
    dec_r = np.radians(dec)
    lat = math.radians(site.latitude)
    sin_alt = np.sin(dec_r) * math.sin(lat) + np.cos(dec_r) * math.cos(lat) * np.cos(ha)
    alt = np.arcsin(np.clip(sin_alt, -1.0, 1.0))
    az = np.arctan2(-np.cos(dec_r) * np.sin(ha),
                    np.sin(dec_r) * math.cos(lat) - np.cos(dec_r) * math.sin(lat) * np.cos(ha))
    return np.degrees(alt), np.degrees(az) % 360.0


def airmass(alt_deg: np.ndarray) -> np.ndarray:
    """Relative air mass (Rozenberg), finite at the horizon."""
    s = np.sin(np.radians(np.clip(alt_deg, 0.0, 90.0)))
    return 1.0 / (s + 0.025 * np.exp(-11.0 * s))
