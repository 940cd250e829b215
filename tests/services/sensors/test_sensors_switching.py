"""Sensors switched off (sensors.DISABLED_SET): not read until switched on again,
kept over a restart; bad input changes nothing."""

from __future__ import annotations

import json
from typing import Any

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner, eventually
from zenith.bus import BusClient
from zenith.contracts import sensors
from zenith_sensors.config import SensorSpec

DEVICES = [
    SensorSpec(name="dome", driver="bme280", interval_s=0.05),
    SensorSpec(name="cloud", driver="mlx90614", interval_s=0.05),
]


async def states(bus: BusClient) -> dict[str, str]:
    reply: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
    return {s.name: s.status for s in reply.sensors}


async def test_a_switched_off_sensor_is_not_read_until_switched_on(
    runner: SensorsRunner, bus: BusClient, raw: Any
) -> None:
    node = await runner.start(sensors_devices=DEVICES)
    await eventually(lambda: {"dome", "cloud"} <= set(node.latest))
    reply: sensors.DisabledReply = await bus.request(
        sensors.DISABLED_SET, {"disabled": ["cloud", "not-configured"]}, camera=CAMERA
    )
    assert reply.disabled == ["cloud", "not-configured"]
    assert {s.name: s.status for s in reply.sensors} == {"dome": "ok", "cloud": "disabled"}
    current: sensors.CurrentReply = await bus.request(sensors.CURRENT, camera=CAMERA)
    assert "cloud" not in {r.sensor for r in current.readings}
    assert node.loops["cloud"].state.last_reading is None  # a fresh loop, not started
    dome_before = node.latest["dome"].time
    await eventually(lambda: node.latest["dome"].time > dome_before)
    assert "cloud" not in node.latest  # dome is read on, cloud is not

    # bad input: a 400 JSON error, nothing changed
    for body in (
        {"disabled": ["<script>"]},
        {"disabled": "cloud"},
        {"disabled": ["x"] * 65},
        {},
        {"disabled": [], "extra": 1},
    ):
        status, answer = await raw(sensors.DISABLED_SET, body)
        assert (status, answer["error"]["code"]) == (400, "invalid_request"), (body, answer)
    status, answer = await raw(sensors.DISABLED_SET, b"[1")
    assert status == 400
    assert await states(bus) == {"dome": "ok", "cloud": "disabled"}

    # kept over a restart
    await runner.stop()
    node = await runner.start()
    assert (await states(bus))["cloud"] == "disabled"
    await eventually(lambda: "dome" in node.latest)
    assert "cloud" not in node.latest

    # switched on again: read again
    reply = await bus.request(sensors.DISABLED_SET, {"disabled": []}, camera=CAMERA)
    assert reply.disabled == []
    await eventually(lambda: "cloud" in node.latest)
    assert await states(bus) == {"dome": "ok", "cloud": "ok"}
    saved = await node.switches.records.get("disabled") if node.switches else None
    assert saved is not None and saved.disabled == []
    assert json.loads(saved.model_dump_json()) == {"disabled": []}
