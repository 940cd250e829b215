"""Uploaded videos lose their container metadata (location, title, tags), in both
dialects, and keep their video packets byte for byte; cut-off videos are refused."""

from __future__ import annotations

import io
import struct
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pytest

from zenith.contracts import ingest

from .media import VIDEO_MARKS, faststart, jpeg, video_with_metadata
from .test_ingest_allskykamera import ingest_messages, post, staged_files

TAGS = ("title", "location", "location-eng", "comment")


def packets(source: Any) -> list[tuple[bytes, Fraction | None, bool]]:
    """The video stream's packets: bytes, presentation time, keyframe flag."""
    with av.open(source) as container:
        stream = container.streams.video[0]
        return [(bytes(p), p.pts * p.time_base if p.pts is not None else None, p.is_keyframe)
                for p in container.demux(stream) if p.size]


def frames(source: Any) -> list[np.ndarray]:
    with av.open(source) as container:
        return [f.to_ndarray() for f in container.decode(container.streams.video[0])]


def mp4_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[bytes]:
    """Every box type in an MP4, depth first (containers that hold boxes opened)."""
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append(kind)
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"):
            out += mp4_boxes(data, pos + 8, pos + size)
        elif kind == b"meta":
            out += mp4_boxes(data, pos + 12, pos + size)
        elif kind == b"ilst":
            out += [b"ilst:" + k for k in mp4_boxes(data, pos + 8, pos + size)]
        pos += size
    return out


def assert_clean_and_same(stored: bytes, original: bytes) -> None:
    for mark in VIDEO_MARKS:
        assert mark not in stored, mark
    with av.open(io.BytesIO(stored)) as container:
        assert not set(TAGS) & {k.lower() for k in container.metadata}
        assert not {"title", "name"} & {k.lower() for k in container.streams.video[0].metadata}
        assert len(container.streams) == 1
    assert packets(io.BytesIO(stored)) == packets(io.BytesIO(original))
    decoded, expected = frames(io.BytesIO(stored)), frames(io.BytesIO(original))
    assert len(decoded) == len(expected) == 12
    assert all(np.array_equal(a, b) for a, b in zip(decoded, expected, strict=True))


def test_the_test_videos_carry_the_metadata():
    for codec, fmt in (("libx264", "mp4"), ("libvpx-vp9", "webm")):
        data = video_with_metadata(codec, fmt)
        with av.open(io.BytesIO(data)) as container:
            tags = {k.lower() for k in container.metadata}
            assert {"title", "location", "comment"} <= tags
        assert all(mark in data for mark in VIDEO_MARKS[:2])
    assert b"\xa9xyz" in mp4_boxes(video_with_metadata())


async def test_an_allskykamera_mp4_is_stored_without_its_metadata(hub, nc):
    original = video_with_metadata("libx264", "mp4")
    response = await post(hub.url + "/api/v1/nightly_upload.php",
                          headers={"X-API-Key": hub.key},
                          data={"date": "20261109", "asset": "video", "publish_last": "1"},
                          files={"file": ("allsky-20261109.mp4", original, "video/mp4"),
                                 "thumb": ("thumb.jpg", jpeg(480, 270), "image/jpeg")})
    assert response.status_code == 200, response.text
    [event] = await ingest_messages(nc, "zenith.ingest.alpha.product")
    part = event["parts"]["file"]
    assert part["codec"] == "h264" and part["content_type"] == "video/mp4"
    stored = (hub.blob_dir / part["key"]).read_bytes()
    assert part["size"] == len(stored)
    boxes = mp4_boxes(stored)
    assert b"\xa9xyz" not in boxes and not [b for b in boxes if b.startswith(b"ilst:")]
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # still plays while it loads
    assert_clean_and_same(stored, original)


async def test_a_zenith_webm_is_stored_without_its_metadata(hub, nc):
    original = video_with_metadata("libvpx-vp9", "webm")
    response = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/products",
                          headers={"X-API-Key": hub.key, "Idempotency-Key": "tl-2026-11-09"},
                          data={"kind": "timelapse", "night": "2026-11-09"},
                          files={"file": ("timelapse.webm", original, "video/webm"),
                                 "thumb": ("t.jpg", jpeg(320, 240), "image/jpeg")})
    assert response.status_code == 200, response.text
    [event] = await ingest_messages(nc, "zenith.ingest.alpha.product")
    part = event["parts"]["file"]
    assert part["codec"] == "vp9" and part["content_type"] == "video/webm"
    stored = (hub.blob_dir / part["key"]).read_bytes()
    assert_clean_and_same(stored, original)


def _cut(data: bytes, fraction: float) -> bytes:
    return data[:int(len(data) * fraction)]


TRUNCATED = {
    "mp4 with its index first, cut in its data": (
        lambda: _cut(faststart(video_with_metadata()), 0.7), "video/mp4", "truncated_video"),
    "mp4 with its index last, cut": (
        lambda: _cut(video_with_metadata(), 0.7), "video/mp4", "invalid_video"),
    "webm cut in its last cluster": (
        lambda: _cut(video_with_metadata("libvpx-vp9", "webm"), 0.9), "video/webm",
        "truncated_video"),
}


@pytest.mark.parametrize("case", list(TRUNCATED))
async def test_a_cut_off_video_is_a_clear_error_and_stores_nothing(hub, nc, case):
    make, content_type, code = TRUNCATED[case]
    for url, headers, data in (
            (hub.url + "/api/v1/nightly_upload.php", {"X-API-Key": hub.key},
             {"date": "20261109", "asset": "video"}),
            (f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/products",
             {"X-API-Key": hub.key, "Idempotency-Key": "tl-cut"},
             {"kind": "timelapse", "night": "2026-11-09"})):
        response = await post(url, headers=headers, data=data,
                              files={"file": ("v", make(), content_type),
                                     "thumb": ("t.jpg", jpeg(320, 240), "image/jpeg")})
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["ok"] is False and body["error"] == code and body["message"]
    assert staged_files(hub) == [] and await ingest_messages(nc) == []  # no .clean either
