"""Decoding frames once, and refusing bad ones with a reason."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.services.products.synth import SkySynth, jpeg_bytes
from zenith.imaging.decode import image_from_array
from zenith.imaging.stretch import to_display
from zenith_products.decode import BufferPool, decode, load_frame
from zenith_products.errors import BadFrame
from zenith_products.startrails import brightness


@pytest.fixture(scope="module")
def sky_jpeg() -> tuple[np.ndarray, bytes]:
    img = SkySynth(320, 240, stars=40).frame(0, level=0.05)
    return img, jpeg_bytes(img, 95)


def test_jpeg_decodes_like_opencv(sky_jpeg):
    _, data = sky_jpeg
    decoded = decode(data)
    reference = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.size == (320, 240)
    assert np.abs(decoded.bgr.astype(int) - reference.astype(int)).max() <= 4
    gray = cv2.cvtColor(reference, cv2.COLOR_BGR2GRAY).mean() / 255
    assert brightness(decoded.means, "luma") == pytest.approx(gray, abs=0.003)
    channels = reference.reshape(-1, 3).mean(axis=0) / 255
    assert decoded.means == pytest.approx(tuple(channels), abs=1e-6)
    assert brightness(decoded.means, "brightest") == pytest.approx(channels.max(), abs=1e-6)
    frame = decoded.video_frame(160, 120)
    assert (frame.format.name, frame.width, frame.height) == ("yuv420p", 160, 120)


@pytest.mark.parametrize("mangle, reason", [
    (lambda d: b"", "empty"),
    (lambda d: d[: len(d) // 2], "truncated"),
    (lambda d: d[:-200], "truncated"),
    (lambda d: b"\xff\xd8" + b"\x00garbage" * 50 + b"\xff\xd9", "corrupt"),
    (lambda d: b"this is not an image at all", "corrupt"),
    (lambda d: d[:300] + b"\xff\xd9", "corrupt"),
])
def test_bad_files_are_refused_with_a_reason(sky_jpeg, mangle, reason):
    with pytest.raises(BadFrame) as info:
        decode(mangle(sky_jpeg[1]))
    assert info.value.reason == reason


def test_the_decoder_recovers_after_a_bad_file(sky_jpeg):
    with pytest.raises(BadFrame):
        decode(sky_jpeg[1][:300] + b"\xff\xd9")
    assert decode(sky_jpeg[1]).size == (320, 240)


def test_missing_and_invalid_keys(tmp_path):
    from zenith.storage.blob import BlobStore

    blobs = BlobStore(tmp_path)
    with pytest.raises(BadFrame) as info:
        load_frame(blobs, "frames/none.jpg")
    assert info.value.reason == "missing"
    with pytest.raises(BadFrame) as info:
        load_frame(blobs, "../etc/passwd")
    assert info.value.reason == "invalid"


def test_sixteen_bit_png_is_scaled_by_its_significant_depth():
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 4096, (60, 80, 3), dtype=np.uint16)  # 12-bit sensor data
    ok, png = cv2.imencode(".png", raw)
    assert ok
    decoded = decode(png.tobytes())
    expected = to_display(image_from_array(raw))
    assert decoded.bgr.dtype == np.uint8
    assert np.array_equal(decoded.bgr, expected)
    assert brightness(decoded.means, "luma") == pytest.approx(
        cv2.cvtColor(expected, cv2.COLOR_BGR2GRAY).mean() / 255, abs=0.002)


def test_grey_jpeg_becomes_three_channels():
    grey = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))
    _, data = cv2.imencode(".jpg", grey)
    decoded = decode(data.tobytes())
    assert decoded.bgr.shape == (48, 64, 3)


def test_released_buffers_are_reused_and_kept_ones_are_not(sky_jpeg):
    _, data = sky_jpeg
    pool = BufferPool(size=2)
    first = decode(data, pool)
    pixels = first.bgr.copy()
    first.release()
    second = decode(data, pool)
    assert np.shares_memory(first.bgr, second.bgr)  # the released buffer came back
    third = decode(data, pool)  # the second is still held: a buffer of its own
    assert not np.shares_memory(second.bgr, third.bgr)
    assert np.array_equal(second.bgr, pixels) and np.array_equal(third.bgr, pixels)
    second.release()
    second.release()  # twice is harmless
    assert len([decode(data, pool) for _ in range(2)]) == 2
