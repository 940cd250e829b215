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


LOCATION = "+52.3702+004.8952/"
TITLE = "Backyard of Jane Doe"
VIDEO_MARKS = (b"52.3702", TITLE.encode(), b"Jane Doe", b"mystream")


def _with_xyz(data: bytes) -> bytes:
    """The MP4 with a ``moov/udta/©xyz`` location box, as a phone writes it
    (FFmpeg's muxer writes the title and comment, not ``©xyz``). The file's
    ``moov`` must be last, so no chunk offset moves."""
    pos, moov = 0, None
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"moov":
            moov = (pos, size)
        pos += size
    assert moov is not None and sum(moov) == len(data)
    loc = LOCATION.encode()
    xyz = struct.pack(">I4sHH", 12 + len(loc), b"\xa9xyz", len(loc), 0x15C7) + loc
    udta = struct.pack(">I4s", 8 + len(xyz), b"udta") + xyz
    start, size = moov
    return (data[:start] + struct.pack(">I4s", size + len(udta), b"moov")
            + data[start + 8:] + udta)


def video_with_metadata(codec: str = "libx264", fmt: str = "mp4", frames: int = 12) -> bytes:
    """A real encoded video (random pixels, so every frame differs) whose container
    holds a location, a title, a comment and a stream title."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        container.metadata.update({"title": TITLE, "location": LOCATION,
                                   "comment": "made at Jane Doe's house"})
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.metadata["title"] = "mystream"
        rng = np.random.default_rng(7)
        for _ in range(frames):
            img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = out.getvalue()
    return _with_xyz(data) if fmt == "mp4" else data


def faststart(data: bytes, fmt: str = "mp4") -> bytes:
    """The same video remuxed with its index first (``moov`` before ``mdat``), so a
    file cut short still opens: the case a truncation check must catch."""
    import tempfile
    from pathlib import Path

    import av

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"v.{fmt}"
        with av.open(io.BytesIO(data)) as source, \
                av.open(str(target), "w", format=fmt,
                        options={"movflags": "+faststart"}) as dst:
            stream = dst.add_stream_from_template(source.streams.video[0])
            for packet in source.demux(source.streams.video[0]):
                if packet.dts is not None:
                    packet.stream = stream
                    dst.mux(packet)
        return target.read_bytes()
