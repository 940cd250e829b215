"""Area averaging: OpenCV's INTER_AREA values, on the separable path and off it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from zenith.imaging.area import downscale_area


@pytest.mark.parametrize(("shape", "size"), [
    ((1080, 1920), (60, 33)),   # a 1920 px frame in 32 px blocks: 1080 / 33 is not whole
    ((3040, 4056), (126, 95)),  # neither factor whole
    ((960, 1280), (40, 30)),    # both whole: OpenCV's own fast path
    ((101, 77), (3, 2)),
    ((300, 400), (1, 1)),
    ((40, 40), (30, 30)),       # less than twofold: handed to OpenCV
])
def test_the_same_means_as_opencv(shape, size):
    image = np.random.default_rng(shape[0]).random(shape, dtype=np.float32)
    expected = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    found = downscale_area(image, size)
    assert found.shape == expected.shape and found.dtype == np.float32
    assert np.abs(found - expected).max() < 1e-5


def test_a_sky_mask_s_cover_is_its_share_of_each_block():
    mask = np.zeros((1080, 1920), np.float32)
    mask[:, :960] = 1.0  # the left half
    cover = downscale_area(mask, (60, 33))
    assert np.allclose(cover[:, :30], 1.0) and np.allclose(cover[:, 30:], 0.0)


def test_other_images_go_to_opencv():
    colour = np.random.default_rng(1).random((100, 90, 3), dtype=np.float32)
    assert np.array_equal(downscale_area(colour, (9, 7)),
                          cv2.resize(colour, (9, 7), interpolation=cv2.INTER_AREA))
