"""A hub's sky meters, one per camera, share the lens grids of a frame size."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from zenith.imaging.decode import image_from_array
from zenith_capture.skymetrics import SkyMeter, lens_grid

from .conftest import settings_for

NIGHT = datetime(2026, 11, 9, 21, 0, tzinfo=UTC)


def test_meters_of_other_sites_share_one_grid_and_another_lens_has_its_own(tmp_path):
    here = settings_for(tmp_path, latitude=52.0, longitude=5.0)
    there = settings_for(tmp_path, latitude=-33.9, longitude=151.2)
    wider = settings_for(tmp_path, capture_lens_fov_deg=200.0)
    grid = SkyMeter(here).grid(640, 480)
    assert SkyMeter(there).grid(640, 480) is grid
    assert SkyMeter(wider).grid(640, 480) is not grid
    assert SkyMeter(here).grid(320, 240) is not grid
    assert grid.mask.shape == (480, 640)


def test_a_meter_measures_the_same_with_a_shared_grid_as_with_a_fresh_one(tmp_path):
    rng = np.random.default_rng(3)
    sky = rng.normal(20, 3, (480, 640, 3)).clip(0, 255).astype(np.uint8)
    image = image_from_array(sky, 8)
    meter = SkyMeter(settings_for(tmp_path))
    shared = meter.measure(image, NIGHT, 10.0, 4.0, -40.0)
    lens_grid.cache_clear()
    fresh = SkyMeter(settings_for(tmp_path)).measure(image, NIGHT, 10.0, 4.0, -40.0)
    assert shared.fields() == fresh.fields()
