"""JPEG encoding and thumbnails from 8-bit pixels (see :func:`to_display`)."""

from __future__ import annotations

import cv2
import numpy as np

from zenith.imaging.decode import Image, ImageError
from zenith.imaging.stretch import to_display


def _as_uint8(pixels: np.ndarray | Image) -> np.ndarray:
    if isinstance(pixels, Image):
        return to_display(pixels)
    if pixels.dtype != np.uint8:
        raise ImageError("encode 8-bit pixels: pass an Image or use to_display() first")
    return pixels


def encode_jpeg(pixels: np.ndarray | Image, quality: int = 90) -> bytes:
    """JPEG bytes (baseline, 4:2:0 for colour) at ``quality`` 1..100."""
    data = _as_uint8(pixels)
    ok, buf = cv2.imencode(".jpg", data, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ImageError("JPEG encoding failed", code="encode_failed")
    return buf.tobytes()


def resize_to_width(pixels: np.ndarray, width: int) -> np.ndarray:
    """Scale down to ``width`` keeping the aspect ratio (never scales up)."""
    h, w = pixels.shape[:2]
    if width >= w:
        return pixels
    height = max(1, round(h * width / w))
    return cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)


def make_thumbnail(pixels: np.ndarray | Image, width: int = 320) -> np.ndarray:
    """An 8-bit thumbnail ``width`` pixels wide (16-bit input is scaled first)."""
    return resize_to_width(_as_uint8(pixels), width)


def encode_jpeg_limited(pixels: np.ndarray | Image, max_bytes: int, *, quality: int = 90,
                        max_width: int | None = None, min_quality: int = 40
                        ) -> tuple[bytes, int, int]:
    """JPEG no larger than ``max_bytes``: lowers the quality (down to
    ``min_quality``), then the size, until it fits. Returns (bytes, width,
    height) of the encoded picture."""
    data = _as_uint8(pixels)
    if max_width:
        data = resize_to_width(data, max_width)
    q = int(quality)
    while True:
        jpeg = encode_jpeg(data, q)
        if len(jpeg) <= max_bytes:
            return jpeg, int(data.shape[1]), int(data.shape[0])
        if q > min_quality:
            q = max(min_quality, q - 15)
            continue
        if data.shape[1] <= 64:
            raise ImageError(f"cannot fit a JPEG into {max_bytes} bytes", code="too_large")
        data = resize_to_width(data, max(64, int(data.shape[1] * 0.7)))
