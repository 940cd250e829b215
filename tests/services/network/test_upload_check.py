"""The JPEG check on its own: a valid image passes with its size, only a
reduced picture is reconstructed, and damage is refused with its code."""

from __future__ import annotations

import pytest

from zenith.errors import BadRequest
from zenith_web import uploadcheck

from .media import bomb, jpeg


def test_a_valid_jpeg_passes_with_its_size():
    info = uploadcheck.check_jpeg(jpeg(1920, 1080), max_width=1920, max_pixels=10_000_000)
    assert (info.width, info.height) == (1920, 1080)


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (961, 541), (7, 5)])
def test_only_an_eighth_of_the_picture_is_reconstructed(width, height):
    shape = uploadcheck._decode_strictly(jpeg(width, height))
    assert shape[0] == -(-height // 8) and shape[1] == -(-width // 8)


def test_a_cut_scan_with_its_end_marker_put_back_is_truncated():
    data = jpeg(640, 480)
    cut = data[: len(data) // 2] + b"\xff\xd9"
    with pytest.raises(BadRequest) as err:
        uploadcheck.check_jpeg(cut, max_width=1920, max_pixels=10_000_000)
    assert err.value.code == "truncated_image"


def test_a_bomb_is_refused_before_decoding():
    with pytest.raises(BadRequest) as err:
        uploadcheck.check_jpeg(bomb(), max_width=100_000, max_pixels=50_000_000)
    assert err.value.code == "image_too_large"
