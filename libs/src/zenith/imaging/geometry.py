"""The all-sky lens: where a direction in the sky lands in the picture.

:class:`Fisheye` models the usual all-sky optics, an *equidistant* fisheye
(radius proportional to the zenith angle): the zenith is at ``(cx, cy)`` and
the circle of ``radius`` pixels is the zenith angle ``fov_deg / 2`` (the
horizon for a 180° lens); outside it is black. Azimuth runs from north
through east. ``north_deg`` is where north points, clockwise from the top of
the picture; with ``east_left`` (a camera looking up, the usual case) east
is 90° counter-clockwise from north, as on a sky chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fisheye:
    cx: float
    cy: float
    radius: float
    fov_deg: float = 180.0
    north_deg: float = 0.0
    east_left: bool = True

    @classmethod
    def centered(cls, width: int, height: int, radius: float | None = None,
                 **kwargs: float | bool) -> Fisheye:
        """The circle centred in a ``width`` x ``height`` frame; radius
        defaults to half the shorter side."""
        r = radius if radius else min(width, height) / 2.0
        return cls((width - 1) / 2.0, (height - 1) / 2.0, float(r), **kwargs)  # type: ignore[arg-type]

    @property
    def half_fov_rad(self) -> float:
        return math.radians(self.fov_deg / 2.0)

    @property
    def pixel_scale_arcsec(self) -> float:
        """Arc-seconds per pixel at the zenith."""
        return self.fov_deg / 2.0 * 3600.0 / self.radius

    def altaz_to_xy(self, alt_deg: np.ndarray, az_deg: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates of sky directions (any altitude; check it yourself)."""
        zen = np.radians(90.0 - np.asarray(alt_deg, dtype=np.float64))
        r = zen / self.half_fov_rad * self.radius
        az = np.radians(np.asarray(az_deg, dtype=np.float64))
        rot = math.radians(self.north_deg)
        theta = rot - az if self.east_left else rot + az
        return self.cx + r * np.sin(theta), self.cy - r * np.cos(theta)

    def xy_to_altaz(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Altitude and azimuth (degrees) of pixel coordinates."""
        dx = np.asarray(x, dtype=np.float64) - self.cx
        dy = np.asarray(y, dtype=np.float64) - self.cy
        r = np.hypot(dx, dy)
        alt = 90.0 - np.degrees(r / self.radius * self.half_fov_rad)
        theta = np.arctan2(dx, -dy)
        rot = math.radians(self.north_deg)
        az = rot - theta if self.east_left else theta - rot
        return alt, np.degrees(az) % 360.0

    def altaz_grid(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Altitude and azimuth of every pixel (``float32`` arrays)."""
        ys, xs = np.mgrid[0:height, 0:width]
        alt, az = self.xy_to_altaz(xs, ys)
        return alt.astype(np.float32), az.astype(np.float32)

    def mask(self, width: int, height: int, min_alt: float = -90.0) -> np.ndarray:
        """True inside the sky circle (and at or above ``min_alt`` degrees)."""
        ys, xs = np.ogrid[0:height, 0:width]
        r2 = (xs - self.cx) ** 2 + (ys - self.cy) ** 2
        limit = self.radius
        if min_alt > -90.0:
            zen_max = math.radians(90.0 - min_alt)
            limit = min(limit, zen_max / self.half_fov_rad * self.radius)
        return np.asarray(r2 <= limit * limit)

    def zenith_radius_px(self, degrees: float) -> float:
        """How many pixels ``degrees`` of zenith angle span."""
        return degrees / (self.fov_deg / 2.0) * self.radius
