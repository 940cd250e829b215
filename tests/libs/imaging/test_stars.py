"""Star detection and half-flux radius on synthetic star fields."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from zenith.imaging import detect_stars, laplacian_variance, median_hfr


def star_field(sigma: float, positions: list[tuple[float, float]], flux: float = 0.6,
               seed: int = 0) -> np.ndarray:
    h, w = 300, 400
    ys, xs = np.mgrid[0:h, 0:w]
    img = np.full((h, w), 0.1, dtype=np.float64)
    for x, y in positions:
        img += flux * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma * sigma)) \
            / (2 * math.pi * sigma * sigma) * 10
    img += np.random.default_rng(seed).normal(0, 0.003, img.shape)
    return img.astype(np.float32)


POSITIONS = [(60.3, 70.7), (150.5, 200.2), (300.8, 90.1), (250.2, 250.6), (100.0, 150.0),
             (330.4, 220.3)]


def test_finds_the_stars_where_they_are():
    stars = detect_stars(star_field(1.5, POSITIONS))
    assert len(stars) == len(POSITIONS)
    for x, y in POSITIONS:
        nearest = min(stars, key=lambda s: math.hypot(s.x - x, s.y - y))
        assert math.hypot(nearest.x - x, nearest.y - y) < 0.3


@pytest.mark.parametrize("sigma", [1.2, 2.0, 3.5])
def test_half_flux_radius_of_a_gaussian(sigma):
    hfr = median_hfr(detect_stars(star_field(sigma, POSITIONS)))
    assert hfr == pytest.approx(1.1774 * sigma, rel=0.12)


def test_hot_pixels_are_not_stars():
    img = star_field(1.5, POSITIONS[:2])
    img[10:290:40, 20:390:50] = 1.0  # single bright pixels
    stars = detect_stars(img)
    assert len(stars) == 2


def test_mask_limits_the_search():
    img = star_field(1.5, POSITIONS)
    mask = np.zeros(img.shape, dtype=bool)
    cv2.circle(mask.view(np.uint8), (200, 150), 110, 1, -1)
    stars = detect_stars(img, mask)
    found = sorted((round(s.x), round(s.y)) for s in stars)
    assert len(found) == 2
    assert found[0] == (100, 150) and abs(found[1][0] - 150.5) <= 1 and found[1][1] == 200


def test_sharpness_drops_with_blur():
    sharp = star_field(1.2, POSITIONS)
    blurred = star_field(3.0, POSITIONS)
    assert laplacian_variance(sharp) > 2 * laplacian_variance(blurred)
