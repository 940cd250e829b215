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

from .test_ingest_allskykamera import images, post, staged_files
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
    # once indexed, the upload's staged parts are gone: the frame is its bytes' only
    # name, so retention's deleting it frees them
    async def unstaged() -> bool:
        return staged_files(hub) == []

    await wait_for(unstaged, timeout=10)
    assert (hub.blob_dir / frame["key"]).stat().st_nlink == 1
    assert (hub.blob_dir / frame["key"]).stat().st_size == frame["size"]
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


async def test_an_upload_whose_staged_frame_is_gone_is_dropped_not_retried(hub, hub_capture,
                                                                          nc):
    """Its parts go only after its frame is indexed (or, weeks old, by the sweep): the
    upload is acknowledged and dropped, not redelivered for ever; the next one is
    indexed."""
    from datetime import UTC, datetime

    from zenith.contracts import ingest

    now = datetime.now(UTC)
    gone = ingest.UploadReceived(
        upload_id="alpha-frame-gone", camera="alpha", kind="frame", asset="image",
        dialect="allskykamera", received_at=now, taken_at=now,
        parts={"fullhd": ingest.StagedPart(
            name="fullhd", key=ingest.staging_key("alpha", "alpha-frame-gone", "r1",
                                                  "fullhd", "jpg"),
            size=1000, sha256="0" * 64, content_type="image/jpeg")})
    js = nc.jetstream()
    await js.publish(ingest.UPLOAD_RECEIVED.subject_for(camera="alpha", kind="frame"),
                     gone.model_dump_json().encode())
    frames: list[dict[str, Any]] = []

    async def on_frame(msg: Any) -> None:
        frames.append(json.loads(msg.data))

    await nc.subscribe(FRAME_CAPTURED.wildcard(), cb=on_frame)
    response = await post(hub.url + "/api/v1/image_upload.php", headers={"X-API-Key": hub.key},
                          data={"asset": "image"}, files=images(seed=11))
    assert response.status_code == 200, response.text

    async def settled() -> bool:
        info = await js.consumer_info("INGEST", "capture-uploads")
        return bool(frames) and info.num_ack_pending == 0 and info.num_pending == 0

    await wait_for(settled, timeout=30)
    assert [f["frame_id"] for f in frames] == [response.json()["upload_id"]]


async def test_a_nodes_frame_keeps_the_metrics_its_node_measured(hub, hub_capture, nc, bus):
    """A node measured its frame on the raw data (its lens, its darks): the hub keeps
    those metrics, and measures only a frame whose metrics are missing or out of
    range."""
    from zenith.contracts import frames as f
    from zenith.contracts import ingest

    from .media import jpeg

    events: dict[str, dict[str, Any]] = {}

    async def on_frame(msg: Any) -> None:
        event = json.loads(msg.data)
        events[event["frame_id"]] = event

    await nc.subscribe(FRAME_CAPTURED.wildcard(), cb=on_frame)
    given = {"mean": 0.0421, "stars": 312, "hfr": 1.85, "sqm": 20.94, "cloud_cover": 0.12,
             "sun_altitude": -40.0}
    ids = {}
    for name, metrics in (("kept", given), ("measured", {**given, "mean": 7.0})):
        meta = json.dumps({"taken_at": "2026-12-01T22:00:00Z", "exposure_s": 30,
                           "gain": 2, "metrics": metrics})
        response = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/frames",
                              headers={"X-API-Key": hub.key, "Idempotency-Key": name},
                              data={"meta": meta},
                              files={"frame": ("f.jpg", jpeg(1280, 960, seed=3),
                                               "image/jpeg")})
        assert response.status_code == 200, response.text
        ids[name] = response.json()["upload_id"]

    async def both() -> bool:
        return set(ids.values()) <= set(events)

    await wait_for(both, timeout=60)
    kept, measured = events[ids["kept"]], events[ids["measured"]]
    assert (kept["mean"], kept["stars"], kept["hfr"], kept["sqm"], kept["cloud_cover"]) == \
        (0.0421, 312, 1.85, 20.94, 0.12)
    assert kept["sun_altitude"] != -40.0  # the hub's own, for the camera's site
    assert (kept["width"], kept["height"]) == (1280, 960)
    assert 0 <= measured["mean"] <= 1 and measured["mean"] != 7.0
    listed = await bus.request(f.LIST, {"night": kept["night"]}, camera="alpha")
    [doc] = [x for x in listed.frames if x.id == ids["kept"]]
    assert doc.metrics["stars"] == 312 and doc.metrics["sqm"] == 20.94
    thumb = hub.blob_dir / kept["thumb_key"]
    import cv2
    import numpy as np

    pixels = cv2.imdecode(np.frombuffer(thumb.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert pixels.shape[1] == 320  # capture_thumb_width, from a quarter-scale decode
