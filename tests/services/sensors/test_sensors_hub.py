"""A hub's alerts per uploading camera: offline from the real network service's
status, dew risk from uploaded readings; one start, no repeat, one end, on
zenith.alerts.<camera> and to a real webhook; two replicas announce once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from tests.services.network.conftest import auth_settings, camera_body, network_settings
from tests.services.network.test_status import publish_frame
from tests.services.sensors.sensorstest import SensorsRunner, eventually
from tests.services.sensors.test_sensors_alerts import Hook, hook  # noqa: F401 (fixture)
from zenith.bus.client import BusClient
from zenith.contracts import alerts, sensors
from zenith.contracts import network as net
from zenith.runner import service_context
from zenith.timefmt import utcnow
from zenith_auth.main import serve as serve_auth
from zenith_network.main import serve as serve_network
from zenith_sensors.alerts import DEFAULT_RULES
from zenith_sensors.config import AlertRule
from zenith_sensors.settings import SensorsSettings


@pytest.fixture
async def network(tmp_path: Path, nats_server: Any) -> AsyncIterator[None]:
    async with service_context("auth", auth_settings(tmp_path, nats_server.url), serve_auth):
        # a frame brings a camera online only when network sees it within this
        # time of its taking: generous, for a loaded machine
        settings = network_settings(tmp_path, nats_server.url, network_offline_after_s=6,
                                    network_status_every_s=0.2)
        async with service_context("network", settings, serve_network):
            yield


async def _next(sub: Any, timeout: float = 60) -> alerts.Alert:
    return alerts.Alert.model_validate_json((await sub.next_msg(timeout=timeout)).data)


async def _nothing_more(sub: Any, wait_s: float = 2.0) -> None:
    with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
        extra = await sub.next_msg(timeout=wait_s)
        raise AssertionError(f"unexpected alert: {extra.data!r}")


async def test_a_camera_that_stops_uploading_raises_one_offline_alert_then_its_end(
        network: None, runner: SensorsRunner, nc: Client, bus: BusClient,
        hook: tuple[Hook, str]) -> None:  # noqa: F811
    h, url = hook
    h.fail = 0
    js = nc.jetstream()
    sub = await js.subscribe(alerts.ALERT.subject_for(camera="alpha"))
    await runner.start(sensors_hub_alerts=True, sensors_alerts=list(DEFAULT_RULES),
                       sensors_webhook_urls=[url])
    await bus.request(net.CAMERA_ADD, camera_body("alpha"))
    await publish_frame(js, "alpha", "f1")  # online; then silence: offline after 6 s
    start = await _next(sub)
    assert (start.camera, start.kind, start.state) == ("alpha", "camera_offline", "start")
    assert "no upload since" in start.message
    await _nothing_more(sub)  # silence goes on: no repeat
    await publish_frame(js, "alpha", "f2")  # back
    end = await _next(sub)
    assert (end.id, end.camera, end.state) == (start.id, "alpha", "end")
    await eventually(lambda: len(h.bodies) == 2, timeout=30)
    assert [(b["camera"], b["state"]) for b in h.bodies] == [("alpha", "start"), ("alpha", "end")]
    # the hub's own camera never uploaded, and has no offline alert of its own
    own = await js.subscribe(alerts.ALERT.subject_for(camera=runner.settings.camera))
    assert runner.node is not None and runner.node.alerts is not None
    await runner.node.alerts.tick(utcnow() + timedelta(days=1))
    await _nothing_more(own, 0.5)


async def _reading(js: Any, camera: str, temp: float, dewpoint: float) -> None:
    reading = sensors.Reading(camera=camera, sensor="bme280", measurement="bme280",
                              time=utcnow(), fields={"temp": temp, "hum": 90.0,
                                                     "dewpoint": dewpoint})
    await js.publish(sensors.SENSOR_READING.subject_for(camera=camera, sensor="bme280"),
                     reading.model_dump_json().encode())


async def test_uploaded_readings_raise_dew_alerts_per_camera_once_across_replicas(
        settings: SensorsSettings, nc: Client) -> None:
    js = nc.jetstream()
    sub = await js.subscribe(alerts.ALERT.wildcard())
    hub = settings.model_copy(update={
        "sensors_hub_alerts": True,
        "sensors_alerts": [AlertRule(name="dew-risk", kind="dew_risk", bound=2.0)]})
    replicas = [SensorsRunner(hub), SensorsRunner(hub)]
    try:
        for r in replicas:
            await r.start()
        for temp in (5.0, 4.0, 3.0):  # 1 °C above the dew point, three times
            await _reading(js, "beta", temp, temp - 1.0)
        await _reading(js, "gamma", 8.0, 0.0)  # far from dew: nothing
        start = await _next(sub)
        assert (start.camera, start.kind, start.state) == ("beta", "dew_risk", "start")
        assert start.value == 1.0 and start.message.startswith("beta: bme280:")
        await _nothing_more(sub)  # not repeated, by either replica
        # a restart of both keeps the started alert: its end is still announced
        for r in replicas:
            await r.stop()
            await r.start()
        await _reading(js, "beta", 6.0, 0.0)
        end = await _next(sub)
        assert (end.id, end.camera, end.state) == (start.id, "beta", "end")
        await _nothing_more(sub)
        # an old reading (a node catching up) is not judged
        old = sensors.Reading(camera="beta", sensor="bme280", measurement="bme280",
                              time=utcnow() - timedelta(hours=3),
                              fields={"temp": 3.0, "dewpoint": 2.5})
        await js.publish(sensors.SENSOR_READING.subject_for(camera="beta", sensor="bme280"),
                         old.model_dump_json().encode())
        await _nothing_more(sub)
    finally:
        for r in replicas:
            await r.stop()
