"""Auto exposure against the simulated camera: converges, no oscillation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zenith.imaging import image_from_array, mean_brightness
from zenith_capture.backends.simulator import sim_config
from zenith_capture.exposure import AutoExposure, Limits
from zenith_capture.lens import lens_for
from zenith_capture.sim.render import SkyRenderer

from .conftest import DAY, NIGHT, settings_for

NIGHT_LIMITS = Limits(1e-3, 30.0, 1.0, 16.0)
DAY_LIMITS = Limits(1e-6, 1.0, 1.0, 1.0)


@pytest.fixture(scope="module")
def camera(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("exp"))
    renderer = SkyRenderer(sim_config(settings))
    mask = lens_for(settings, settings.capture_width, settings.capture_height).mask(
        settings.capture_width, settings.capture_height)

    def mean(when, exposure, gain):
        return mean_brightness(image_from_array(renderer.render(when, exposure, gain)).gray(),
                               mask)
    return mean


def run(camera, when, exposure, gain, limits, target=0.3, frames=18):
    auto = AutoExposure()
    history = []
    for _ in range(frames):
        m = camera(when, exposure, gain)
        history.append((exposure, gain, m))
        exposure, gain = auto.next(exposure, gain, m, target, limits)
    return history


@pytest.mark.parametrize("when, exposure, gain, limits", [
    (NIGHT, 0.01, 1.0, NIGHT_LIMITS),   # far too dark
    (NIGHT, 30.0, 16.0, NIGHT_LIMITS),  # saturated
    (DAY, 0.5, 1.0, DAY_LIMITS),        # saturated by day
    (DAY, 1e-6, 1.0, DAY_LIMITS),
])
def test_converges_from_either_side_without_overshoot(camera, when, exposure, gain, limits):
    history = run(camera, when, exposure, gain, limits)
    final = history[-1][2]
    assert final == pytest.approx(0.3, rel=0.12)
    errors = [math.log2(0.3 / max(m, 1e-5)) for _, _, m in history]
    # the error keeps its sign (beyond the dead band): it never swings past the target
    start = np.sign(errors[0])
    assert all(np.sign(e) in (start, 0) or abs(e) <= 0.15 for e in errors)
    # and settles: the last frames change nothing (no flicker)
    assert history[-1][:2] == history[-2][:2]


def test_exposure_first_then_gain(camera):
    history = run(camera, NIGHT, 0.01, 1.0, Limits(1e-3, 4.0, 1.0, 16.0), frames=16)
    gains_before_full_exposure = [g for e, g, _ in history if e < 4.0]
    assert all(g == 1.0 for g in gains_before_full_exposure)
    assert history[-1][0] == 4.0 and history[-1][1] > 1.0


def test_steps_are_limited():
    auto = AutoExposure()
    exposure, _ = auto.next(0.001, 1.0, 0.0001, 0.3, NIGHT_LIMITS)
    assert exposure == pytest.approx(0.001 * 2 ** 1.5)
    assert auto.next(1.0, 1.0, 0.31, 0.3, NIGHT_LIMITS) == (1.0, 1.0)  # in the dead band
