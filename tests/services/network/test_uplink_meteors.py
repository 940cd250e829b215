"""A node's meteor candidates reach its hub: the Zenith-dialect route and the uplink lane."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.cli.nats_server import NatsServer, free_port
from zenith.config import load_settings
from zenith.contracts import camerakeys as k
from zenith.contracts import capture, ingest
from zenith.contracts import network as c
from zenith.runner import service_context
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith_capture.meteor_store import Finds, Found, MeteorSearch
from zenith_capture.meteors import Candidate
from zenith_capture.settings import CaptureSettings
from zenith_network.cli import _uplink_status
from zenith_network.main import serve
from zenith_web.main import serve as serve_web
from zenith_web.settings import WebSettings

from .conftest import camera_body, network_settings
from .media import jpeg
from .test_hub_products import hub_products  # noqa: F401  (fixture)
from .test_ingest_allskykamera import ingest_messages, post, staged_files
from .test_status import wait_for

NIGHT = "2026-11-09"
RECORD = {"taken_at": "2026-11-09T23:15:02Z", "frame_id": "f0001", "x0": 100.0, "y0": 120.0,
          "x1": 300.0, "y1": 180.0, "length_px": 208.8, "width_px": 2.5, "peak": 0.4,
          "brightness": 35.0}
META = {"night": NIGHT, "candidate_id": "f0001-0", "record": RECORD}


def meteor_files(**replace: Any) -> dict[str, Any]:
    files: dict[str, Any] = {
        "crop": ("crop.jpg", jpeg(260, 120, seed=1), "image/jpeg"),
        "marked": ("marked.jpg", jpeg(1024, 768, seed=2), "image/jpeg"),
        "diff": ("diff.jpg", jpeg(260, 120, seed=3), "image/jpeg")}
    files.update(replace)
    return {name: f for name, f in files.items() if f is not None}


async def post_meteor(hub: Any, key: str, camera: str = "alpha", meta: Any = META,
                      idem: str = "alpha:2026-11-09:f0001-0", **replace: Any) -> Any:
    data = {} if meta is None else {"meta": json.dumps(meta)}
    return await post(f"{hub.url}{ingest.ZENITH_PREFIX}/{camera}/meteors",
                      headers={"X-API-Key": key, "Idempotency-Key": idem}, data=data,
                      files=meteor_files(**replace))


async def test_a_meteor_upload_is_staged_once(hub, nc):
    first = await post_meteor(hub, hub.key)
    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False
    again = await post_meteor(hub, hub.key)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    [event] = await ingest_messages(nc, "zenith.ingest.alpha.meteor")
    assert event["dialect"] == "zenith" and event["day"] == NIGHT
    assert event["candidate_id"] == "f0001-0"
    assert set(event["parts"]) == set(ingest.ZENITH_METEOR_PARTS)
    assert event["meta"]["candidate"]["length_px"] == 208.8


async def test_the_route_is_in_the_openapi_document(hub):
    import asyncio

    import requests

    answer = await asyncio.to_thread(requests.get, hub.url + "/api/openapi.json", timeout=10)
    doc = answer.json()
    op = doc["paths"][ingest.ZENITH_PREFIX + "/{camera}/meteors"]["post"]
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(schema["required"]) == {"meta", *ingest.ZENITH_METEOR_PARTS}


@pytest.mark.parametrize("case,status,code", [
    ("bad key", 401, None),
    ("other camera", 403, "wrong_camera"),
    ("not an image", 400, "invalid_image"),
    ("missing part", 400, "missing_part"),
    ("missing record", 400, "invalid_request"),
    ("bad record", 400, "invalid_request"),
    ("bad night", 400, "invalid_night"),
])
async def test_bad_meteor_uploads_store_nothing(hub, nc, case, status, code):
    key, camera, meta, replace = hub.key, "alpha", META, {}
    if case == "bad key":
        key = "not-a-key"
    elif case == "other camera":
        camera = "beta"
    elif case == "not an image":
        replace = {"diff": ("diff.jpg", b"GIF89a" + b"0" * 500, "image/jpeg")}
    elif case == "missing part":
        replace = {"marked": None}
    elif case == "missing record":
        meta = None
    elif case == "bad record":
        meta = {**META, "record": {"taken_at": "yesterday"}}
    elif case == "bad night":
        meta = {**META, "night": "2026-02-30"}
    response = await post_meteor(hub, key, camera, meta, **replace)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["error"]
    if code is not None:
        assert body["error"] == code
    assert staged_files(hub) == [] and await ingest_messages(nc) == []


@pytest.mark.parametrize("case,status,code", [
    ("bad key", 401, None),
    ("other camera", 403, "wrong_camera"),
    ("bad night", 400, "invalid_night"),
    ("no idempotency key", 400, "invalid_idempotency_key"),
])
async def test_bad_withdrawals_change_nothing(hub, nc, case, status, code):
    import asyncio

    import requests

    key, camera, night, headers = hub.key, "alpha", NIGHT, {}
    if case == "bad key":
        key = "not-a-key"
    elif case == "other camera":
        camera = "beta"
    elif case == "bad night":
        night = "2026-13-45"
    if case != "no idempotency key":
        headers["Idempotency-Key"] = "w-1"
    response = await asyncio.to_thread(
        requests.delete, f"{hub.url}{ingest.ZENITH_PREFIX}/{camera}/meteors/{night}/f0001-0",
        headers={"X-API-Key": key, **headers}, timeout=10)
    assert response.status_code == status, response.text
    assert response.json()["ok"] is False
    if code is not None:
        assert response.json()["error"] == code
    assert await ingest_messages(nc) == []


def candidate() -> tuple[Candidate, np.ndarray]:
    picture = np.zeros((480, 640, 3), dtype=np.uint8)
    picture[150:153, 100:300] = 220
    diff = np.zeros((60, 240), dtype=np.uint8)
    diff[28:31, 20:220] = 200
    cand = Candidate(taken_at=datetime(2026, 11, 9, 23, 15, 2, tzinfo=UTC), x0=100.0,
                     y0=151.0, x1=299.0, y1=151.0, length_px=199.0, width_px=2.0, peak=0.6,
                     brightness=40.0, bbox=(100, 150, 200, 3), diff=diff)
    return cand, picture


async def test_a_candidate_saved_on_the_node_reaches_the_hub_listing(
        tmp_path: Path, nats_server: Any, hub: Any, bus: Any, nc: Any,
        hub_products: Any, monkeypatch: Any, capsys: Any) -> None:  # noqa: F811
    await bus.request(c.CAMERA_ADD, camera_body("gamma", code="ASK044"))
    key = (await bus.request(k.KEY_ISSUE, {"camera": "gamma"})).key
    hub_port = free_port()
    node_blobs = BlobStore(tmp_path / "node-blobs")
    hub_blobs = hub.blob_dir  # the web on hub_port stages there, products copies there
    with NatsServer(tmp_path / "node-nats", free_port()) as node_nats:
        node = network_settings(tmp_path / "node", node_nats.url, camera="gamma",
                                blob_dir=tmp_path / "node-blobs",
                                network_hub_url=f"http://127.0.0.1:{hub_port}",
                                network_hub_key=key, network_uplink_retry_max_s=0.5)
        async with service_context("network", node, serve):
            node_nc = await connect(node_nats.url, name="node-test")
            node_bus = BusClient(node_nc)
            cap = load_settings(CaptureSettings, env={}, camera="gamma",
                                nats_url=node_nats.url, data_dir=tmp_path / "capture",
                                blob_dir=tmp_path / "node-blobs")
            node_meta = await open_metadata(f"sqlite:///{tmp_path / 'capture.db'}")
            search = MeteorSearch(cap, node_meta, node_blobs, node_nc.jetstream())
            await search.setup()
            cand, picture = candidate()
            [doc] = await search.save(Finds(found=[Found(cand, search._parts(cand, picture))]),
                                      NIGHT, "frame0001")

            async def failing() -> Any:  # the hub's web is not up yet: an outage
                status = await node_bus.request(c.UPLINK_STATUS, {}, camera="gamma")
                return status if status.last_error and status.meteors.pending >= 1 else None

            status = await wait_for(failing, timeout=30)
            assert "not reachable" in status.last_error

            web = load_settings(WebSettings, env={}, nats_url=nats_server.url,
                                http_port=hub_port, blob_dir=hub_blobs,
                                data_dir=tmp_path / "web2", web_local_no_auth=False)
            async with service_context("web", web, serve_web):
                async def listed() -> Any:
                    got = await bus.request(ingest.METEORS_LIST,
                                            {"camera": "gamma", "day": NIGHT})
                    return got.candidates or None

                [hub_doc] = await wait_for(listed, timeout=60)
                assert hub_doc.id == doc.id == capture.meteor_id("gamma", NIGHT, doc.candidate_id)
                assert set(hub_doc.parts) == set(ingest.ZENITH_METEOR_PARTS)
                for part, blob in hub_doc.parts.items():
                    assert (hub_blobs / blob).read_bytes() == \
                        node_blobs.read_bytes(doc.parts[part])
                assert hub_doc.candidate["length_px"] == 199.0
                status = await node_bus.request(c.UPLINK_STATUS, {}, camera="gamma")
                assert status.meteors.sent == 1 and status.meteors.pending == 0
                monkeypatch.setenv("ZENITH_CAMERA", "gamma")  # `zenith uplink status`
                capsys.readouterr()
                assert await _uplink_status(node_bus, argparse.Namespace(json=False)) == 0
                assert re.search(r"meteors\s+queued\s+0\s+sent\s+1\b", capsys.readouterr().out)

                # a replay (the same candidate announced again) is a duplicate on the hub
                change = capture.MeteorChanged(
                    camera="gamma", night=NIGHT, candidate_id=doc.candidate_id,
                    change="saved", record=capture.MeteorRecord.model_validate(doc.candidate),
                    parts=doc.parts, at=datetime.now(UTC))
                await node_nc.jetstream().publish(
                    capture.METEOR_CHANGED.subject_for(camera="gamma", change="saved"),
                    change.model_dump_json().encode(), headers={"Nats-Msg-Id": "replay-1"})

                async def resent() -> Any:
                    s = await node_bus.request(c.UPLINK_STATUS, {}, camera="gamma")
                    return s if s.meteors.sent >= 2 else None

                await wait_for(resent, timeout=60)
                events = await ingest_messages(nc, "zenith.ingest.gamma.meteor")
                assert len(events) == 1
                got = await bus.request(ingest.METEORS_LIST, {"camera": "gamma", "day": NIGHT})
                assert len(got.candidates) == 1

                # the next frame shows a track: capture withdraws it, the hub removes it
                await search.save(Finds(withdrawn=[cand]), NIGHT, "frame0002")

                async def gone() -> Any:
                    got = await bus.request(ingest.METEORS_LIST,
                                            {"camera": "gamma", "day": NIGHT})
                    return not got.candidates

                await wait_for(gone, timeout=60)
                assert not any((hub_blobs / blob).exists() for blob in hub_doc.parts.values())
                assert await node_meta.find(capture.CAPTURE_METEORS.name, {}) == []
            await node_meta.close()
            await node_nc.close()
