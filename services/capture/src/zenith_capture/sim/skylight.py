"""Brightness and colour of the sky background for the simulator.

Surface brightness is handled in magnitudes per square arc-second and
converted into full-scale units per second with the simulated camera's
zero point. Components, added as light:

- the moonless night sky (airglow and starlight), brightening towards the
  horizon as the van Rhijn function of a layer 300 km up;
- sunlight: a zenith brightness that follows the sun's altitude through
  twilight into day (a table from typical measurements), brighter towards
  the sun and the horizon, blue overhead and warm near a low sun;
- scattered moonlight: up to about 18 mag/arcsec² under a high full moon,
  scaled by the lit fraction and the moon's altitude, brighter near it.
"""

from __future__ import annotations

import numpy as np

# zenith surface brightness (V mag/arcsec²) of sunlight alone, by sun altitude
_SUN_ALT = np.array([-90, -18, -15, -12, -9, -6, -3, 0, 5, 10, 20, 40, 90], dtype=np.float64)
_SUN_MAG = np.array([30, 23.5, 21.3, 19.0, 16.0, 12.8, 10.0, 7.8, 6.0, 5.2, 4.6, 4.2, 4.0])
FULL_MOON_SKY_MAG = 18.0


def _bgr(b: float, g: float, r: float) -> np.ndarray:
    """A colour whose Rec. 601 luminance is 1 (so grey measurements match)."""
    lum = 0.114 * b + 0.587 * g + 0.299 * r
    return np.array([b / lum, g / lum, r / lum], dtype=np.float32)


NIGHT = _bgr(0.85, 1.0, 0.9)
DAY = _bgr(1.45, 1.0, 0.62)
WARM = _bgr(0.55, 0.85, 1.45)
TOWN = _bgr(0.7, 0.9, 1.3)
WHITE = _bgr(1.0, 1.0, 1.0)


def mag_to_flux(mag: float | np.ndarray, zero_point: float) -> np.ndarray:
    return np.power(10.0, -0.4 * (np.asarray(mag, dtype=np.float64) - zero_point))


def sunlight_zenith_mag(sun_alt: float) -> float:
    return float(np.interp(sun_alt, _SUN_ALT, _SUN_MAG))


def star_colour(bv: np.ndarray) -> np.ndarray:
    """(N, 3) BGR weights (luminance 1) from B-V colour indices."""
    points = np.array([-0.4, 0.0, 0.6, 1.2, 1.9])
    table = np.stack([_bgr(1.3, 1.0, 0.78), _bgr(1.1, 1.0, 0.9), _bgr(0.9, 1.0, 1.05),
                      _bgr(0.65, 0.95, 1.25), _bgr(0.45, 0.85, 1.45)])
    bv = np.clip(np.asarray(bv, dtype=np.float64), points[0], points[-1])
    return np.stack([np.interp(bv, points, table[:, c]) for c in range(3)], axis=1)


def van_rhijn(alt_deg: np.ndarray) -> np.ndarray:
    z = np.radians(90.0 - np.clip(alt_deg, 0.0, 90.0))
    ratio = 6371.0 / (6371.0 + 300.0)
    return 1.0 / np.sqrt(1.0 - (ratio * np.sin(z)) ** 2)


def moonlight_zenith_mag(moon_alt: float, illumination: float) -> float | None:
    if moon_alt <= -1.0 or illumination <= 0.01:
        return None
    height = np.clip(np.sin(np.radians(moon_alt + 1.0)), 0.0, 1.0) ** 0.7
    scale = (illumination ** 2.5) * height
    if scale <= 1e-6:
        return None
    return float(FULL_MOON_SKY_MAG - 2.5 * np.log10(scale))


def moon_magnitude(illumination: float) -> float:
    """Apparent magnitude of the moon from its lit fraction (Allen's formula)."""
    phase = np.degrees(np.arccos(np.clip(2.0 * illumination - 1.0, -1.0, 1.0)))
    return float(-12.73 + 0.026 * phase + 4e-9 * phase ** 4)
