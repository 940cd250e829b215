"""An uploaded live image becomes a frame on the hub: capture indexes it from INGEST,
the network marks the camera online."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from zenith.config import load_settings
from zenith.contracts import network as c
from zenith.contracts.frames import FRAME_CAPTURED
from zenith.runner import service_context
from zenith_capture.service import serve as serve_capture
from zenith_capture.settings import CaptureSettings

from .test_ingest_allskykamera import images, post
from .test_status import wait_for


@pytest.fixture
async def hub_capture(tmp_path: Path, nats_server: Any, hub: Any) -> Any:
    settings = load_settings(CaptureSettings, env={}, nats_url=nats_server.url,
                             data_dir=tmp_path / "capture", blob_dir=hub.blob_dir,
                             metadata_url="sqlite:///" + str(tmp_path / "capture.db"),
                             capture_hub_ingest=True)
    async with service_context("capture", settings, serve_capture) as ctx:
        yield ctx


async def test_an_uploaded_image_is_a_frame_and_the_camera_is_online(hub, hub_capture, nc,
                                                                       bus):
    frames: list[dict[str, Any]] = []

    async def on_frame(msg: Any) -> None:
        frames.append(json.loads(msg.data))

    await nc.subscribe(FRAME_CAPTURED.wildcard(), cb=on_frame)
    for _ in range(2):  # the same bytes twice are one frame
        response = await post(hub.url + "/api/v1/image_upload.php",
                              headers={"X-API-Key": hub.key},
                              data={"kamera": "ASK042", "asset": "image"}, files=images(seed=7))
        assert response.status_code == 200 and response.json()["ok"] is True

    async def online() -> Any:
        cam = await bus.request(c.CAMERA_GET, {"camera": "alpha"})
        return cam if cam.online else None

    cam = await wait_for(online, timeout=60)
    assert cam.last_upload_at is not None
    await asyncio.sleep(1)
    assert len(frames) == 1
    [frame] = frames
    assert frame["camera"] == "alpha" and frame["source"] == "upload:allskykamera"
    assert frame["width"] == 1920 and frame["height"] == 1080
    assert 0 <= frame["mean"] <= 1
    assert (hub.blob_dir / frame["key"]).read_bytes().startswith(b"\xff\xd8")
    # the frame is a copy of the staged fullhd, not a link: retention's deleting it
    # frees its bytes
    [staged] = [p for p in (hub.blob_dir / "staging" / "alpha").rglob("*.jpg")
                if p.stat().st_size == frame["size"]]
    assert (hub.blob_dir / frame["key"]).read_bytes() == staged.read_bytes()
    assert (hub.blob_dir / frame["key"]).stat().st_nlink == 1
    assert (hub.blob_dir / frame["thumb_key"]).is_file()
    beta = await bus.request(c.CAMERA_GET, {"camera": "beta"})
    assert not beta.online
    # the hub's capture serves each camera's frames index on the bus
    from zenith.contracts import frames as f

    listed = await bus.request(f.LIST, {"night": frame["night"]}, camera="alpha")
    assert [x.id for x in listed.frames] == [frame["frame_id"]]
    latest = await bus.request(f.LATEST, {"limit": 1}, camera="alpha")
    assert [x.id for x in latest.frames] == [frame["frame_id"]]
    nights = await bus.request(f.NIGHTS, {}, camera="alpha")
    assert [n.night for n in nights.nights] == [frame["night"]]
    assert (await bus.request(f.LIST, {"night": frame["night"]}, camera="beta")).frames == []


async def test_nights_are_cut_at_each_cameras_own_sun(hub, hub_capture, nc, bus):
    """The same instant is night in Sydney and day in Amsterdam: each camera's frame is
    filed by its own site."""
    from zenith.contracts import camerakeys as k
    from zenith.contracts import ingest

    from .conftest import camera_body
    from .media import jpeg

    await bus.request(c.CAMERA_ADD, camera_body("sydney", location={
        "latitude": -33.87, "longitude": 151.21, "timezone": "Australia/Sydney"}))
    keys = {"alpha": hub.key,
            "sydney": (await bus.request(k.KEY_ISSUE, {"camera": "sydney"})).key}
    frames: dict[str, dict[str, Any]] = {}

    async def on_frame(msg: Any) -> None:
        event = json.loads(msg.data)
        frames[event["camera"]] = event

    await nc.subscribe(FRAME_CAPTURED.wildcard(), cb=on_frame)
    meta = json.dumps({"taken_at": "2026-12-01T12:00:00Z", "exposure_s": 1, "gain": 1})
    for camera, key in keys.items():
        response = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/{camera}/frames",
                              headers={"X-API-Key": key, "Idempotency-Key": f"{camera}-1"},
                              data={"meta": meta},
                              files={"frame": ("f.jpg", jpeg(640, 480), "image/jpeg")})
        assert response.status_code == 200, response.text

    async def both() -> bool:
        return len(frames) == 2

    await wait_for(both, timeout=60)
    ams, syd = frames["alpha"], frames["sydney"]
    assert not ams["is_night"] and ams["sun_altitude"] > 0   # noon in Amsterdam
    assert syd["is_night"] and syd["sun_altitude"] < 0       # 23:00 in Sydney
    assert ams["night"] == "2026-12-01" and syd["night"] == "2026-12-01"
    assert ams["key"].startswith("frames/alpha/2026-12-01/")
