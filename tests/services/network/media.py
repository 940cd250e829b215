"""Test media: JPEGs of a given size (with EXIF/GPS if asked), videos, a bomb."""

from __future__ import annotations

import io
import struct

import cv2
import numpy as np

GPS_MARK = b"GPSLatitude=52.3702N"


def jpeg(width: int, height: int, *, exif: bool = False, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    raw = data.tobytes()
    if exif:
        payload = b"Exif\x00\x00" + GPS_MARK + b"\x00" * 16
        raw = raw[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + raw[2:]
    return raw


def bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A small JPEG whose header claims a huge picture."""
    raw = bytearray(jpeg(16, 16))
    i = 2
    while True:
        marker = raw[i + 1]
        length = struct.unpack(">H", raw[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC2):
            raw[i + 5:i + 9] = struct.pack(">HH", height, width)
            return bytes(raw)
        i += 2 + length


def video(codec: str = "libx264", fmt: str = "mp4", frames: int = 6) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for n in range(frames):
            img = np.full((48, 64, 3), n * 30 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def mpeg4_video() -> bytes:
    return video("mpeg4", "mp4")
