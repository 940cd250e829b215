"""Decode images (JPEG, PNG, TIFF, BMP, WebP) into an :class:`Image`.

An :class:`Image` keeps the pixels exactly as stored (``uint8`` or
``uint16``, grey ``HxW`` or colour ``HxWx3`` in OpenCV's BGR order) plus
the number of *significant* bits. A 12-bit sensor saved in a 16-bit PNG
has values up to 4095 only; scaling it by 65535 would give a nearly black
picture, so :func:`significant_bits` infers the depth from the data when
the caller does not know it (10, 12, 14 or 16 bits).

Every failure is an :class:`ImageError` (a ``BadRequest``) with a stable
``code``: ``empty_image``, ``truncated_image``, ``bad_image``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from zenith.errors import BadRequest

DEPTHS_16 = (10, 12, 14, 16)


class ImageError(BadRequest):
    """An image could not be decoded (empty, truncated, corrupt, unsupported)."""

    default_code = "bad_image"


def significant_bits(pixels: np.ndarray) -> int:
    """8 for ``uint8``; for ``uint16`` the smallest of 10/12/14/16 bits
    that holds the largest value."""
    if pixels.dtype == np.uint8:
        return 8
    if pixels.dtype != np.uint16:
        raise ImageError(f"unsupported pixel type {pixels.dtype}", code="bad_image")
    top = int(pixels.max()) if pixels.size else 0
    for bits in DEPTHS_16:
        if top <= (1 << bits) - 1:
            return bits
    return 16


@dataclass(frozen=True)
class Image:
    """Decoded pixels and their significant bit depth."""

    pixels: np.ndarray
    bit_depth: int

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return 1 if self.pixels.ndim == 2 else int(self.pixels.shape[2])

    @property
    def max_value(self) -> int:
        return (1 << self.bit_depth) - 1

    def normalized(self) -> np.ndarray:
        """Linear ``float32`` in 0..1 (divided by the bit depth's full scale)."""
        out = self.pixels.astype(np.float32)
        out *= np.float32(1.0 / self.max_value)
        return out

    def gray(self) -> np.ndarray:
        """Linear luminance (Rec. 601 weights) as ``float32`` in 0..1: the grey of
        the pixels, then scaled (a third of the work of scaling the colours first;
        the same values to within float32 rounding)."""
        if self.pixels.ndim == 2:
            return self.normalized()
        out = luminance(self.pixels.astype(np.float32))
        out *= np.float32(1.0 / self.max_value)
        return out


def luminance(pixels: np.ndarray) -> np.ndarray:
    """Grey from BGR (Rec. 601 weights); a grey input is returned as is."""
    if pixels.ndim == 2:
        return pixels
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)


def image_from_array(pixels: np.ndarray, bit_depth: int | None = None) -> Image:
    """Wrap an array a driver produced: drops alpha, checks type and shape."""
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ImageError(f"unsupported pixel type {pixels.dtype}: use uint8 or uint16")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    elif pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = np.ascontiguousarray(pixels[:, :, :3])
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise ImageError(f"unsupported image shape {pixels.shape}")
    if pixels.shape[0] < 2 or pixels.shape[1] < 2:
        raise ImageError(f"image too small: {pixels.shape[1]}x{pixels.shape[0]}")
    if bit_depth is None:
        bit_depth = significant_bits(pixels)
    elif pixels.dtype == np.uint8 and bit_depth != 8:
        raise ImageError(f"8-bit pixels cannot hold {bit_depth} bits")
    elif not 8 < bit_depth <= 16 and pixels.dtype == np.uint16:
        raise ImageError(f"16-bit pixels with a bit depth of {bit_depth}")
    return Image(pixels, bit_depth)


def sniff_format(data: bytes) -> str | None:
    """``jpeg``, ``png``, ``tiff``, ``bmp``, ``webp`` or None, from the magic bytes."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:2] == b"BM":
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_complete(data: bytes) -> None:
    """Refuse a file whose writer has not finished: a JPEG must end with its
    end-of-image marker, a PNG with its IEND chunk (decoders happily return
    half a picture padded with grey otherwise)."""
    if not data:
        raise ImageError("the file is empty", code="empty_image")
    kind = sniff_format(data)
    if kind is None:
        raise ImageError("not a JPEG, PNG, TIFF, BMP or WebP image", code="bad_image")
    if kind == "jpeg" and b"\xff\xd9" not in data[-64:].rstrip(b"\x00\r\n "):
        raise ImageError("the JPEG is truncated (no end-of-image marker)",
                         code="truncated_image")
    if kind == "png" and b"IEND" not in data[-16:]:
        raise ImageError("the PNG is truncated (no IEND chunk)", code="truncated_image")


_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


def decode_image(data: bytes, *, reduce: int = 1, check: bool = True,
                 bit_depth: int | None = None) -> Image:
    """Decode encoded bytes, keeping 16-bit data and colour.

    ``reduce`` (2, 4 or 8) decodes a JPEG at that fraction of its size,
    much faster (for previews and keogram columns; the result is 8-bit
    colour). ``check`` refuses truncated files first (see
    :func:`check_complete`). ``bit_depth`` overrides the inferred depth of
    16-bit data."""
    if check:
        check_complete(data)
    elif not data:
        raise ImageError("the file is empty", code="empty_image")
    if reduce not in (1, 2, 4, 8):
        raise ImageError(f"reduce must be 1, 2, 4 or 8, not {reduce}", code="bad_request")
    buf = np.frombuffer(data, dtype=np.uint8)
    flags = cv2.IMREAD_UNCHANGED if reduce == 1 else _REDUCED[reduce]
    try:
        pixels = cv2.imdecode(buf, flags)
    except cv2.error as exc:
        raise ImageError(f"the image cannot be decoded: {exc.msg}") from None
    if pixels is None:
        raise ImageError("the image cannot be decoded (corrupt or unsupported)")
    if pixels.dtype not in (np.uint8, np.uint16):
        pixels = _to_uint16(pixels)
    return image_from_array(pixels, bit_depth)


def _to_uint16(pixels: np.ndarray) -> np.ndarray:
    """Float or 32-bit TIFFs: scale into 16 bits (floats are taken as 0..1)."""
    if np.issubdtype(pixels.dtype, np.floating):
        scaled: np.ndarray = np.clip(np.nan_to_num(pixels) * 65535.0, 0, 65535)
        return scaled.astype(np.uint16)
    top = max(int(pixels.max()), 1)
    shift = max(0, top.bit_length() - 16)
    shifted: np.ndarray = np.clip(pixels, 0, None) >> shift
    return shifted.astype(np.uint16)


def read_image(path: str | Path, *, reduce: int = 1, check: bool = True) -> Image:
    """Read and decode a file (see :func:`decode_image`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}", code="unreadable") \
            from None
    return decode_image(data, reduce=reduce, check=check)
