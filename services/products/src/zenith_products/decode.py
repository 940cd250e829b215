"""Decode a frame once, for every product.

JPEG goes through libjpeg-turbo by way of ``simplejpeg`` (wheels for x86-64
and aarch64 bundle the library): straight to BGR, strict about damaged data,
and the fastest single-threaded decode available to Python here (see
``bench/products``: OpenCV's ``imdecode`` uses the same library with the same
exact DCT and gives identical pixels, but allocates a fresh image each time;
FFmpeg's MJPEG decoder is slower still). Pixels are decoded into a buffer
from a small :class:`BufferPool`, handed back with :meth:`Decoded.release`
once the frame is applied, so a night of any length reuses the same few
megabytes instead of making the allocator map and unmap an image per frame
(the cause of both page-fault time and RSS growth with several threads).

Other formats (PNG, TIFF, 16-bit) go through :mod:`zenith.imaging`: 16-bit
data becomes 8-bit by scaling its significant bit depth (a 12-bit sensor in
a 16-bit file fills the range), as the capture service shows it, so the
startrails brightness threshold means the same for every input.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import cv2
import numpy as np
import simplejpeg

from zenith.errors import BadRequest, NotFound
from zenith_products.errors import BadFrame

if TYPE_CHECKING:
    import av

    from zenith.storage.blob import BlobStore

JPEG_SOI = b"\xff\xd8"
JPEG_EOI = b"\xff\xd9"


class BufferPool:
    """Reusable image buffers of one shape, at most ``size`` kept.

    :meth:`take` hands out a free buffer (or a new one); :meth:`give` puts
    it back. Buffers of another shape are dropped, so a night whose frame
    size changes simply allocates anew."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._free: deque[np.ndarray] = deque()
        self._lock = threading.Lock()

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        with self._lock:
            while self._free:
                buf = self._free.pop()
                if buf.shape == shape:
                    return buf
        return np.empty(shape, np.uint8)

    def give(self, buf: np.ndarray) -> None:
        with self._lock:
            if len(self._free) < self.size:
                self._free.append(buf)


POOL = BufferPool()


@dataclass
class Decoded:
    """One frame: BGR pixels and the mean of each channel (B, G, R; 0..1)."""

    bgr: np.ndarray
    means: tuple[float, float, float]
    pool: BufferPool | None = field(default=None, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.bgr.shape[1]), int(self.bgr.shape[0])

    def release(self) -> None:
        """Hand the pixel buffer back for the next frame (the pixels are gone)."""
        if self.pool is not None:
            self.pool.give(self.bgr)
            self.pool = None

    def resized(self, width: int, height: int) -> Decoded:
        bgr = cv2.resize(self.bgr, (width, height), interpolation=cv2.INTER_AREA)
        return Decoded(bgr=bgr, means=self.means)

    def video_frame(self, width: int, height: int) -> av.VideoFrame:
        """The frame as yuv420p (limited range, BT.601) at ``width`` x ``height``."""
        import av

        src = av.VideoFrame.from_ndarray(self.bgr, format="bgr24")
        return src.reformat(width=width, height=height, format="yuv420p",
                            dst_colorspace="ITU601", dst_color_range="MPEG",
                            interpolation="AREA", threads=1)


def channel_means(bgr: np.ndarray) -> tuple[float, float, float]:
    """B, G, R means (0..1), exact: from the channel sums (``sumElems`` is a
    few times faster than ``cv2.mean``, which is a third of a decode)."""
    b, g, r, _ = cv2.sumElems(bgr)
    scale = 255.0 * bgr.shape[0] * bgr.shape[1]
    return b / scale, g / scale, r / scale


def _decode_jpeg(data: bytes, pool: BufferPool | None) -> Decoded:
    tail = data.rstrip(b"\x00\r\n ")
    if not tail.endswith(JPEG_EOI):
        raise BadFrame("truncated", "the JPEG has no end marker (truncated file)")
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
        if colorspace in ("CMYK", "YCCK"):  # rare (print workflows): OpenCV converts them
            return _decode_other(data)
        buf = pool.take((height, width, 3)) if pool is not None else None
        bgr = simplejpeg.decode_jpeg(data, colorspace="BGR", buffer=buf, strict=True)
    except (ValueError, OSError) as exc:
        raise BadFrame("corrupt", f"the JPEG cannot be decoded: {exc}") from None
    if bgr.size == 0:
        raise BadFrame("corrupt", "the JPEG holds no image")
    return Decoded(bgr=bgr, means=channel_means(bgr), pool=pool if buf is not None else None)


def _decode_other(data: bytes) -> Decoded:
    """PNG, TIFF... (8 or 16 bits) through :mod:`zenith.imaging`: 16-bit data is
    scaled by its significant depth, as the capture service shows it."""
    from zenith.imaging.decode import ImageError, decode_image
    from zenith.imaging.stretch import to_display

    try:
        image = decode_image(data)
    except ImageError as exc:
        reason = {"empty_image": "empty", "truncated_image": "truncated"}.get(exc.code, "corrupt")
        raise BadFrame(reason, exc.message) from None
    pixels = to_display(image)
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    bgr = np.ascontiguousarray(pixels)
    return Decoded(bgr=bgr, means=channel_means(bgr))


def decode(data: bytes, pool: BufferPool | None = POOL) -> Decoded:
    """Decode an image file's bytes; :class:`BadFrame` says why it cannot be used.

    A JPEG's pixels live in a buffer of ``pool`` until :meth:`Decoded.release`."""
    if not data:
        raise BadFrame("empty", "the image file is empty (0 bytes)")
    if data.startswith(JPEG_SOI):
        return _decode_jpeg(data, pool)
    return _decode_other(data)


def load_frame(blobs: BlobStore, key: str, pool: BufferPool | None = POOL) -> Decoded:
    """Read a frame from the BlobStore and decode it (:class:`BadFrame` if unusable)."""
    try:
        data = blobs.read_bytes(key)
    except NotFound:
        raise BadFrame("missing", f"frame {key} is not in the BlobStore") from None
    except BadRequest as exc:
        raise BadFrame("invalid", f"frame key {key!r}: {exc.message}") from None
    except OSError as exc:
        raise BadFrame("missing", f"frame {key} cannot be read: {exc}") from None
    return decode(data, pool)
