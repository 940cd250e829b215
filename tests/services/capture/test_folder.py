"""Folder ingest: finished files only, each once, bad files counted and skipped."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import UTC, datetime

import cv2
import numpy as np
import pytest
from prometheus_client import REGISTRY

from zenith.contracts import capture
from zenith.storage.factory import open_from_settings
from zenith.timefmt import from_iso

from .conftest import CAMERA, eventually, running_capture


def sky_jpeg(width: int = 320, height: int = 240, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    img = rng.normal(40, 4, (height, width, 3)).clip(0, 255).astype(np.uint8)
    for _ in range(30):
        x, y = int(rng.integers(10, width - 10)), int(rng.integers(10, height - 10))
        cv2.circle(img, (x, y), 1, (255, 255, 255), -1)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def rejected(reason: str) -> float:
    return REGISTRY.get_sample_value("zenith_capture_frames_rejected_total",
                                     {"reason": reason}) or 0.0


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "allsky" / "images"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def folder_settings(make_settings, folder):
    def make(**overrides):
        values = {"capture_driver": "folder", "capture_folder_path": folder,
                  "capture_folder_poll_s": 0.1, "capture_folder_timezone": "UTC",
                  "capture_folder_settle_s": 1.0,
                  "capture_backoff_max_s": 0.5}
        values.update(overrides)
        return make_settings(**values)
    return make


async def frame_docs(settings):
    metadata, series, _ = await open_from_settings(settings)
    try:
        return await metadata.find("frames", {"camera": CAMERA}, sort=[("taken_at", 1)])
    finally:
        await metadata.close()
        await series.close()


async def test_ingests_allsky_and_indi_allsky_layouts_once(folder_settings, folder, bus):
    night = folder / "20261121"
    night.mkdir()
    (night / "image-20261121223015.jpg").write_bytes(sky_jpeg(seed=1))
    indi = folder / "ccd_1" / "exposures" / "20261121" / "night" / "23"
    indi.mkdir(parents=True)
    (indi / "ccd1_20261121_230501.jpg").write_bytes(sky_jpeg(seed=2))
    # never taken: hidden, temporary, partial and other files
    (night / ".image-20261121223115.jpg").write_bytes(sky_jpeg(seed=3))
    (night / "image-20261121223215.jpg.tmp").write_bytes(sky_jpeg(seed=4))
    (night / "image-20261121223315.part").write_bytes(sky_jpeg(seed=5))
    (night / "notes.txt").write_text("not an image")
    settings = folder_settings()
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 2)
        await asyncio.sleep(0.5)  # a few more scans: nothing else comes
        status = await bus.request(capture.STATUS, camera=CAMERA)
        assert status.frames == 2 and status.rejected == 0 and status.driver == "folder"
    docs = await frame_docs(settings)
    assert [from_iso(d["taken_at"]) for d in docs] == [
        datetime(2026, 11, 21, 22, 30, 15, tzinfo=UTC),
        datetime(2026, 11, 21, 23, 5, 1, tzinfo=UTC)]
    assert {d["night"] for d in docs} == {"2026-11-21"}
    assert docs[0]["file"] == "20261121/image-20261121223015.jpg"
    assert docs[0]["width"] == 320 and docs[0]["exposure_s"] == 0.0


async def test_a_file_written_slowly_is_ingested_once_complete(folder_settings, folder):
    data = sky_jpeg(seed=7)
    settings = folder_settings()
    before = sum(rejected(r) for r in ("truncated", "corrupt", "empty"))
    async with running_capture(settings) as (_, app):
        path = folder / "image-20261121224000.jpg"
        with path.open("wb") as fh:
            for start in range(0, len(data), len(data) // 6 + 1):
                fh.write(data[start:start + len(data) // 6 + 1])
                fh.flush()
                await asyncio.sleep(0.15)
        await eventually(lambda: app.loop.frames >= 1)
        await asyncio.sleep(0.5)
        assert app.loop.frames == 1 and app.loop.rejected == 0
    assert sum(rejected(r) for r in ("truncated", "corrupt", "empty")) == before
    docs = await frame_docs(settings)
    _, _, blobs = await open_from_settings(settings)
    assert blobs.read_bytes(docs[0]["key"]) == data  # the finished file, stored as it was


async def test_bad_files_are_logged_counted_and_skipped(folder_settings, folder, bus):
    good = sky_jpeg(seed=11)
    (folder / "image-20261121220000.jpg").write_bytes(good)
    settings = folder_settings()
    counts = {r: rejected(r) for r in ("corrupt", "empty", "truncated", "duplicate",
                                       "wrong_size")}
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1)
        (folder / "image-20261121220100.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(5000)
                                                          + b"\xff\xd9")
        (folder / "image-20261121220200.jpg").write_bytes(b"")
        (folder / "image-20261121220300.jpg").write_bytes(sky_jpeg(seed=12)[:3000])
        shutil.copy(folder / "image-20261121220000.jpg", folder / "image-20261121220400.jpg")
        (folder / "image-20261121220500.jpg").write_bytes(sky_jpeg(200, 150, seed=13))
        (folder / "image-20261121220600.jpg").write_bytes(sky_jpeg(seed=14))
        await eventually(lambda: app.loop.rejected >= 5 and app.loop.frames >= 2)
        await asyncio.sleep(0.6)  # later scans count nothing twice
        status = await bus.request(capture.STATUS, camera=CAMERA)
        assert status.state == "running"
        assert status.frames == 2 and status.rejected == 5
    for reason in counts:
        assert rejected(reason) == counts[reason] + 1, reason
    docs = await frame_docs(settings)
    assert [d["file"] for d in docs] == ["image-20261121220000.jpg", "image-20261121220600.jpg"]


async def test_nothing_is_ingested_twice_across_restarts(folder_settings, folder):
    (folder / "image-20261121210000.jpg").write_bytes(sky_jpeg(seed=21))
    (folder / "image-20261121210100.jpg").write_bytes(sky_jpeg(seed=22))
    (folder / "image-20261121210200.jpg").write_bytes(b"")
    settings = folder_settings()
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 2 and app.loop.rejected >= 1)
    (folder / "image-20261121210300.jpg").write_bytes(sky_jpeg(seed=23))
    async with running_capture(settings) as (_, app):
        await eventually(lambda: app.loop.frames >= 1)
        await asyncio.sleep(0.6)
        assert app.loop.frames == 1 and app.loop.rejected == 0
    assert len(await frame_docs(settings)) == 3


async def test_a_missing_or_unreadable_folder_is_an_error_not_a_crash(folder_settings, tmp_path,
                                                                      bus):
    missing = tmp_path / "not-yet"
    async with running_capture(folder_settings(capture_folder_path=missing)) as (_, app):
        status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
        assert "does not exist" in status.message
        reply = await bus.request(capture.STATUS, camera=CAMERA)
        assert reply.state == "error"
        missing.mkdir()
        (missing / "image-20261121230000.jpg").write_bytes(sky_jpeg(seed=31))
        await eventually(lambda: app.loop.frames >= 1, timeout=20)
        assert app.loop.state == "running"
    not_a_folder = tmp_path / "file.jpg"
    not_a_folder.write_bytes(b"x")
    async with running_capture(folder_settings(capture_folder_path=not_a_folder)) as (_, app):
        status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
        assert "is not a folder" in status.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
async def test_a_folder_without_permission_is_an_error(folder_settings, folder):
    folder.chmod(0)
    try:
        async with running_capture(folder_settings()) as (_, app):
            status = await eventually(lambda: app.loop.state == "error" and app.loop.status())
            assert "unreadable" in status.message
    finally:
        folder.chmod(0o755)
