"""Check uploads by decoding them, never by name; strip what must not be public.

- :func:`check_jpeg`: the JPEG's size is read from its frame header before
  any pixel is decoded, so a decompression bomb (a small file that claims
  a huge picture) is refused without allocating it; the file must end with
  its end-of-image marker (a truncated upload is refused) and decode, strictly:
  libjpeg-turbo (``simplejpeg``, as products decodes frames) entropy-decodes
  every coefficient of the whole stream but reconstructs only the 1/8 scale in
  grey (DCT scaling), and any damage it meets is an error, not a warning: a
  file cut short and given an end marker again ("premature end of data
  segment") is ``truncated_image``, other damage ``invalid_image`` (OpenCV's
  decoder, used before, padded the missing part with grey and passed it). Then
  :func:`strip_jpeg_metadata` drops the APP1 (EXIF, GPS, XMP) and APP13
  (IPTC) segments without re-encoding a pixel.
- :func:`check_video`: PyAV must open the file and find an H.264 or VP9
  video stream whose first frame decodes. :func:`check_video_file` then
  rewrites it without its container metadata (location, title, tags,
  data tracks; :mod:`zenith_web.videostrip`), its packets unchanged.
"""

from __future__ import annotations

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import simplejpeg

from zenith.errors import BadRequest
from zenith_web.videostrip import strip_video_metadata

log = logging.getLogger("zenith.web.ingest")

VIDEO_CODECS = ("h264", "vp9")
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STRIP = {0xE1, 0xED}  # APP1 (EXIF, XMP), APP13 (IPTC)
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    rewritten: bool = False  # check_jpeg_file stripped metadata from the file


def _bad(message: str, code: str = "invalid_image") -> BadRequest:
    return BadRequest(message, code=code)


def _segments(data: bytes) -> tuple[list[tuple[int, int, int]], int]:
    """(marker, start, end) of each header segment, and where scan data begins."""
    if data[:2] != b"\xff\xd8":
        raise _bad("not a JPEG image")
    out = []
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise _bad("not a valid JPEG image (bad marker)")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise _bad("truncated JPEG image", "truncated_image")
        out.append((marker, pos, end))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return out, end
        pos = end
    raise _bad("truncated JPEG image", "truncated_image")


def check_jpeg(data: bytes, *, max_width: int, max_pixels: int) -> ImageInfo:
    segments, _ = _segments(data)
    size = None
    for marker, start, _end in segments:
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[start + 5:start + 9])
            size = (width, height)
            break
    if size is None or 0 in size:
        raise _bad("JPEG image without a frame size")
    width, height = size
    if width * height > max_pixels:
        raise _bad(f"image of {width}×{height} pixels is over the limit of {max_pixels} "
                   "pixels", "image_too_large")
    if width > max_width:
        raise _bad(f"image is {width} px wide; at most {max_width} px for this part",
                   "image_too_wide")
    if not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        raise _bad("truncated JPEG image (no end marker)", "truncated_image")
    _decode_strictly(data)
    return ImageInfo(width, height)


def _decode_strictly(data: bytes) -> tuple[int, ...]:
    """Decode every coefficient (only the 1/8 scale is reconstructed); any damage
    libjpeg-turbo reports, even one it could paper over, refuses the image.
    Returns the shape of what was reconstructed.

    ``simplejpeg`` scales only when a smallest size is asked for as well: with
    ``min_factor`` alone it reconstructs the full picture (a quarter more time,
    and the whole grey picture in memory)."""
    try:
        colorspace = simplejpeg.decode_jpeg_header(data)[2]
        target = "CMYK" if colorspace in ("CMYK", "YCCK") else "GRAY"
        pixels = simplejpeg.decode_jpeg(data, colorspace=target, min_factor=8, min_height=1,
                                        min_width=1, fastdct=True, strict=True)
    except (ValueError, OSError) as exc:
        text = str(exc)
        if "premature end" in text.lower():
            raise _bad("truncated JPEG image (its data ends early)", "truncated_image") \
                from None
        raise _bad(f"the JPEG image does not decode: {text[:200]}") from None
    if pixels.size == 0:
        raise _bad("the JPEG image does not decode")
    return tuple(pixels.shape)


def strip_jpeg_metadata(data: bytes) -> bytes:
    """The same JPEG without EXIF/GPS/XMP/IPTC segments (pixels untouched)."""
    segments, _ = _segments(data)
    drop = [(s, e) for marker, s, e in segments if marker in _STRIP]
    if not drop:
        return data
    out = bytearray()
    pos = 0
    for start, end in drop:
        out += data[pos:start]
        pos = end
    out += data[pos:]
    return bytes(out)


def check_and_strip_jpeg(data: bytes, *, max_width: int, max_pixels: int
                         ) -> tuple[ImageInfo, bytes | None]:
    """Check a JPEG; returns what it is and the bytes it must be stored as when
    that is not ``data`` (metadata stripped), else None."""
    info = check_jpeg(data, max_width=max_width, max_pixels=max_pixels)
    clean = strip_jpeg_metadata(data)
    return info, (None if clean is data else clean)


def check_jpeg_file(path: Path, *, max_width: int, max_pixels: int) -> ImageInfo:
    """Check a staged JPEG and rewrite it without metadata (in place)."""
    info, clean = check_and_strip_jpeg(path.read_bytes(), max_width=max_width,
                                       max_pixels=max_pixels)
    if clean is None:
        return info
    rewrite(path, clean)
    return ImageInfo(info.width, info.height, rewritten=True)


def rewrite(path: Path, data: bytes) -> None:
    """Replace the contents of ``path``, which must exist: a check running while
    its upload is refused and removed must not create the file again (that would
    leave it behind)."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    container: str


def check_video(path: Path, *, max_pixels: int) -> VideoInfo:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise _bad("the file has no video stream", "invalid_video")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in VIDEO_CODECS:
                raise _bad(f"video codec {codec!r}: send H.264 or VP9", "invalid_video")
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > max_pixels:
                raise _bad("video frames are over the pixel limit", "invalid_video")
            for _frame in container.decode(stream):
                break
            else:
                raise _bad("the video has no frame that decodes", "invalid_video")
            return VideoInfo(codec, width, height, container.format.name)
    except BadRequest:
        raise
    except Exception as exc:  # av.FFmpegError and friends: not a video we can read
        raise _bad(f"not a readable video: {type(exc).__name__}", "invalid_video") from None


def check_video_file(path: Path, *, max_pixels: int) -> VideoInfo:
    """Check a staged video and rewrite it without container metadata (in place)."""
    info = check_video(path, max_pixels=max_pixels)
    clean = strip_video_metadata(path, info.codec)
    os.replace(clean, path)
    return info
