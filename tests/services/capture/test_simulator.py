"""The simulated camera: deterministic, turning sky, focus blur, 16-bit output."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from zenith.imaging import detect_stars, image_from_array, median_hfr, to_display
from zenith_capture.astro import Site, radec_to_altaz
from zenith_capture.backends.simulator import sim_config
from zenith_capture.catalogue import bright_stars
from zenith_capture.lens import lens_for
from zenith_capture.sim.render import SkyRenderer

from .conftest import DAY, NIGHT, settings_for


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return settings_for(tmp_path_factory.mktemp("sim"), capture_sim_focus_position=1000)


@pytest.fixture(scope="module")
def renderer(settings):
    return SkyRenderer(sim_config(settings))


def test_same_seed_and_time_give_the_same_frame(settings, renderer):
    first = renderer.render(NIGHT, 20.0, 2.0, 1000)
    again = SkyRenderer(sim_config(settings)).render(NIGHT, 20.0, 2.0, 1000)
    assert np.array_equal(first, again)
    later = renderer.render(NIGHT + timedelta(seconds=1), 20.0, 2.0, 1000)
    assert not np.array_equal(first, later)
    other_seed = SkyRenderer(sim_config(settings.model_copy(
        update={"capture_sim_seed": 2}))).render(NIGHT, 20.0, 2.0, 1000)
    assert not np.array_equal(first, other_seed)


def test_frame_is_a_fisheye_circle_black_outside(settings, renderer):
    frame = renderer.render(NIGHT, 20.0, 2.0, 1000)
    assert frame.shape == (settings.capture_height, settings.capture_width, 3)
    lens = lens_for(settings, settings.capture_width, settings.capture_height)
    outside = ~lens.mask(settings.capture_width, settings.capture_height)
    assert np.percentile(frame[outside], 99) == 0  # only a few hot pixels out there
    assert frame[~outside].mean() > 20


def _hour_angle_and_dec(alt: float, az: float, lat: float) -> tuple[float, float]:
    a, z, p = math.radians(alt), math.radians(az), math.radians(lat)
    dec = math.asin(math.sin(a) * math.sin(p) + math.cos(a) * math.cos(p) * math.cos(z))
    ha = math.atan2(-math.sin(z) * math.cos(a),
                    math.sin(a) * math.cos(p) - math.cos(a) * math.sin(p) * math.cos(z))
    return math.degrees(ha) % 360.0, math.degrees(dec)


def _measure(renderer, settings, name, when):
    """Where the star really is in the frame: the detection nearest its expected place."""
    cat = bright_stars()
    i = cat.index(name)
    site = Site(settings.latitude, settings.longitude)
    alt, az = radec_to_altaz(cat.ra_deg[[i]], cat.dec_deg[[i]], when, site)
    lens = lens_for(settings, settings.capture_width, settings.capture_height)
    ex, ey = lens.altaz_to_xy(alt, az)
    image = image_from_array(renderer.render(when, 10.0, 1.0, 1000))
    stars = detect_stars(image.gray(), lens.mask(image.width, image.height))
    star = min(stars, key=lambda s: math.hypot(s.x - ex[0], s.y - ey[0]))
    assert math.hypot(star.x - ex[0], star.y - ey[0]) < 3
    m_alt, m_az = lens.xy_to_altaz(np.array([star.x]), np.array([star.y]))
    return _hour_angle_and_dec(float(m_alt[0]), float(m_az[0]), settings.latitude)


def test_stars_turn_about_the_pole_at_the_sidereal_rate(settings, renderer):
    hours = 2.0
    ha1, dec1 = _measure(renderer, settings, "Capella", NIGHT)
    ha2, dec2 = _measure(renderer, settings, "Capella", NIGHT + timedelta(hours=hours))
    turned = (ha2 - ha1) % 360.0
    assert turned == pytest.approx(15.0411 * hours, abs=0.6)  # 1.2 px at this frame size
    assert dec1 == pytest.approx(46.0, abs=0.5) and dec2 == pytest.approx(46.0, abs=0.5)


def test_blur_grows_with_focus_offset(settings, renderer):
    mask = lens_for(settings, settings.capture_width, settings.capture_height).mask(
        settings.capture_width, settings.capture_height)

    def hfr_at(position):
        image = image_from_array(renderer.render(NIGHT, 20.0, 2.0, position))
        return median_hfr(detect_stars(image.gray(), mask))

    hfr = [hfr_at(p) for p in (1000, 1075, 1150, 1300)]
    assert hfr[0] < hfr[1] < hfr[2] < hfr[3]
    assert hfr[3] > 2 * hfr[0]
    assert hfr_at(850) > hfr[1]  # either side of focus blurs


def test_16_bit_frames_are_not_white(settings):
    deep = SkyRenderer(sim_config(settings.model_copy(update={"capture_sim_bit_depth": 16})))
    raw = deep.render(NIGHT, 20.0, 2.0, 1000)
    assert raw.dtype == np.uint16 and raw.max() > 255
    image = image_from_array(raw, 16)
    shown = to_display(image)
    lens = lens_for(settings, settings.capture_width, settings.capture_height)
    sky = shown[lens.mask(settings.capture_width, settings.capture_height)]
    assert 0.05 * 255 < sky.mean() < 0.6 * 255
    assert (sky == 255).mean() < 0.005  # not clipped to white
    assert np.percentile(sky, 99.99) > 200  # bright stars keep their highlights
    eight = SkyRenderer(sim_config(settings)).render(NIGHT, 20.0, 2.0, 1000)
    assert shown.mean() == pytest.approx(eight.mean(), rel=0.02)


def test_exposure_and_gain_scale_the_signal(renderer):
    short = renderer.render(NIGHT, 5.0, 1.0, 1000).mean()
    longer = renderer.render(NIGHT, 10.0, 1.0, 1000).mean()
    gained = renderer.render(NIGHT, 5.0, 2.0, 1000).mean()
    assert longer == pytest.approx(2 * short, rel=0.1)
    assert gained == pytest.approx(2 * short, rel=0.1)


def test_daylight_is_blue_and_far_brighter(renderer):
    day = renderer.render(DAY, 5e-6, 1.0, 1000).astype(float)
    night = renderer.render(NIGHT, 5e-6, 1.0, 1000).astype(float)
    assert day.mean() > 30 * max(night.mean(), 0.1)
    b, _, r = (day[:, :, c][day[:, :, 1] > 0].mean() for c in range(3))
    assert b > 1.3 * r


def test_meteors_show_up_when_frequent(settings):
    busy = SkyRenderer(sim_config(settings.model_copy(
        update={"capture_sim_meteor_rate": 3600.0 * 50, "capture_sim_faint_stars": 0})))
    quiet = SkyRenderer(sim_config(settings.model_copy(
        update={"capture_sim_meteor_rate": 0.0, "capture_sim_faint_stars": 0})))
    with_trails = busy.render(NIGHT, 20.0, 2.0, 1000).astype(float)
    without = quiet.render(NIGHT, 20.0, 2.0, 1000).astype(float)
    assert (with_trails - without).sum() > 1000
