"""16-bit data shown correctly; JPEGs and thumbnails within their limits."""

from __future__ import annotations

import numpy as np
import pytest

from zenith.imaging import (
    decode_image,
    encode_jpeg,
    encode_jpeg_limited,
    image_from_array,
    make_thumbnail,
    to_display,
)


def night_frame_16() -> np.ndarray:
    """A dark sky (2% of full scale) with noise and a few saturated stars."""
    rng = np.random.default_rng(3)
    sky = rng.normal(0.02 * 65535, 300, (300, 400)).clip(0, 65535)
    for x, y in ((50, 50), (200, 150), (350, 250)):
        sky[y - 2:y + 3, x - 2:x + 3] = 65535
    return sky.astype(np.uint16)


def test_16_bit_is_scaled_by_its_depth_not_clipped():
    image = image_from_array(night_frame_16())
    shown = to_display(image)
    assert shown.dtype == np.uint8
    assert 2 <= shown.mean() <= 12  # dark sky stays dark, not white
    assert shown.max() == 255  # star cores keep their highlights
    assert (shown == 255).mean() < 0.01  # nothing else is pushed to white


def test_12_bit_data_fills_the_range():
    pixels = (np.linspace(0, 4095, 256 * 10).reshape(10, 256)).astype(np.uint16)
    shown = to_display(image_from_array(pixels))
    assert shown.max() == 255
    assert shown[:, 128].mean() == pytest.approx(127, abs=2)


def test_auto_stretch_brightens_the_sky_and_keeps_highlights():
    image = image_from_array(night_frame_16())
    plain = to_display(image)
    stretched = to_display(image, auto_stretch=True, target=0.25)
    sky = np.median(stretched)
    assert 40 <= sky <= 90 and sky > np.median(plain) * 3
    assert stretched[50, 50] == 255 and stretched[150, 200] == 255
    assert (stretched == 255).mean() < 0.01


def test_thumbnail_and_jpeg():
    pixels = np.full((480, 640, 3), 90, dtype=np.uint8)
    thumb = make_thumbnail(pixels, 320)
    assert thumb.shape == (240, 320, 3)
    assert make_thumbnail(pixels, 1000).shape == pixels.shape  # never scaled up
    decoded = decode_image(encode_jpeg(thumb, 85))
    assert (decoded.width, decoded.height) == (320, 240)


def test_jpeg_limited_fits_the_budget():
    noise = np.random.default_rng(1).integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    jpeg, width, height = encode_jpeg_limited(noise, 200_000, quality=95, max_width=1800)
    assert len(jpeg) <= 200_000
    assert width <= 1800 and height == round(1500 * width / 2000)
    assert decode_image(jpeg).width == width
