"""Focus curve fitting on synthetic sweeps with known best focus."""

from __future__ import annotations

import math
import random

import pytest

from zenith_gpio.focuser.autofocus import sweep_note, sweep_positions
from zenith_gpio.focuser.curve import Sample, best_focus, choose_method, usable


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("focus", [1137, 1250, 1318])
def test_parabola_with_noise_finds_the_vertex_within_two_steps(seed, focus):
    rng = random.Random(seed)
    positions = list(range(1000, 1501, 20))
    hfr = [2.0 + 4e-4 * (p - focus) ** 2 + rng.gauss(0, 0.03) for p in positions]
    fit = best_focus(positions, hfr, lower_is_better=True)
    assert fit.vertex_used
    assert abs(fit.best_position - focus) <= 2
    a, b, c = fit.coefficients  # of hfr(position), in steps
    vertex = -b / (2 * a)
    assert a > 0 and abs(vertex - focus) <= 2
    assert a * vertex**2 + b * vertex + c == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize("focus", [1111, 1260, 1333])
def test_hyperbolic_hfr_curve(focus):
    rng = random.Random(focus)
    positions = list(range(1000, 1501, 25))
    hfr = [math.hypot(1.6, 0.02 * (p - focus)) + rng.gauss(0, 0.01) for p in positions]
    fit = best_focus(positions, hfr, lower_is_better=True)
    assert abs(fit.best_position - focus) <= 2


@pytest.mark.parametrize("focus", [940, 1000, 1072])
def test_sharpness_peak_is_a_maximum(focus):
    rng = random.Random(3)
    positions = list(range(800, 1201, 20))
    sharpness = [50 + 900 * math.exp(-(((p - focus) / 120) ** 2)) + rng.gauss(0, 2)
                 for p in positions]
    fit = best_focus(positions, sharpness, lower_is_better=False)
    assert fit.vertex_used and abs(fit.best_position - focus) <= 2
    assert fit.coefficients[0] < 0


def test_a_curve_without_a_minimum_gives_the_best_sample():
    positions = [0, 10, 20, 30, 40]
    hump = [3.0, 3.8, 4.0, 3.9, 3.6]  # HFR worst in the middle: the parabola opens down
    fit = best_focus(positions, hump, lower_is_better=True)
    assert not fit.vertex_used and fit.best_position == 0
    assert fit.coefficients is not None and fit.coefficients[0] < 0
    dip = [100.0, 60.0, 50.0, 55.0, 90.0]  # sharpness with a dip: no maximum
    fit = best_focus(positions, dip, lower_is_better=False)
    assert not fit.vertex_used and fit.best_position == 0


def test_the_vertex_is_clamped_to_the_sweep():
    positions = list(range(0, 101, 10))
    hfr = [1.0 + 1e-3 * (p - 130) ** 2 for p in positions]  # true focus beyond the end
    fit = best_focus(positions, hfr, lower_is_better=True)
    assert fit.best_position == 100


def test_unsorted_samples_are_fine():
    positions = [300, 100, 200, 0, 400]
    hfr = [2 + 1e-4 * (p - 210) ** 2 for p in positions]
    assert abs(best_focus(positions, hfr, lower_is_better=True).best_position - 210) <= 1


def test_too_few_samples():
    with pytest.raises(ValueError):
        best_focus([1, 2], [1.0, 2.0], lower_is_better=True)


def test_method_is_hfr_when_most_frames_have_enough_stars():
    good = [Sample(p, 2.0, 30, 100.0) for p in range(5)]
    assert choose_method(good, 5) == "hfr"
    # defocused ends of a sweep with too few stars: still HFR, those left out
    edges = [Sample(-1, 6.0, 3, 80.0), *good, Sample(9, None, 0, 80.0)]
    assert choose_method(edges, 5) == "hfr"
    assert [s.position for s in usable(edges, "hfr", 5)] == [0, 1, 2, 3, 4]
    few = [*good[:2], *(Sample(p, 4.0, 4, 80.0) for p in range(10, 14))]
    assert choose_method(few, 5) == "laplacian"
    assert len(usable(few, "laplacian", 5)) == 6
    no_stars = [Sample(p, None, 0, 80.0) for p in range(6)]
    assert choose_method(no_stars, 5) == "laplacian"
    with pytest.raises(ValueError):
        choose_method([*no_stars, Sample(10, None, 0, None)], 5)


@pytest.mark.parametrize("start, end, step, expected", [
    (0, 100, 50, [0, 50, 100]),
    (0, 100, 40, [0, 40, 80, 100]),
    (-10, 10, 10, [-10, 0, 10]),
])
def test_sweep_positions_end_at_the_end(start, end, step, expected):
    assert sweep_positions(start, end, step) == expected


def test_sweep_notes():
    positions = [0, 10, 20, 30]
    assert sweep_note(10, positions, [3.0, 2.0, 2.5, 3.5]) is None
    assert "end of the sweep (30)" in sweep_note(30, positions, [4.0, 3.0, 2.5, 2.0])
    assert "start of the sweep (0)" in sweep_note(0, positions, [2.0, 3.0, 3.5, 4.0])
    assert "no focus signal" in sweep_note(20, positions, [199.5, 199.6, 199.9, 199.4])
