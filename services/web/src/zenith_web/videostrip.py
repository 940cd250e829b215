"""Strip container metadata from an uploaded video; its streams' bytes stay as sent.

A video's container can tell where, when and by whom it was made: MP4
``udta``/``meta`` boxes (``©xyz`` location, title, author, comment, ...),
Matroska/WebM tags, chapter titles and attachments, and whole data or
subtitle tracks (GPS tracks of action cameras and drones). None of that may
reach a public page. :func:`strip_video_metadata` remuxes: it copies every
video and audio packet unchanged (no decode, no re-encode) into a new file
of the container its codec belongs in (H.264 → MP4 with ``+faststart``,
VP9 → WebM) and writes no metadata of the source's: no global or stream
tags, no chapters, no attachments, no data or subtitle tracks. ``bitexact``
keeps the muxer from writing its own version string. Packets go one at a
time from file to file, so memory does not grow with the video.

A truncated upload is refused (``truncated_video``) instead of being stored
short: :func:`_ends_where_it_says` checks that the file is as long as its
top-level structure says (every MP4 top-level box inside the file; the
Matroska ``Segment`` no longer than the file, unless its size is unknown,
as a live recorder writes it), and no demuxed packet may be cut off.
"""

from __future__ import annotations

import contextlib
import os
import struct
from pathlib import Path

from zenith.errors import BadRequest

TARGET_FORMAT = {"h264": "mp4", "vp9": "webm"}
KEEP = ("video", "audio")
_EBML = b"\x1a\x45\xdf\xa3"
_SEGMENT = 0x18538067


class _File:
    def __init__(self, path: Path) -> None:
        self._fh = path.open("rb")

    def read_at(self, pos: int, n: int) -> bytes:
        self._fh.seek(pos)
        return self._fh.read(n)

    def close(self) -> None:
        self._fh.close()


def _truncated() -> BadRequest:
    return BadRequest("the video is truncated (the file ends before its container does)",
                      code="truncated_video")


def _mp4_complete(fh: _File, size: int) -> bool:
    pos = 0
    while pos < size:
        head = fh.read_at(pos, 16)
        if len(head) < 8:
            return False
        (box,) = struct.unpack(">I", head[:4])
        if box == 1:
            if len(head) < 16:
                return False
            (box,) = struct.unpack(">Q", head[8:16])
        elif box == 0:  # the last box runs to the end of the file
            return pos + 8 <= size
        if box < 8:
            return False
        pos += box
    return pos == size


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-size integer at ``pos``: (value, length, all value bits set)."""
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def _matroska_complete(fh: _File, size: int) -> bool:
    head = fh.read_at(0, 64)
    try:
        _, id_len, _ = _vint(head, 0, keep_marker=True)
        header, len_len, _ = _vint(head, id_len, keep_marker=False)
        pos = id_len + len_len + header
        more = fh.read_at(pos, 12)
        element, id_len, _ = _vint(more, 0, keep_marker=True)
        body, len_len, unknown = _vint(more, id_len, keep_marker=False)
    except (ValueError, IndexError):
        return False
    if element != _SEGMENT:
        return False
    return unknown or pos + id_len + len_len + body <= size


def _ends_where_it_says(path: Path) -> bool:
    size = path.stat().st_size
    fh = _File(path)
    try:
        start = fh.read_at(0, 12)
        if start[:4] == _EBML:
            return _matroska_complete(fh, size)
        if start[4:8] == b"ftyp":
            return _mp4_complete(fh, size)
        return True  # another container: its demuxer alone judges it
    finally:
        fh.close()


def strip_video_metadata(path: Path, codec: str) -> Path:
    """Remux ``path`` (an H.264 or VP9 video) without its metadata; returns the new
    file (beside ``path``, named ``<name>.clean``), which the caller moves. Raises
    :class:`BadRequest` (``truncated_video``, ``invalid_video``) with nothing left
    behind when the video is cut off or cannot be read to its end."""
    import av

    if not _ends_where_it_says(path):
        raise _truncated()
    target = path.with_name(path.name + ".clean")
    options = {"fflags": "+bitexact"}
    fmt = TARGET_FORMAT[codec]
    if fmt == "mp4":
        options["movflags"] = "+faststart"
    try:
        with av.open(str(path)) as source, \
                av.open(str(target), "w", format=fmt, options=options) as out:
            streams = {}
            for stream in source.streams:
                if stream.type in KEEP:
                    copy = out.add_stream_from_template(stream)
                    copy.metadata.clear()
                    streams[stream.index] = copy
            out.metadata.clear()
            written = 0
            for packet in source.demux([source.streams[i] for i in streams]):
                if packet.dts is None and packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                if packet.is_corrupt:
                    raise _truncated()
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
                written += 1
            if not written:
                raise BadRequest("the video has no packets", code="invalid_video")
    except BadRequest:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        raise
    except Exception as exc:  # av.FFmpegError and friends: cannot be read to its end
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        raise BadRequest(f"the video cannot be read to its end: {type(exc).__name__}",
                         code="invalid_video") from None
    return target
