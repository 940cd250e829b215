"""Alerts: start once, no repeat while the condition holds, the end announced;
delivered to a real webhook (aiohttp, retried) and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from nats.aio.client import Client

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner, eventually
from tests.support.smtp import Inbox, smtp_server
from zenith.cli.nats_server import free_port
from zenith.contracts import alerts, frames, sensors
from zenith_sensors.alerts import condition
from zenith_sensors.config import AlertRule, SensorSpec


class Hook:
    """A real HTTP server that answers 503 to the first ``fail`` requests."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.calls = 0
        self.bodies: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.calls <= self.fail:
            return web.Response(status=503)
        self.bodies.append(await request.json())
        return web.json_response({"ok": True})


@pytest.fixture
async def hook() -> AsyncIterator[tuple[Hook, str]]:
    h = Hook(fail=1)
    app = web.Application()
    app.router.add_post("/alerts", h.handle)
    app_runner = web.AppRunner(app)
    await app_runner.setup()
    port = free_port()
    await web.TCPSite(app_runner, "127.0.0.1", port).start()
    try:
        yield h, f"http://127.0.0.1:{port}/alerts"
    finally:
        await app_runner.cleanup()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


async def _alerts(nc: Client) -> Any:
    return await nc.jetstream().subscribe(alerts.ALERT.subject_for(camera=CAMERA))


async def test_dew_risk_starts_once_and_ends_through_webhook_and_email(
        runner: SensorsRunner, nc: Client, hook: tuple[Hook, str],
        smtp: tuple[Inbox, int]) -> None:
    h, url = hook
    inbox, port = smtp
    sub = await _alerts(nc)
    await runner.start(
        sensors_sim_speed=2880.0,  # a 12-hour night in 15 s: the dome nears dew, then dries
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.05)],
        sensors_alerts=[AlertRule(name="dew-risk", kind="dew_risk", bound=1.0)],
        sensors_webhook_urls=[url], sensors_smtp_host="127.0.0.1", sensors_smtp_port=port,
        sensors_smtp_starttls=False, sensors_smtp_to=["owner@example.org"])
    start = alerts.Alert.model_validate_json((await sub.next_msg(timeout=60)).data)
    assert (start.kind, start.state, start.rule) == ("dew_risk", "start", "dew-risk")
    assert start.value is not None and start.value < 1.0
    end = alerts.Alert.model_validate_json((await sub.next_msg(timeout=60)).data)
    assert (end.id, end.state) == (start.id, "end") and end.value is not None
    assert end.value >= 1.0
    # hundreds of readings under the bound came between the two, and not one repeat
    # (the start and the end were the next two messages); a later crossing of the
    # bound would be a new alert with its own id
    with contextlib.suppress(asyncio.TimeoutError):
        later = alerts.Alert.model_validate_json((await sub.next_msg(timeout=1)).data)
        assert (later.state, later.id != start.id) == ("start", True)
    # the simulated nights go on, so a loaded machine may see the next night's
    # crossing too before this looks: the first two of each are this alert's
    await eventually(lambda: len(h.bodies) >= 2 and len(inbox.messages) >= 2, timeout=60)
    assert h.calls == len(h.bodies) + 1  # the first POST got a 503 and was tried again
    assert [(b["id"], b["state"]) for b in h.bodies[:2]] == [(start.id, "start"),
                                                           (start.id, "end")]
    assert h.bodies[0]["camera"] == CAMERA
    rcpt, mail = inbox.messages[0]
    assert rcpt == ["owner@example.org"]
    assert mail["Subject"] == f"[{CAMERA}] dew-risk started"
    assert "above the dew point" in mail.get_payload()
    assert inbox.messages[1][1]["Subject"] == f"[{CAMERA}] dew-risk ended"


async def test_camera_offline_and_back(runner: SensorsRunner, nc: Client) -> None:
    sub = await _alerts(nc)
    await runner.start(sensors_alerts=[AlertRule(name="offline", kind="camera_offline",
                                                 for_s=0.5)])
    start = alerts.Alert.model_validate_json((await sub.next_msg(timeout=30)).data)
    assert (start.kind, start.state) == ("camera_offline", "start")
    await nc.jetstream().publish(frames.FRAME_CAPTURED.subject_for(camera=CAMERA), b"{}")
    end = alerts.Alert.model_validate_json((await sub.next_msg(timeout=30)).data)
    assert (end.id, end.state) == (start.id, "end")


async def test_sky_clear_after_m_minutes_of_clear_sky(runner: SensorsRunner,
                                                       nc: Client) -> None:
    sub = await _alerts(nc)
    await runner.start(sensors_alerts=[AlertRule(name="clear", kind="sky_clear", bound=0.2,
                                                 for_s=600)])
    js = nc.jetstream()
    t0 = datetime(2026, 1, 10, 22, 0, tzinfo=UTC)

    async def sky(minute: int, cover: float) -> None:
        reading = sensors.Reading(camera=CAMERA, sensor="sky", measurement="sky",
                                  time=t0 + timedelta(minutes=minute),
                                  fields={"cloud_cover": cover}, tags={"camera": CAMERA})
        await js.publish(sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor="sky"),
                         reading.model_dump_json().encode())

    await sky(0, 0.9)
    for minute in (2, 6, 9):  # clear for 7 minutes: not yet
        await sky(minute, 0.1)
    with pytest.raises(asyncio.TimeoutError):
        await sub.next_msg(timeout=1)
    await sky(13, 0.05)  # 11 minutes clear
    start = alerts.Alert.model_validate_json((await sub.next_msg(timeout=30)).data)
    assert (start.kind, start.state) == ("sky_clear", "start")
    assert start.time == t0 + timedelta(minutes=13)
    await sky(20, 0.1)
    await sky(25, 0.7)  # clouds again
    end = alerts.Alert.model_validate_json((await sub.next_msg(timeout=30)).data)
    assert (end.id, end.state) == (start.id, "end")


@pytest.mark.parametrize(("fields", "rule", "value", "words"), [
    ({"temp": 10.996, "dewpoint": 10.0}, AlertRule(name="d", kind="dew_risk", bound=1.0),
     0.99, "0.9 °C above the dew point (under 1 °C)"),
    ({"temp": 11.04, "dewpoint": 10.0}, AlertRule(name="d", kind="dew_risk", bound=1.0),
     1.04, "1.0 °C above the dew point"),
    ({"cloud_cover": 0.1996}, AlertRule(name="c", kind="sky_clear", bound=0.2),
     0.199, "cloud cover 19%"),
])
def test_a_rounded_value_stays_on_its_side_of_the_bound(
        fields: dict[str, float], rule: AlertRule, value: float, words: str) -> None:
    reading = sensors.Reading(camera=CAMERA, sensor="dome", measurement="env",
                              time=datetime(2026, 1, 10, tzinfo=UTC), fields=fields)
    result = condition(rule, reading)
    assert result is not None
    holds, shown, message = result
    assert shown == value and words in message
    assert holds == (shown < (rule.bound or 0.0))
