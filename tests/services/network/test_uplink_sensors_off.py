"""Sensors the owner switched off on the hub: the hub drops their readings in both
dialects (and weather.php), tells the node (config and every batch's answer), and
the node's uplink switches them off in its sensors service, which stops reading them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import requests

from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.cli.nats_server import NatsServer, free_port
from zenith.contracts import ingest, profiles, sensors
from zenith.runner import service_context
from zenith_network.main import serve

from .conftest import network_settings
from .test_ingest_readings import token_of, write
from .test_status import wait_for

OFF = ["cloud", "mlx90614", "roof"]


async def switch_off(bus: BusClient, camera: str, names: list[str]) -> None:
    from zenith.contracts import network

    cam = await bus.request(network.CAMERA_GET, {"camera": camera})
    before = await bus.request(profiles.PROFILE_GET, {"camera": camera})
    body = before.model_dump(include=set(profiles.ProfileFields.model_fields))
    body.update(
        camera=camera,
        name=cam.name,
        site=cam.site,
        location=cam.location.model_dump(),
        disabled_sensors=names,
    )
    await bus.request(profiles.PROFILE_SAVE, body)


async def stored_sensors(nc: Any) -> list[str]:
    """The sensors of every reading on the hub's SENSORS stream so far."""
    js = nc.jetstream()
    count = (await js.stream_info(sensors.SENSOR_READING.stream)).state.messages
    sub = await js.subscribe(sensors.SENSOR_READING.wildcard(), ordered_consumer=True)
    out: list[str] = []
    try:
        while len(out) < count:
            msg = await sub.next_msg(timeout=5)
            out.append(json.loads(msg.data)["sensor"])
    finally:
        await sub.unsubscribe()
    return out


async def get(url: str, **headers: str) -> requests.Response:
    return await asyncio.to_thread(requests.get, url, headers=headers, timeout=10)


async def test_the_hub_drops_a_switched_off_sensor_in_every_dialect(
    hub: Any, bus: BusClient, nc: Any
) -> None:
    await switch_off(bus, "alpha", OFF)
    base = f"{hub.url}{ingest.ZENITH_PREFIX}/alpha"
    # the node's dialect: the batch's answer names the switched-off sensors
    batch = {
        "readings": [
            {
                "sensor": name,
                "measurement": m,
                "time": f"2026-11-09T22:0{n}:00Z",
                "fields": {"temp": 3.0 + n},
                "tags": {"sensor": name},
            }
            for n, (name, m) in enumerate(
                [("dome", "bme280"), ("cloud", "mlx90614"), ("dome", "bme280")]
            )
        ]
    }
    response = await asyncio.to_thread(
        requests.post,
        base + "/readings",
        json=batch,
        timeout=10,
        headers={"X-API-Key": hub.key, "Idempotency-Key": "off-1"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "stored": 2, "dropped": 1, "disabled_sensors": OFF}
    # AllSkyKamera line protocol: a line's sensor is its measurement
    token = await token_of(hub)
    response = await write(
        hub, "mlx90614,kamera=ASK042 Tsky=-20.5\nbme280,kamera=ASK042 temp=3.5", token
    )
    assert response.status_code == 204, response.text
    # weather.php: answered, nothing stored
    response = await asyncio.to_thread(
        requests.post,
        hub.url + "/api/v1/weather.php",
        timeout=10,
        json={"sensor": "roof", "values": {"wind": 3.0}},
        headers={"X-API-Key": hub.key},
    )
    assert response.status_code == 200 and response.json() == {
        "ok": True,
        "stored": 0,
        "disabled": True,
    }
    assert sorted(await stored_sensors(nc)) == ["bme280", "dome", "dome"]
    # the config the node polls: its own key only
    response = await get(base + "/config", **{"X-API-Key": hub.key})
    assert response.status_code == 200 and response.json() == {"disabled_sensors": OFF}
    response = await get(base + "/config", **{"X-API-Key": "zk_wrong"})
    assert response.status_code == 401 and response.json()["ok"] is False
    response = await get(base + "/config")
    assert response.status_code == 401
    response = await get(f"{hub.url}{ingest.ZENITH_PREFIX}/beta/config", **{"X-API-Key": hub.key})
    assert response.status_code == 403 and response.json()["error"] == "wrong_camera"
    response = await get(
        f"{hub.url}{ingest.ZENITH_PREFIX}/Not%20A%20Camera/config", **{"X-API-Key": hub.key}
    )
    assert response.status_code == 400 and response.json()["ok"] is False


async def test_the_uplink_switches_the_sensor_off_on_the_node(
    tmp_path: Path, hub: Any, bus: BusClient, nc: Any
) -> None:
    from zenith_sensors.config import SensorSpec
    from zenith_sensors.main import serve as serve_sensors
    from zenith_sensors.settings import SensorsSettings

    await switch_off(bus, "alpha", ["cloud"])
    with NatsServer(tmp_path / "node-nats", free_port()) as node_nats:
        node_sensors = SensorsSettings(
            nats_url=node_nats.url,
            camera="alpha",
            data_dir=tmp_path / "node-sensors",
            sensors_backend="simulated",
            sensors_alerts=[],
            sensors_fans=[],
            sensors_heaters=[],
            sensors_devices=[
                SensorSpec(name="dome", driver="bme280", interval_s=0.2),
                SensorSpec(name="cloud", driver="mlx90614", interval_s=0.2),
            ],
        )
        node = network_settings(
            tmp_path / "node",
            node_nats.url,
            camera="alpha",
            blob_dir=tmp_path / "node-blobs",
            network_hub_url=hub.url,
            network_hub_key=hub.key,
            network_uplink_batch=20,
            network_uplink_config_every_s=3600,  # the batch tells
            network_uplink_retry_max_s=0.5,
        )
        async with (
            service_context("sensors", node_sensors, serve_sensors),
            service_context("network", node, serve),
        ):
            node_nc = await connect(node_nats.url, name="node-test")
            node_bus = BusClient(node_nc)
            try:

                async def switched_off() -> Any:
                    status = await node_bus.request(sensors.STATUS, camera="alpha")
                    by = {s.name: s.status for s in status.sensors}
                    return by if by.get("cloud") == "disabled" else None

                by = await wait_for(switched_off, timeout=30)
                assert by["dome"] in ("ok", "starting")

                async def dome_arrives() -> Any:
                    got = await stored_sensors(nc)
                    return got if got.count("dome") >= 3 else None

                got = await wait_for(dome_arrives, timeout=30)
                # a cloud reading made before the node heard it is dropped by the hub
                assert "cloud" not in got
            finally:
                await node_nc.close()
