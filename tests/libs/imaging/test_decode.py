"""Decoding 8- and 16-bit images; refusing empty, truncated and corrupt ones."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from zenith.imaging import (
    ImageError,
    check_complete,
    decode_image,
    image_from_array,
    read_image,
    significant_bits,
)


def _png(pixels: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", pixels)
    assert ok
    return buf.tobytes()


def _jpeg(pixels: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def gradient(bits: int = 8, colour: bool = True) -> np.ndarray:
    top = (1 << bits) - 1
    row = np.linspace(0, top, 200)
    grey = np.tile(row, (100, 1)).astype(np.uint8 if bits == 8 else np.uint16)
    return np.dstack([grey, grey, grey]) if colour else grey


def test_jpeg_decodes_to_8_bit_colour():
    image = decode_image(_jpeg(gradient()))
    assert (image.width, image.height, image.channels, image.bit_depth) == (200, 100, 3, 8)
    assert image.normalized().max() == pytest.approx(1.0, abs=0.03)


def test_16_bit_png_keeps_its_depth_and_values():
    pixels = gradient(16, colour=False)
    image = decode_image(_png(pixels))
    assert image.pixels.dtype == np.uint16
    assert image.bit_depth == 16
    assert np.array_equal(image.pixels, pixels)


def test_12_bit_data_in_16_bit_container_is_recognised():
    pixels = gradient(12)
    image = decode_image(_png(pixels))
    assert image.bit_depth == 12
    assert image.normalized().max() == pytest.approx(1.0)
    assert significant_bits(np.array([[1023]], dtype=np.uint16)) == 10


def test_reduced_decode_is_a_quarter_size():
    image = decode_image(_jpeg(gradient()), reduce=4)
    assert (image.width, image.height) == (50, 25)


@pytest.mark.parametrize("data, code", [
    (b"", "empty_image"),
    (b"hello, not an image", "bad_image"),
])
def test_unusable_bytes_are_refused_clearly(data, code):
    with pytest.raises(ImageError) as info:
        decode_image(data)
    assert info.value.code == code
    assert info.value.status == 400


def test_truncated_jpeg_and_png_are_refused():
    jpeg = _jpeg(gradient())
    with pytest.raises(ImageError) as info:
        decode_image(jpeg[: len(jpeg) // 2])
    assert info.value.code == "truncated_image"
    png = _png(gradient())
    with pytest.raises(ImageError) as info:
        check_complete(png[:-20])
    assert info.value.code == "truncated_image"


def test_corrupt_body_with_valid_markers_is_refused():
    jpeg = bytearray(_jpeg(gradient()))
    jpeg[2:200] = b"\x00" * 198  # wreck the headers, keep start and end markers
    with pytest.raises(ImageError):
        decode_image(bytes(jpeg))


def test_image_from_array_drops_alpha_and_checks_type(tmp_path):
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    assert image_from_array(rgba).channels == 3
    with pytest.raises(ImageError):
        image_from_array(np.zeros((10, 10), dtype=np.float64))
    path = tmp_path / "a.png"
    path.write_bytes(_png(gradient()))
    assert read_image(path).width == 200
    with pytest.raises(ImageError) as info:
        read_image(tmp_path / "missing.png")
    assert info.value.code == "unreadable"


@pytest.mark.parametrize("bits", [8, 12])
def test_grey_is_the_luminance_of_the_scaled_colours(bits):
    from zenith.imaging.decode import image_from_array, luminance

    dtype = np.uint8 if bits == 8 else np.uint16
    pixels = np.random.default_rng(bits).integers(0, 1 << bits, (60, 80, 3)).astype(dtype)
    image = image_from_array(pixels, bits)
    assert np.allclose(image.gray(), luminance(image.normalized()), rtol=1e-6, atol=1e-7)
