"""Timelapse segments joined into one browser-playable MP4."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np

from tests.services.products.productstest import top_level_atoms
from zenith_products.video import SegmentEncoder, VideoParams, concat, encode_clip, even_size


def _frame(level: int, width: int = 160, height: int = 120) -> av.VideoFrame:
    bgr = np.full((height, width, 3), level, np.uint8)
    frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
    return frame.reformat(format="yuv420p", dst_color_range="MPEG")


def _decode(path: Path) -> tuple[list[float], dict[str, object]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        info = {"codec": stream.codec_context.name, "pix_fmt": stream.codec_context.pix_fmt,
                "width": stream.codec_context.width, "height": stream.codec_context.height}
        means = [float(f.to_ndarray(format="gray").mean()) for f in container.decode(stream)]
    return means, info


def test_segments_of_any_length_join_without_reencoding(tmp_path: Path):
    params = VideoParams(160, 120, fps=10, crf=18, preset="ultrafast")
    lengths = [1, 2, 7, 3, 5]  # odd lengths give segments different B-frame delays
    paths, level = [], 0
    for index, length in enumerate(lengths):
        enc = SegmentEncoder(tmp_path / f"seg{index}.mp4", params)
        for _ in range(length):
            enc.add(_frame(10 + level * 8))
            level += 1
        assert enc.close() == length
        paths.append(enc.path)
    out = tmp_path / "night.mp4"
    assert concat(paths, out, params) == sum(lengths)
    means, info = _decode(out)
    assert info == {"codec": "h264", "pix_fmt": "yuv420p", "width": 160, "height": 120}
    assert len(means) == sum(lengths)
    assert all(b > a for a, b in itertools.pairwise(means)), "frames out of order"
    atoms = top_level_atoms(out.read_bytes())
    assert atoms.index("moov") < atoms.index("mdat"), "not faststart"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert float(stream.duration * stream.time_base) == sum(lengths) / 10


def test_segments_with_other_settings_are_reencoded_to_match(tmp_path: Path):
    a, b = VideoParams(160, 120, crf=20), VideoParams(128, 96, crf=30)
    paths = []
    for index, params in enumerate((a, b)):
        path = tmp_path / f"s{index}.mp4"
        encode_clip((_frame(50 + i) for i in range(4)), path, params)
        paths.append(path)
    out = tmp_path / "out.mp4"
    assert concat(paths, out, a) == 8
    means, info = _decode(out)
    assert len(means) == 8 and info["width"] == 160


def test_clip_is_faststart_h264_yuv420p(tmp_path: Path):
    path = tmp_path / "clip.mp4"
    assert encode_clip((_frame(i * 20) for i in range(6)), path, VideoParams(160, 120)) == 6
    means, info = _decode(path)
    assert len(means) == 6 and info["pix_fmt"] == "yuv420p"
    atoms = top_level_atoms(path.read_bytes())
    assert atoms.index("moov") < atoms.index("mdat")


def test_even_size():
    assert even_size(1281, 961) == (1280, 960)
    assert even_size(4056, 3040, 1920) == (1920, 1438)
    assert even_size(640, 480, 1920) == (640, 480)
