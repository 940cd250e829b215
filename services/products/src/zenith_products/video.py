"""H.264 video with PyAV (libx264): segments, joining, short clips.

A night's timelapse is encoded as frames arrive, in segments of a bounded
number of frames (each a small MP4 starting with a key frame). Segments of
one night share their encoder settings, so their H.264 parameter sets are
identical and :func:`concat` joins them by copying packets (no re-encoding)
into one MP4 with the index (``moov``) before the data (``+faststart``), the
form every browser plays progressively. Output is ``yuv420p``, limited
range, BT.601 (the colour matrix of JPEG). FFmpeg (``av``) is imported on
first use, so a render without videos never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import av

log = logging.getLogger("zenith.products.video")

SMPTE170M = 6  # BT.601 primaries, transfer and matrix
FASTSTART = {"movflags": "+faststart"}


@dataclass(frozen=True)
class VideoParams:
    width: int
    height: int
    fps: int = 25
    crf: int = 23
    bitrate_kbps: int = 0
    preset: str = "veryfast"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoParams:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def even_size(width: int, height: int, max_width: int = 0) -> tuple[int, int]:
    """A frame size H.264 yuv420p accepts: even, at most ``max_width`` wide."""
    if max_width and width > max_width:
        height = round(height * max_width / width)
        width = max_width
    return max(2, width - width % 2), max(2, height - height % 2)


def _add_stream(container: Any, params: VideoParams) -> Any:
    stream = container.add_stream("libx264", rate=params.fps)
    stream.width = params.width
    stream.height = params.height
    stream.pix_fmt = "yuv420p"
    ctx = stream.codec_context
    ctx.color_range = 1  # MPEG (limited)
    ctx.colorspace = SMPTE170M
    ctx.color_primaries = SMPTE170M
    ctx.color_trc = SMPTE170M
    options = {"preset": params.preset}
    if params.bitrate_kbps:
        stream.bit_rate = params.bitrate_kbps * 1000
    else:
        options["crf"] = str(params.crf)
    stream.options = options
    return stream


class SegmentEncoder:
    """Encode frames one by one into an MP4 file; :meth:`close` finishes it."""

    def __init__(self, path: Path, params: VideoParams, faststart: bool = False) -> None:
        import av

        self.path = path
        self.params = params
        self.frames = 0
        self._out = av.open(str(path), "w", format="mp4",
                            options=FASTSTART if faststart else {})
        self._stream = _add_stream(self._out, params)

    def add(self, frame: av.VideoFrame) -> None:
        frame.pts = self.frames
        frame.time_base = Fraction(1, self.params.fps)
        for packet in self._stream.encode(frame):
            self._out.mux(packet)
        self.frames += 1

    def close(self) -> int:
        for packet in self._stream.encode(None):
            self._out.mux(packet)
        self._out.close()
        return self.frames

    def abort(self) -> None:
        try:
            self._out.close()
        except Exception:  # a half-written segment is thrown away anyway
            log.debug("closing an aborted segment failed", exc_info=True)
        self.path.unlink(missing_ok=True)


def encode_clip(frames: Iterable[av.VideoFrame], path: Path, params: VideoParams) -> int:
    """Encode ``frames`` into one faststart MP4; returns the frame count."""
    encoder = SegmentEncoder(path, params, faststart=True)
    try:
        for frame in frames:
            encoder.add(frame)
    except BaseException:
        encoder.abort()
        raise
    return encoder.close()


def _extradata(path: Path) -> tuple[bytes, int, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        return bytes(ctx.extradata or b""), ctx.width, ctx.height


def concat(paths: list[Path], out: Path, params: VideoParams) -> int:
    """Join segments into one faststart MP4 at ``out``; returns frames written.

    Segments with the same parameter sets are copied packet by packet; if
    they differ (settings changed between segments) everything is
    re-encoded with ``params`` instead."""
    if not paths:
        raise ValueError("no segments to join")
    import av

    first = _extradata(paths[0])
    if any(_extradata(p) != first for p in paths[1:]):
        log.info("segments differ in parameters: re-encoding %d of them", len(paths))
        return encode_clip(_decoded(paths, params), out, params)
    frames = 0
    with av.open(str(paths[0])) as template:
        with av.open(str(out), "w", format="mp4", options=FASTSTART) as target:
            ost = target.add_stream_from_template(template.streams.video[0])
            joiner = _Joiner(target, ost)
            for path in paths:
                frames += joiner.copy(path)
    return frames


class _Joiner:
    """Copies packets of successive segments, shifting their times so each
    segment starts where the previous one ended. A segment's first decode
    times may fall before the previous one's last (its B-frame delay can be
    larger); those are nudged forward by a tick, which keeps the decode
    order and every presentation time."""

    def __init__(self, target: Any, ost: Any) -> None:
        self.target = target
        self.ost = ost
        self.offset = Fraction(0)  # seconds already written
        self.last_dts: int | None = None

    def copy(self, path: Path) -> int:
        import av

        end = self.offset
        count = 0
        tb_out = self.ost.time_base
        with av.open(str(path)) as source:
            ist = source.streams.video[0]
            tb_in = ist.time_base
            assert tb_in is not None, "a demuxed stream has a time base"
            for packet in source.demux(ist):
                if packet.dts is None or packet.size == 0:
                    continue
                pts = packet.pts if packet.pts is not None else packet.dts
                pts_s = pts * tb_in + self.offset
                duration_s = (packet.duration or 0) * tb_in
                end = max(end, pts_s + duration_s)
                new_pts = round(pts_s / tb_out)
                new_dts = round((packet.dts * tb_in + self.offset) / tb_out)
                if self.last_dts is not None and new_dts <= self.last_dts:
                    new_dts = self.last_dts + 1
                new_dts = min(new_dts, new_pts)
                packet.stream = self.ost
                packet.pts, packet.dts = new_pts, new_dts
                packet.duration = round(duration_s / tb_out)
                self.target.mux(packet)
                self.last_dts = new_dts
                count += 1
        self.offset = end
        return count


def _decoded(paths: list[Path], params: VideoParams) -> Iterable[av.VideoFrame]:
    import av

    for path in paths:
        with av.open(str(path)) as source:
            for frame in source.decode(video=0):
                yield frame.reformat(width=params.width, height=params.height,
                                     format="yuv420p", dst_color_range="MPEG")


def probe(path: Path) -> dict[str, Any]:
    """Codec, pixel format, size, frame count and duration of a video file."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        frames = stream.frames
        duration = (float(stream.duration * stream.time_base)
                    if stream.duration and stream.time_base else None)
        return {"codec": ctx.name, "pix_fmt": ctx.pix_fmt, "width": ctx.width,
                "height": ctx.height, "frames": frames, "duration_s": duration}
