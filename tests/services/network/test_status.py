"""Online status from live frames; offline after silence; events on each change."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from zenith.contracts import network as c
from zenith.contracts.frames import FRAME_CAPTURED, FrameCaptured
from zenith.runner import service_context
from zenith.timefmt import utcnow
from zenith_network.main import serve

from .conftest import camera_body, network_settings


async def publish_frame(js: Any, camera: str, frame_id: str, age_s: float = 0) -> None:
    taken = utcnow() - timedelta(seconds=age_s)
    event = FrameCaptured(camera=camera, frame_id=frame_id, taken_at=taken,
                          night="2026-11-09", is_night=True, key=f"frames/{camera}/x.jpg",
                          width=10, height=10, exposure_s=1, gain=1, mean=0.1)
    await js.publish(FRAME_CAPTURED.subject_for(camera=camera), event.model_dump_json().encode(),
                     headers={"Nats-Msg-Id": frame_id})


async def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_a_frame_brings_a_camera_online_and_silence_takes_it_offline(
        tmp_path, nats_server, auth, bus, nc):
    settings = network_settings(tmp_path, nats_server.url, network_offline_after_s=2,
                                network_status_every_s=0.2)
    js = nc.jetstream()
    events: list[dict[str, Any]] = []

    async def on_status(msg: Any) -> None:
        events.append(json.loads(msg.data))

    await nc.subscribe(c.CAMERA_STATUS.wildcard(), cb=on_status)
    async with service_context("network", settings, serve):
        await bus.request(c.CAMERA_ADD, camera_body("alpha"))
        await bus.request(c.CAMERA_ADD, camera_body("beta"))
        await publish_frame(js, "alpha", "f1")
        await publish_frame(js, "alpha", "f1")  # a duplicate changes nothing
        await publish_frame(js, "ghost", "f2")  # an unknown camera is ignored

        async def alpha_online() -> Any:
            cam = await bus.request(c.CAMERA_GET, {"camera": "alpha"})
            return cam if cam.online else None

        cam = await wait_for(alpha_online)
        assert cam.last_upload_at is not None
        online = await bus.request(c.CAMERA_LIST, {"online": True})
        assert [x.id for x in online.cameras] == ["alpha"]

        async def alpha_offline() -> Any:
            cam = await bus.request(c.CAMERA_GET, {"camera": "alpha"})
            return not cam.online

        await wait_for(alpha_offline)
        await wait_for(lambda: _true(len(events) >= 2))
        assert [(e["camera"], e["online"]) for e in events] == [("alpha", True),
                                                                ("alpha", False)]
        # an old frame (a node catching up) does not bring it back
        await publish_frame(js, "alpha", "f3", age_s=3600)
        await asyncio.sleep(1)
        assert not (await bus.request(c.CAMERA_GET, {"camera": "alpha"})).online
        assert len(events) == 2


async def _true(value: bool) -> bool:
    return value


async def test_disabling_and_removing_publish_status(network, bus, nc):
    events: list[dict[str, Any]] = []

    async def on_status(msg: Any) -> None:
        events.append(json.loads(msg.data))

    await nc.subscribe(c.CAMERA_STATUS.wildcard(), cb=on_status)
    await bus.request(c.CAMERA_ADD, camera_body("alpha"))
    await bus.request(c.CAMERA_EDIT, {"camera": "alpha", "enabled": False})
    await bus.request(c.CAMERA_REMOVE, {"camera": "alpha"})
    await wait_for(lambda: _true(len(events) >= 2))
    assert [(e["enabled"], e["removed"]) for e in events] == [(False, False), (False, True)]
