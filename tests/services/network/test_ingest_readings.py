"""Readings: /api/v2/write (as influxdb-client sends them) and /api/v1/weather.php."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
import requests

from zenith.contracts import network, sensors
from zenith.telemetry.redact import RedactSecrets, redact


async def token_of(hub: Any) -> str:
    response = await asyncio.to_thread(requests.get, hub.url + "/getSecrets.php",
                                       params={"key": hub.key}, timeout=5)
    return str(response.json()["influx_token"])


async def write(hub: Any, body: bytes | str, token: str | None, **params: str
                ) -> requests.Response:
    headers = {"Content-Type": "text/plain; charset=utf-8", "Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    query = {"org": "zenith", "bucket": "zenith", "precision": "ns", **params}
    return await asyncio.to_thread(requests.post, hub.url + "/api/v2/write", params=query,
                                   data=body, headers=headers, timeout=30)


async def readings(nc: Any, expect: int, timeout: float = 10) -> list[dict[str, Any]]:
    js = nc.jetstream()
    sub = await js.subscribe(sensors.SENSOR_READING.wildcard(), ordered_consumer=True)
    out: list[dict[str, Any]] = []
    try:
        while len(out) < expect:
            msg = await sub.next_msg(timeout=timeout)
            out.append(json.loads(msg.data))
        try:
            extra = await sub.next_msg(timeout=0.5)
            out.append(json.loads(extra.data))
        except Exception:
            pass
    finally:
        await sub.unsubscribe()
    return out


async def test_points_as_the_client_sends_them_become_readings(hub, nc):
    token = await token_of(hub)
    for line in ("sqm,kamera=ASK042 mpsas=21.34",
                 "bme280,kamera=ASK043,host=host1 temp=3.5,hum=91i,pres=1012.5",
                 "uploadstatus,kamera=ASK042,host=host1,error_code=ok imageupload_api=1.0",
                 'netstatus,kamera=ASK042 online=true,iface="wlan0"'):
        response = await write(hub, line, token)
        assert response.status_code == 204, response.text
    got = await readings(nc, 4)
    assert len(got) == 4
    by_name = {r["measurement"]: r for r in got}
    assert by_name["sqm"]["fields"] == {"mpsas": 21.34}
    bme = by_name["bme280"]
    assert bme["camera"] == "alpha" and bme["tags"]["kamera"] == "ASK042"  # forced
    assert bme["fields"] == {"temp": 3.5, "hum": 91.0, "pres": 1012.5}
    assert by_name["netstatus"]["fields"] == {"online": 1.0}  # strings are not series


async def test_a_timestamp_and_precision_are_honoured(hub, nc):
    token = await token_of(hub)
    response = await write(hub, "sqm mpsas=20 1764547200", token, precision="s")
    assert response.status_code == 204
    [reading] = await readings(nc, 1)
    assert reading["time"].startswith("2025-12-01T00:00:00")


@pytest.mark.parametrize("token", [None, "", "zt_000000000000_" + "0" * 64, "garbage"])
async def test_a_bad_token_is_401_in_influxdbs_shape(hub, nc, token):
    response = await write(hub, "sqm mpsas=21", token)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == "unauthorized"


async def test_a_camera_key_is_not_a_write_token(hub):
    response = await write(hub, "sqm mpsas=21", hub.key)
    assert response.status_code == 401


BAD_BODIES = {
    "1 million points": ("sqm mpsas=1\n" * 1_000_000, 413),
    "too many points": ("sqm mpsas=1\n" * 6000, 400),
    "100 kB field": ('sqm note="' + "x" * 100_000 + '"', 400),
    "not line protocol": ("this is not line protocol", 400),
    "not utf-8": (b"sqm mpsas=1\xff\xfe", 400),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_bad_bodies_store_nothing(hub, nc, case):
    body, status = BAD_BODIES[case]
    token = await token_of(hub)
    response = await write(hub, body, token)
    assert response.status_code == status, response.text[:300]
    assert set(response.json()) == {"code", "message"}
    js = nc.jetstream()
    try:
        info = await js.stream_info("SENSORS")
        assert info.state.messages == 0
    except Exception as exc:  # no stream yet: nothing was stored either
        assert "not found" in str(exc).lower()


async def test_weather_readings(hub, nc):
    response = await asyncio.to_thread(
        requests.post, hub.url + "/api/v1/weather.php", headers={"X-API-Key": hub.key},
        json={"sensor": "davis", "values": {"temperature": 4.2, "humidity": 88,
                                            "wind_speed": 3.1}}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "stored": 3}
    [reading] = await readings(nc, 1)
    assert reading["measurement"] == "ext_sensors" and reading["sensor"] == "davis"
    assert reading["tags"]["kamera"] == "ASK042"


@pytest.mark.parametrize("body", [
    {"values": {}}, {"values": {"t": "warm"}}, {"values": {"../t": 1}}, {"sensor": "A B",
                                                                         "values": {"t": 1}},
    {"values": {"t": 1}, "extra": 1},
])
async def test_bad_weather_is_a_clear_error(hub, nc, body):
    response = await asyncio.to_thread(
        requests.post, hub.url + "/api/v1/weather.php", headers={"X-API-Key": hub.key},
        json=body, timeout=10)
    assert response.status_code == 400
    assert response.json()["ok"] is False and response.json()["error"] == "invalid_request"


async def test_weather_needs_a_key(hub):
    response = await asyncio.to_thread(
        requests.post, hub.url + "/api/v1/weather.php", json={"values": {"t": 1}}, timeout=10)
    assert response.status_code == 401 and response.json()["ok"] is False


def test_keys_never_reach_a_log_line():
    key = "zk_0123456789ab_" + "f" * 48
    token = "zt_0123456789ab_" + "e" * 64
    lines = [
        f'127.0.0.1 "GET /getSecrets.php?key={key} HTTP/1.1" 200',
        "GET /getSecrets.php?key=someoldkey&x=1",
        f"headers {{'X-API-Key': '{key}'}}",
        f"Authorization: Token {token}",
        f"check of {key} failed",
    ]
    for line in lines:
        cleaned = redact(line)
        assert "f" * 48 not in cleaned and "e" * 64 not in cleaned
        assert "someoldkey" not in cleaned
    record = logging.LogRecord("aiohttp.access", logging.INFO, __file__, 1,
                               '%s "%s" %s', ("127.0.0.1", f"GET /getSecrets.php?key={key}",
                                              200), None)
    RedactSecrets().filter(record)
    assert key not in record.getMessage() and "/getSecrets.php?key=***" in record.getMessage()


async def test_points_reach_the_series_store_through_the_sensors_service(
        hub, tmp_path, nats_server, bus):
    """End to end: /api/v2/write -> SENSORS -> the sensors service's writer -> a query."""
    from datetime import timedelta

    from zenith.config import load_settings
    from zenith.runner import service_context
    from zenith.timefmt import utcnow
    from zenith_sensors.main import serve as serve_sensors
    from zenith_sensors.settings import SensorsSettings

    settings = load_settings(SensorsSettings, env={}, nats_url=nats_server.url,
                             data_dir=tmp_path / "sensors", sensors_backend="hardware",
                             sensors_devices=[], sensors_heaters=[], sensors_fans=[],
                             sensors_alerts=[],
                             series_url="sqlite:///" + str(tmp_path / "series.db"),
                             metadata_url="sqlite:///" + str(tmp_path / "sensors-meta.db"))
    async with service_context("sensors", settings, serve_sensors):
        token = await token_of(hub)
        response = await write(hub, "sqm,kamera=ASK043 mpsas=21.5", token)
        assert response.status_code == 204

        async def stored() -> Any:
            reply = await bus.request(sensors.SERIES, {
                "camera": "alpha", "measurement": "sqm", "fields": ["mpsas"],
                "start": (utcnow() - timedelta(minutes=5)).isoformat()})
            return reply.rows

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        rows = await stored()
        while not rows and loop.time() < deadline:
            await asyncio.sleep(0.2)
            rows = await stored()
        assert rows and rows[-1].values["mpsas"] == 21.5


async def test_one_point_per_request_asks_the_registry_once(hub, nc):
    """The client sends one point per request: the camera's code is looked up once
    (then reused for a while), not on every write."""
    token = await token_of(hub)  # getSecrets looks the code up
    for n in range(5):
        response = await write(hub, f"sqm,kamera=ASK042 mpsas=21.{n}", token)
        assert response.status_code == 204, response.text
    msg = await nc.request("$SRV.STATS.network", b"", timeout=5)
    [get] = [e for e in json.loads(msg.data)["endpoints"]
             if e["subject"] == network.CAMERA_GET.subject]
    assert get["num_requests"] == 1
    got = await readings(nc, 5)
    assert {r["tags"]["kamera"] for r in got} == {"ASK042"}
