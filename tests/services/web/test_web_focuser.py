"""Focuser routes end to end: web -> gpio (mock stepper) and capture (simulator) for frames."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.services.web.webstack import CAMERA, WebUnderTest, bearer, login
from zenith.bus.client import BusClient
from zenith.contracts import capture

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("gpio_service", "capture_service")]


async def call(web: WebUnderTest, method: str, path: str,
               body: Any = None) -> tuple[int, Any]:
    async with web.local().request(method, path, json=body) as resp:
        return resp.status, await resp.json()


async def position(web: WebUnderTest) -> int:
    status, body = await call(web, "GET", "/focuser/status")
    assert status == 200
    return int(body["position"])


async def test_status_shape(web: WebUnderTest) -> None:
    status, body = await call(web, "GET", "/focuser/status")
    assert status == 200
    assert body["driver"] == "a4988"
    assert body["pins"] == [5, 6, 13]
    assert (body["min_position"], body["max_position"]) == (0, 5000)


async def test_sync_then_move_in_and_out(web: WebUnderTest) -> None:
    status, body = await call(web, "POST", "/focuser/sync", {"position": 1000})
    assert (status, body["position"]) == (200, 1000)
    status, body = await call(web, "POST", "/focuser/move",
                              {"direction": "out", "steps": 100, "wait": True})
    assert (status, body["position"], body["moving"]) == (200, 1100, False)
    status, body = await call(web, "POST", "/focuser/move",
                              {"direction": "in", "steps": 100, "wait": True})
    assert (status, body["position"]) == (200, 1000)
    status, body = await call(web, "POST", "/focuser/move", {"position": 1200, "wait": True})
    assert (status, body["position"]) == (200, 1200)
    status, body = await call(web, "POST", "/focuser/move", {"steps": -200, "wait": True})
    assert (status, body["position"]) == (200, 1000)
    status, body = await call(web, "POST", "/focuser/stop")
    assert (status, body["moving"]) == (200, False)


@pytest.mark.parametrize("body", [
    {"position": 6000},
    {"steps": -100000},
    {"direction": "out", "steps": 9000},
])
async def test_moves_beyond_the_limits_are_refused(web: WebUnderTest, body: Any) -> None:
    before = await position(web)
    status, reply = await call(web, "POST", "/focuser/move", body)
    assert status == 400
    assert "limit" in reply["error"]["message"]
    assert await position(web) == before


@pytest.mark.parametrize("body, field", [
    ({}, "steps"),
    ({"steps": 10, "position": 10}, "steps"),
    ({"direction": "up", "steps": 10}, "direction"),
    ({"direction": "in"}, "steps"),
    ({"direction": "in", "steps": -5}, "steps"),
    ({"steps": "many"}, "steps"),
    ({"steps": 10, "speed": 0}, "speed"),
])
async def test_bad_moves_are_400(web: WebUnderTest, body: Any, field: str) -> None:
    before = await position(web)
    status, reply = await call(web, "POST", "/focuser/move", body)
    assert status == 400
    assert field in reply["error"]["message"]
    assert await position(web) == before


async def test_bad_configuration_changes_nothing(web: WebUnderTest) -> None:
    _, before = await call(web, "GET", "/focuser/status")
    for body in ({"driver": "stepperless"}, {"backlash": -1}, {"speed": 0},
                 {"pins": [5, 6, 99]}, {"min_position": 10, "max_position": 5}):
        status, reply = await call(web, "POST", "/focuser/configure", body)
        assert status == 400, body
        assert reply["error"]["message"]
    _, after = await call(web, "GET", "/focuser/status")
    assert after == before


async def test_frame_is_a_jpeg_with_focus_metrics(web: WebUnderTest) -> None:
    async with web.local().get("/focuser/frame.jpg?max_width=160&quality=70") as resp:
        assert resp.status == 200
        assert resp.content_type == "image/jpeg"
        data = await resp.read()
        assert data[:3] == b"\xff\xd8\xff"
        assert resp.headers["X-Taken-At"]
        assert "X-Focus-Sharpness" in resp.headers or "X-Focus-HFR" in resp.headers


async def test_a_viewer_gets_the_loops_latest_frame_and_cannot_stall_the_camera(
        web: WebUnderTest, viewer: Any, bus: BusClient) -> None:
    """While the loop runs, a snapshot is its latest saved frame: a 600 s exposure
    asked by a viewer costs the night nothing, and a new exposure needs focuser:update."""
    client = web.remote()
    headers = bearer((await login(client, viewer))["access_token"])
    async with client.get("/focuser/frame.jpg?exposure_s=600&max_width=160",
                          headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["X-Frame-Latest"] == "true"
        taken_at = resp.headers["X-Taken-At"]
        assert (await resp.read())[:3] == b"\xff\xd8\xff"
        assert "X-Focus-Sharpness" in resp.headers
    status = await bus.request(capture.STATUS, {}, camera=CAMERA)
    assert status.state == "running"
    assert datetime.fromisoformat(taken_at) <= status.last_frame_at
    async with client.get("/focuser/frame.jpg?fresh=true", headers=headers) as resp:
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "forbidden"


async def test_a_focuser_user_may_ask_for_a_new_exposure(web: WebUnderTest) -> None:
    async with web.local().get("/focuser/frame.jpg?fresh=true&exposure_s=0.5"
                               "&max_width=160") as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["X-Frame-Latest"] == "false"
        assert resp.headers["X-Exposure-S"] == "0.5"
    async with web.local().get("/focuser/frame.jpg?fresh=true&exposure_s=500") as resp:
        assert resp.status == 400  # above capture_snapshot_max_exposure_s
        assert (await resp.json())["error"]["code"] == "exposure_too_long"


@pytest.mark.parametrize("query", ["max_width=10", "quality=0", "exposure_s=-1",
                                   "max_width=wide", "colour=red"])
async def test_frame_with_bad_query_is_400(web: WebUnderTest, query: str) -> None:
    status, body = await call(web, "GET", f"/focuser/frame.jpg?{query}")
    assert status == 400
    assert body["error"]["code"] == "invalid_request"


async def test_autofocus_sweeps_and_reports_the_curve(web: WebUnderTest) -> None:
    await call(web, "POST", "/focuser/sync", {"position": 1000})
    status, reply = await call(web, "POST", "/focuser/autofocus",
                               {"start": 800, "end": 1200, "step": 100})
    assert status == 200, reply
    assert [p["position"] for p in reply["curve"]] == [800, 900, 1000, 1100, 1200]
    assert 800 <= reply["best_position"] <= 1200
    status, body = await call(web, "GET", "/focuser/status")
    assert body["autofocus"]["running"] is False
    assert len(body["autofocus"]["curve"]) == 5
    assert body["position"] == reply["best_position"]


async def test_autofocus_with_a_bad_sweep_is_400(web: WebUnderTest) -> None:
    before = await position(web)
    for body in ({"start": 1200, "end": 800}, {"step": 0}, {"start": -100, "end": 100}):
        status, reply = await call(web, "POST", "/focuser/autofocus", body)
        assert status == 400, body
        assert reply["error"]["message"]
    assert await position(web) == before
