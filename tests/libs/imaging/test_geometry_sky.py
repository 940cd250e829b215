"""The fisheye model, SQM-like brightness and cloud cover."""

from __future__ import annotations

import numpy as np
import pytest

from zenith.imaging import Fisheye, cloud_cover_daylight, cloud_cover_from_stars, sky_brightness
from zenith.imaging.clouds import RINGS, cell_index, cell_weights


def test_zenith_horizon_and_orientation():
    lens = Fisheye.centered(1280, 960)
    assert lens.radius == 480
    x, y = lens.altaz_to_xy(np.array([90.0, 0.0, 0.0, 0.0]), np.array([0.0, 0.0, 90.0, 180.0]))
    assert (x[0], y[0]) == pytest.approx((lens.cx, lens.cy))
    assert (x[1], y[1]) == pytest.approx((lens.cx, lens.cy - 480))  # north at the top
    assert (x[2], y[2]) == pytest.approx((lens.cx - 480, lens.cy))  # east on the left
    assert (x[3], y[3]) == pytest.approx((lens.cx, lens.cy + 480))
    alt, az = lens.xy_to_altaz(x, y)
    assert alt == pytest.approx([90, 0, 0, 0], abs=1e-9)
    assert az[1:] == pytest.approx([0, 90, 180])


def test_rotated_lens_round_trips():
    lens = Fisheye(300, 200, 190, fov_deg=185, north_deg=30, east_left=False)
    alt = np.array([10.0, 45.0, 80.0])
    az = np.array([15.0, 200.0, 333.0])
    back_alt, back_az = lens.xy_to_altaz(*lens.altaz_to_xy(alt, az))
    assert back_alt == pytest.approx(alt) and back_az == pytest.approx(az)


def test_mask_is_the_sky_circle():
    lens = Fisheye.centered(200, 100)
    mask = lens.mask(200, 100)
    assert mask[50, 100] and not mask[0, 0]
    assert mask.sum() == pytest.approx(np.pi * 50 * 50, rel=0.05)
    assert lens.mask(200, 100, min_alt=45).sum() < mask.sum() / 2


def test_sky_brightness_in_magnitudes():
    # a background of 0.1 full scale in 10 s at gain 2 and 600"/px with zero point 0
    sqm = sky_brightness(0.1, 10.0, 2.0, 600.0, 0.0)
    assert sqm == pytest.approx(-2.5 * np.log10(0.1 / 20.0 / 360000.0))
    assert sky_brightness(0.2, 10.0, 2.0, 600.0, 0.0) == pytest.approx(sqm - 2.5 * np.log10(2))
    assert sky_brightness(0.1, 0.0, 1.0, 600.0, 0.0) is None  # unknown exposure
    assert sky_brightness(0.99, 1.0, 1.0, 600.0, 0.0) is None  # saturated


def test_cloud_cover_from_missing_stars():
    rng = np.random.default_rng(5)
    alt = rng.uniform(20, 90, 200)
    az = rng.uniform(0, 360, 200)
    lens = Fisheye.centered(960, 960)
    xy = np.stack(lens.altaz_to_xy(alt, az), axis=1)
    cells = cell_index(alt, az)
    clear = cloud_cover_from_stars(xy, cells, xy + 1.0, 5.0)
    assert clear.cover == 0.0 and clear.cells == sum(r[2] for r in RINGS)
    overcast = cloud_cover_from_stars(xy, cells, np.zeros((0, 2)), 5.0)
    assert overcast.cover == 1.0
    south = (az > 90) & (az < 270)
    half = cloud_cover_from_stars(xy, cells, xy[~south], 5.0)
    assert 0.3 < half.cover < 0.7


def test_cell_weights_cover_the_sky_above_20_degrees():
    assert cell_weights().sum() == pytest.approx(2 * np.pi * (1 - np.sin(np.radians(20))))


def test_daylight_cloud_cover_from_colour():
    sky = np.zeros((100, 100, 3), dtype=np.float32)
    sky[:, :] = (0.6, 0.4, 0.25)  # blue sky (BGR)
    sky[:, 70:] = (0.7, 0.7, 0.68)  # white cloud
    mask = np.ones((100, 100), dtype=bool)
    est = cloud_cover_daylight(sky, mask)
    assert est.cover == pytest.approx(0.3, abs=0.02)
    assert cloud_cover_daylight(sky[:, :, 0], mask).cover is None
