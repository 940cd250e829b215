"""Zenith's own dialect: frames with metadata, products and reading batches, idempotent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import requests

from zenith.contracts import ingest

from .media import jpeg, video
from .test_ingest_allskykamera import ingest_messages, post, staged_files

META = {"taken_at": "2026-11-09T22:00:00Z", "exposure_s": 20.0, "gain": 8.0,
        "metrics": {"mean": 0.12, "stars": 150.0, "sqm": 21.2}}


def frame_request(hub: Any, key: str, camera: str = "alpha", meta: Any = META,
                  idem: str | None = "f-0001") -> dict[str, Any]:
    headers = {"X-API-Key": key}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return dict(headers=headers, data={"meta": json.dumps(meta)},
                files={"frame": ("frame.jpg", jpeg(2028, 1520, seed=5), "image/jpeg")})


async def test_a_frame_retry_is_recognised_and_stored_once(hub, nc):
    url = f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/frames"
    first = await post(url, **frame_request(hub, hub.key))
    assert first.status_code == 200, first.text
    assert first.json() == {"ok": True, "upload_id": first.json()["upload_id"],
                            "duplicate": False}
    again = await post(url, **frame_request(hub, hub.key))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    [event] = await ingest_messages(nc)
    assert event["dialect"] == "zenith" and event["meta"]["exposure_s"] == 20.0
    assert event["taken_at"].startswith("2026-11-09T22:00:00")
    assert event["parts"]["fullhd"]["width"] == 2028


@pytest.mark.parametrize("case,status,code", [
    ("other camera", 403, "wrong_camera"),
    ("no idempotency key", 400, "invalid_idempotency_key"),
    ("bad meta", 400, "invalid_request"),
    ("meta not json", 400, "invalid_request"),
])
async def test_bad_frames(hub, nc, case, status, code):
    camera, meta, idem = "alpha", META, "f-1"
    if case == "other camera":
        camera = "beta"
    elif case == "no idempotency key":
        idem = None
    elif case == "bad meta":
        meta = {**META, "exposure_s": -1}
    elif case == "meta not json":
        meta = "not json"
    kwargs = frame_request(hub, hub.key, camera, meta, idem)
    if case == "meta not json":
        kwargs["data"] = {"meta": "{not json"}
    response = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/{camera}/frames", **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert staged_files(hub) == [] and await ingest_messages(nc) == []


async def test_a_product(hub, nc):
    response = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/products",
                          headers={"X-API-Key": hub.key, "Idempotency-Key": "p-2026-11-09-tl"},
                          data={"kind": "timelapse", "night": "2026-11-09"},
                          files={"file": ("timelapse.mp4", video(), "video/mp4"),
                                 "thumb": ("t.jpg", jpeg(320, 240), "image/jpeg")})
    assert response.status_code == 200, response.text
    [event] = await ingest_messages(nc, "zenith.ingest.alpha.product")
    assert event["asset"] == "video" and event["night"] == "2026-11-09"
    bad = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/products",
                     headers={"X-API-Key": hub.key, "Idempotency-Key": "p-x"},
                     data={"kind": "sunset", "night": "2026-11-09"},
                     files={"file": ("t.jpg", jpeg(320, 240), "image/jpeg"),
                            "thumb": ("t.jpg", jpeg(320, 240), "image/jpeg")})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_kind"
    # an image product's file is staged once, as its fullhd
    keogram = await post(f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/products",
                         headers={"X-API-Key": hub.key, "Idempotency-Key": "p-2026-11-09-k"},
                         data={"kind": "keogram", "night": "2026-11-09"},
                         files={"file": ("k.jpg", jpeg(640, 120), "image/jpeg"),
                                "thumb": ("t.jpg", jpeg(320, 60), "image/jpeg")})
    assert keogram.status_code == 200, keogram.text
    events = await ingest_messages(nc, "zenith.ingest.alpha.product")
    [parts] = [e["parts"] for e in events if e["asset"] == "keogram"]
    assert sorted(parts) == ["fullhd", "thumb"]
    assert len(staged_files(hub)) == 4  # the timelapse's two parts and the keogram's


async def test_a_resent_batch_of_readings_is_stored_once(hub, nc):
    batch = {"readings": [{"sensor": "bme280", "measurement": "bme280",
                           "time": f"2026-11-09T22:0{n}:00Z",
                           "fields": {"temperature": 3.0 + n}} for n in range(5)]}
    url = f"{hub.url}{ingest.ZENITH_PREFIX}/alpha/readings"
    for _ in range(2):
        response = await asyncio.to_thread(
            requests.post, url, json=batch, timeout=10,
            headers={"X-API-Key": hub.key, "Idempotency-Key": "batch-17"})
        assert response.status_code == 200, response.text
        assert response.json()["stored"] == 5
    info = await nc.jetstream().stream_info("SENSORS")
    assert info.state.messages == 5
    too_big = {"readings": batch["readings"] * 201}
    response = await asyncio.to_thread(
        requests.post, url, json=too_big, timeout=10,
        headers={"X-API-Key": hub.key, "Idempotency-Key": "batch-18"})
    assert response.status_code == 400
    assert (await nc.jetstream().stream_info("SENSORS")).state.messages == 5
