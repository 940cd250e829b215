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


def _half_flux_radius(values, dist, step=0.125):
    """One star's half-flux radius: its flux binned by distance, the cumulative
    curve interpolated where it crosses half the total."""
    total = float(values.sum())
    cum = np.cumsum(np.bincount((dist / step).astype(np.int64), weights=values))
    i = int(np.searchsorted(cum, total / 2.0))
    prev = float(cum[i - 1]) if i > 0 else 0.0
    width = float(cum[i]) - prev
    return (i + ((total / 2.0 - prev) / width if width > 0 else 0.0)) * step


def _one_by_one(padded, x, y, radius):
    """The measure of one candidate, step by step (what stars.py did per star)."""
    from zenith.imaging.stars import PAD, _offsets

    xs, ys, ring, core, core_xs, core_ys = _offsets(radius)
    stamp = padded[y + PAD - radius:y + PAD + radius + 1, x + PAD - radius:x + PAD + radius + 1]
    values = np.maximum(stamp - float(np.median(stamp[ring])), 0.0)
    inner = values[core]
    weight = float(inner.sum())
    if weight <= 0:
        return None
    dx = float((inner * core_xs).sum() / weight)
    dy = float((inner * core_ys).sum() / weight)
    dist = np.hypot(xs - dx, ys - dy)
    vals = values[dist <= radius]
    if float(vals.sum()) <= 0:
        return None
    return x + dx, y + dy, float(vals.sum()), _half_flux_radius(vals, dist[dist <= radius])


@pytest.mark.parametrize("radius", [8, 16, 32])
def test_candidates_measured_at_once_as_one_by_one(radius, monkeypatch):
    from zenith.imaging import stars

    monkeypatch.setattr(stars, "STACK", 5 * (2 * radius + 1) ** 2)  # several stacks
    field = star_field(2.0 if radius == 8 else 6.0, POSITIONS) - np.float32(0.1)
    padded = np.pad(field, stars.PAD)
    rng = np.random.default_rng(radius)
    xs = np.array([int(x) for x, _ in POSITIONS] + list(rng.integers(0, 400, 20)))
    ys = np.array([int(y) for _, y in POSITIONS] + list(rng.integers(0, 300, 20)))
    found = stars._measure_many(padded, xs, ys, radius)
    for n, (x, y) in enumerate(zip(xs, ys, strict=True)):
        expected = _one_by_one(padded, int(x), int(y), radius)
        assert bool(found.ok[n]) == (expected is not None)
        if expected is not None:
            got = (found.cx[n], found.cy[n], found.flux[n], found.hfr[n])
            assert got == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_sharpness_is_the_laplacian_s_variance_on_the_0_255_scale():
    field = star_field(1.5, POSITIONS)
    lap = cv2.Laplacian(field * np.float32(255.0), cv2.CV_32F, ksize=3)
    assert laplacian_variance(field) == pytest.approx(float(lap.var()), rel=1e-5)
