"""Sky metrics of one frame, from the one decode the frame gets.

- ``mean``: mean linear brightness inside the sky circle (0..1);
- ``stars``: stars detected inside the circle; ``hfr``: their median
  half-flux radius; ``sharpness``: variance of the Laplacian;
- ``sqm``: zenith sky brightness in mag/arcsec² from the median of a
  5° zenith patch, the exposure, the gain and ``capture_sqm_zero_point``
  (:func:`zenith.imaging.sky.sky_brightness`);
- ``cloud_cover``: with the sun more than 6° down, from the catalogue
  stars that should be visible (brighter than ``capture_cloud_mag_limit``
  after extinction, a little brighter in late twilight) but are missing,
  cell by cell; by day, from the red/blue ratio of the sky
  (:mod:`zenith.imaging.clouds` explains both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import numpy as np

from zenith.imaging import clouds as cloud_lib
from zenith.imaging.decode import Image
from zenith.imaging.geometry import Fisheye
from zenith.imaging.sharpness import laplacian_variance
from zenith.imaging.sky import mean_brightness, sky_brightness, zenith_background
from zenith.imaging.skymask import SkyMask
from zenith.imaging.stars import (
    Star,
    detect_stars,
    estimate_background,
    median_hfr,
)
from zenith_capture.astro import Site, airmass, radec_to_altaz
from zenith_capture.catalogue import bright_stars
from zenith_capture.lens import lens_for
from zenith_capture.settings import CaptureSettings

EXTINCTION = 0.25
CLOUD_MIN_ALT = 20.0
STAR_MAX_HFR = 8.0  # pixels, for a 960-pixel sky circle: wider sources are not stars


@dataclass
class SkyMetrics:
    mean: float
    stars: int
    hfr: float | None
    sharpness: float
    sqm: float | None = None
    cloud_cover: float | None = None
    cloud_method: str | None = None
    star_list: list[Star] = field(default_factory=list, repr=False)

    def fields(self) -> dict[str, float]:
        """Numeric fields for the SeriesStore (unknown values left out)."""
        out: dict[str, float] = {"mean": round(self.mean, 5), "stars": float(self.stars),
                                 "sharpness": round(self.sharpness, 3)}
        for name in ("hfr", "sqm", "cloud_cover"):
            value = getattr(self, name)
            if value is not None and math.isfinite(value):
                out[name] = round(float(value), 4)
        return out


@dataclass
class _Grid:
    lens: Fisheye
    mask: np.ndarray
    sky: SkyMask  # the mask, with what star detection derives from it
    sky_cells: np.ndarray  # cell index per pixel (subsampled by 4), -1 outside
    cloud_sky: np.ndarray  # True above CLOUD_MIN_ALT


@lru_cache(maxsize=8)
def lens_grid(lens: Fisheye, width: int, height: int) -> _Grid:
    """The pixel grids of a lens at a frame size (about 11 MB for 1920x1080), made
    once per process and shared: a hub's meters, one per camera, all use the
    hub's lens settings, so a hundred cameras keep one grid, not a hundred."""
    alt, az = lens.altaz_grid(width, height)
    mask = lens.mask(width, height)
    return _Grid(lens=lens, mask=mask, sky=SkyMask(mask),
                 sky_cells=cloud_lib.cell_index(alt[::4, ::4], az[::4, ::4]),
                 cloud_sky=alt >= CLOUD_MIN_ALT)


class SkyMeter:
    def __init__(self, settings: CaptureSettings) -> None:
        self.settings = settings
        self.site = Site(settings.latitude, settings.longitude, settings.elevation)
        self.catalogue = bright_stars()
        self._grids: dict[tuple[int, int], _Grid] = {}

    def grid(self, width: int, height: int) -> _Grid:
        key = (width, height)
        if key not in self._grids:
            self._grids[key] = lens_grid(lens_for(self.settings, width, height), width, height)
            if len(self._grids) > 4:
                self._grids.pop(next(iter(self._grids)))
        return self._grids[key]

    def focus(self, image: Image) -> SkyMetrics:
        """What autofocus needs: stars, their median HFR and the sharpness."""
        gray = image.gray()
        g = self.grid(image.width, image.height)
        stars = detect_stars(gray, g.sky)
        return SkyMetrics(mean=mean_brightness(gray, g.mask), stars=len(stars),
                          hfr=median_hfr(stars), sharpness=laplacian_variance(gray, g.sky),
                          star_list=stars)

    def measure(self, image: Image, taken_at: datetime, exposure_s: float, gain: float,
                sun_alt: float) -> SkyMetrics:
        s = self.settings
        gray = image.gray()
        g = self.grid(image.width, image.height)
        background = estimate_background(gray, g.sky)
        stars = detect_stars(gray, g.sky, background=background,
                             max_hfr=max(STAR_MAX_HFR, STAR_MAX_HFR * g.lens.radius / 480.0))
        metrics = SkyMetrics(
            mean=mean_brightness(gray, g.mask), stars=len(stars), hfr=median_hfr(stars),
            sharpness=laplacian_variance(gray, g.sky), star_list=stars)
        metrics.sqm = sky_brightness(zenith_background(gray, g.lens), exposure_s, gain,
                                     g.lens.pixel_scale_arcsec, s.capture_sqm_zero_point,
                                     s.capture_black_level)
        if sun_alt <= -6.0:
            est = self._clouds_by_stars(g, taken_at, stars, background[0], metrics.hfr,
                                        sun_alt)
        else:
            est = cloud_lib.cloud_cover_daylight(image.normalized(), g.cloud_sky)
        metrics.cloud_cover, metrics.cloud_method = est.cover, est.method
        return metrics

    def expected_stars(self, lens: Fisheye, taken_at: datetime, sun_alt: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xy, alt, az) of catalogue stars a clear sky shows at ``taken_at``."""
        limit = self.settings.capture_cloud_mag_limit
        if sun_alt > -12.0:  # late twilight: only the brighter ones
            limit -= (sun_alt + 12.0) / 6.0 * 1.5
        cat = self.catalogue
        alt, az = radec_to_altaz(cat.ra_deg, cat.dec_deg, taken_at, self.site)
        up = alt >= CLOUD_MIN_ALT
        seen_mag = cat.vmag[up] + EXTINCTION * (airmass(alt[up]) - 1.0)
        bright = seen_mag <= limit
        alt_v, az_v = alt[up][bright], az[up][bright]
        xs, ys = lens.altaz_to_xy(alt_v, az_v)
        return np.stack([xs, ys], axis=1), alt_v, az_v

    def _clouds_by_stars(self, g: _Grid, taken_at: datetime, stars: list[Star],
                         background: np.ndarray, hfr: float | None,
                         sun_alt: float) -> cloud_lib.CloudEstimate:
        xy, alt, az = self.expected_stars(g.lens, taken_at, sun_alt)
        cells = cloud_lib.cell_index(alt, az)
        detected = np.array([(st.x, st.y) for st in stars], dtype=np.float64).reshape(-1, 2)
        radius = max(4.0, g.lens.radius * 0.012, min(3.0 * (hfr or 1.5), 12.0))
        flat = g.sky_cells.ravel()
        inside = flat >= 0
        n_cells = cloud_lib.cell_weights().size
        sums = np.bincount(flat[inside], weights=background[::4, ::4].ravel()[inside],
                           minlength=n_cells)
        counts = np.bincount(flat[inside], minlength=n_cells)
        cell_bg = sums / np.maximum(counts, 1)
        return cloud_lib.cloud_cover_from_stars(xy, cells, detected, radius,
                                                cell_background=cell_bg)
