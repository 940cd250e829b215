"""Decode a frame once, for every product.

JPEG goes through FFmpeg's MJPEG decoder (PyAV): it is correct, strict about
damaged data (``err_detect=explode``) and about twice as fast as OpenCV's
``imdecode`` on the same files (see ``bench/products``). Its native output,
YCbCr planes, feeds the timelapse encoder without a round trip through BGR;
BGR (for the keogram column and the startrails stack) is made once.
Other formats (PNG, TIFF, 16-bit) go through :mod:`zenith.imaging`: 16-bit
data becomes 8-bit by scaling its significant bit depth (a 12-bit sensor in
a 16-bit file fills the range), as the capture service shows it, so the
startrails brightness threshold means the same for every input.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import av
import cv2
import numpy as np

from zenith.errors import BadRequest, NotFound
from zenith.imaging.decode import ImageError, decode_image
from zenith.imaging.stretch import to_display
from zenith.storage.blob import BlobStore
from zenith_products.errors import BadFrame

_local = threading.local()
JPEG_SOI = b"\xff\xd8"
JPEG_EOI = b"\xff\xd9"


@dataclass
class Decoded:
    """One frame: BGR pixels, its mean brightness (0..1) and, when it came
    from a JPEG, the decoder's own YCbCr frame (for the video encoder)."""

    bgr: np.ndarray
    mean: float
    source: av.VideoFrame | None = None

    @property
    def size(self) -> tuple[int, int]:
        return int(self.bgr.shape[1]), int(self.bgr.shape[0])

    def resized(self, width: int, height: int) -> Decoded:
        bgr = cv2.resize(self.bgr, (width, height), interpolation=cv2.INTER_AREA)
        return Decoded(bgr=bgr, mean=self.mean, source=None)

    def video_frame(self, width: int, height: int) -> av.VideoFrame:
        """The frame as yuv420p (limited range, BT.601) at ``width`` x ``height``."""
        if self.source is not None:
            return self.source.reformat(
                width=width, height=height, format="yuv420p", src_colorspace="ITU601",
                dst_colorspace="ITU601", src_color_range="JPEG", dst_color_range="MPEG",
                interpolation="AREA", threads=1)
        src = av.VideoFrame.from_ndarray(self.bgr, format="bgr24")
        return src.reformat(width=width, height=height, format="yuv420p",
                            dst_colorspace="ITU601", dst_color_range="MPEG",
                            interpolation="AREA", threads=1)


def _jpeg_decoder() -> av.CodecContext:
    codec = getattr(_local, "mjpeg", None)
    if codec is None:
        codec = av.CodecContext.create("mjpeg", "r")
        codec.thread_count = 1
        codec.options = {"err_detect": "explode"}
        _local.mjpeg = codec
    return codec


def _luma_mean(bgr: np.ndarray) -> float:
    if bgr.ndim == 2:
        return float(cv2.mean(bgr)[0]) / 255.0
    b, g, r, _ = cv2.mean(bgr)
    return (0.114 * b + 0.587 * g + 0.299 * r) / 255.0


def _decode_jpeg(data: bytes) -> Decoded:
    tail = data.rstrip(b"\x00\r\n ")
    if not tail.endswith(JPEG_EOI):
        raise BadFrame("truncated", "the JPEG has no end marker (truncated file)")
    codec = _jpeg_decoder()
    try:
        frames = codec.decode(av.Packet(data))
    except (av.FFmpegError, EOFError) as exc:
        _local.mjpeg = None  # the context may hold a half-parsed frame
        raise BadFrame("corrupt", f"the JPEG cannot be decoded: {exc}") from None
    if not frames:
        _local.mjpeg = None
        raise BadFrame("corrupt", "the JPEG holds no image")
    frame = frames[0]
    # one swscale thread: decoding runs in several threads already, and the
    # default (a thread per core) costs more than it saves on small frames
    bgr = frame.reformat(format="bgr24", threads=1).to_ndarray()
    if frame.format.name.startswith(("yuvj", "yuv")) and frame.planes:
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        mean = float(cv2.mean(luma[:, : plane.width])[0]) / 255.0
        if frame.color_range != 2:  # limited range Y (16..235): rescale to 0..1
            mean = min(1.0, max(0.0, (mean * 255.0 - 16.0) / 219.0))
    else:
        mean = _luma_mean(bgr)
    return Decoded(bgr=bgr, mean=mean, source=frame)


def _decode_other(data: bytes) -> Decoded:
    """PNG, TIFF... (8 or 16 bits) through :mod:`zenith.imaging`: 16-bit data is
    scaled by its significant depth, as the capture service shows it."""
    try:
        image = decode_image(data)
    except ImageError as exc:
        reason = {"empty_image": "empty", "truncated_image": "truncated"}.get(exc.code, "corrupt")
        raise BadFrame(reason, exc.message) from None
    pixels = to_display(image)
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    bgr = np.ascontiguousarray(pixels)
    return Decoded(bgr=bgr, mean=_luma_mean(bgr), source=None)


def decode(data: bytes) -> Decoded:
    """Decode an image file's bytes; :class:`BadFrame` says why it cannot be used."""
    if not data:
        raise BadFrame("empty", "the image file is empty (0 bytes)")
    if data.startswith(JPEG_SOI):
        return _decode_jpeg(data)
    return _decode_other(data)


def load_frame(blobs: BlobStore, key: str) -> Decoded:
    """Read a frame from the BlobStore and decode it (:class:`BadFrame` if unusable)."""
    try:
        data = blobs.read_bytes(key)
    except NotFound:
        raise BadFrame("missing", f"frame {key} is not in the BlobStore") from None
    except BadRequest as exc:
        raise BadFrame("invalid", f"frame key {key!r}: {exc.message}") from None
    except OSError as exc:
        raise BadFrame("missing", f"frame {key} cannot be read: {exc}") from None
    return decode(data)
