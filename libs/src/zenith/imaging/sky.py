"""Sky brightness: the mean level of a frame and an SQM-like zenith value.

:func:`sky_brightness` turns the background level of a zenith patch into
magnitudes per square arc-second, the unit of a Sky Quality Meter::

    sqm = zero_point - 2.5 log10((background - black_level) / (exposure * gain * scale²))

``background`` is linear (0..1 of full scale), ``scale`` the pixel scale in
arc-seconds at the zenith, and ``zero_point`` the magnitude of a source that
gives one full-scale unit per second at gain 1: a property of the lens and
sensor, calibrated once against a real SQM. Larger numbers mean a darker
sky (21.5 is a dark site, 18 a suburb or a moonlit sky).
"""

from __future__ import annotations

import math

import numpy as np

from zenith.imaging.geometry import Fisheye
from zenith.imaging.robust import median


def mean_brightness(gray: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean of a linear grey frame (0..1), inside ``mask`` when given."""
    values = gray[mask] if mask is not None else gray
    return float(values.mean()) if values.size else 0.0


def zenith_patch(lens: Fisheye, width: int, height: int, radius_deg: float = 5.0
                 ) -> tuple[slice, slice, np.ndarray]:
    """Rows, columns and a disc mask covering ``radius_deg`` around the zenith."""
    r = max(3.0, lens.zenith_radius_px(radius_deg))
    x0, x1 = max(0, int(lens.cx - r)), min(width, int(lens.cx + r) + 1)
    y0, y1 = max(0, int(lens.cy - r)), min(height, int(lens.cy + r) + 1)
    ys, xs = np.ogrid[y0:y1, x0:x1]
    disc = (xs - lens.cx) ** 2 + (ys - lens.cy) ** 2 <= r * r
    return slice(y0, y1), slice(x0, x1), disc


def zenith_background(gray: np.ndarray, lens: Fisheye, radius_deg: float = 5.0) -> float:
    """Median level of the zenith patch (the median ignores the stars in it)."""
    rows, cols, disc = zenith_patch(lens, gray.shape[1], gray.shape[0], radius_deg)
    values = gray[rows, cols][disc]
    return median(values) if values.size else 0.0


def sky_brightness(background: float, exposure_s: float, gain: float,
                   pixel_scale_arcsec: float, zero_point: float,
                   black_level: float = 0.0, saturation: float = 0.98) -> float | None:
    """Magnitudes per square arc-second, or None when it cannot be measured
    (unknown exposure, a saturated or an empty background)."""
    signal = background - black_level
    if exposure_s <= 0 or gain <= 0 or signal <= 0 or background >= saturation:
        return None
    per_arcsec2 = signal / (exposure_s * gain) / (pixel_scale_arcsec ** 2)
    return zero_point - 2.5 * math.log10(per_arcsec2)
