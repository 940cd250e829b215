"""Bus endpoints: current values, status, series (downsampled), override; bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.aio.client import Client

from tests.services.sensors.sensorstest import CAMERA, SensorsRunner, eventually
from zenith.bus import BusClient
from zenith.contracts import alerts, sensors
from zenith.storage.series import Point
from zenith_sensors.config import AlertRule, SensorSpec

T0 = datetime(2026, 1, 10, 20, 0, tzinfo=UTC)


async def test_current_and_status_of_simulated_sensors(runner: SensorsRunner,
                                                       bus: BusClient) -> None:
    await runner.start(sensors_devices=[
        SensorSpec(name="dome", driver="bme280", interval_s=0.05),
        SensorSpec(name="cloud", driver="mlx90614", interval_s=0.05)])

    async def both() -> sensors.CurrentReply | None:
        reply: sensors.CurrentReply = await bus.request(sensors.CURRENT, camera=CAMERA)
        return reply if {r.sensor for r in reply.readings} == {"dome", "cloud"} else None

    current = await eventually(both)
    dome = next(r for r in current.readings if r.sensor == "dome")
    assert dome.measurement == "bme280" and set(dome.fields) == {"temp", "press", "hum",
                                                                 "dewpoint"}
    status: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
    assert status.camera == CAMERA
    assert {s.name: s.status for s in status.sensors} == {"dome": "ok", "cloud": "ok"}
    assert all(s.simulated for s in status.sensors)


async def test_a_failing_sensor_is_reported_retried_and_the_others_keep_running(
        runner: SensorsRunner, bus: BusClient, nc: Client) -> None:
    js = nc.jetstream()
    events = await js.subscribe(alerts.ALERT.subject_for(camera=CAMERA))
    statuses = await js.subscribe(sensors.SENSOR_STATUS.subject_for(camera=CAMERA,
                                                                    sensor="outside"))
    await runner.start(
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.05),
                         SensorSpec(name="outside", driver="ds18b20", interval_s=0.05,
                                    simulate=False)],
        sensors_onewire_dir=str(runner.settings.data_dir / "w1"),
        sensors_alerts=[AlertRule(name="sensor-failed", kind="sensor_failed", bound=2)])
    msg = await statuses.next_msg(timeout=30)
    state = sensors.SensorState.model_validate_json(msg.data)
    assert state.status == "failed" and "no 1-wire" in (state.error or "")
    alert = alerts.Alert.model_validate_json((await events.next_msg(timeout=30)).data)
    assert alert.kind == "sensor_failed" and alert.state == "start"

    async def failing() -> sensors.StatusReply | None:
        s: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
        by = {x.name: x for x in s.sensors}
        return s if by["outside"].failures >= 3 and by["dome"].status == "ok" else None

    status = await eventually(failing)
    outside = next(s for s in status.sensors if s.name == "outside")
    assert outside.next_try is not None and outside.last_reading is None
    assert [a.kind for a in status.alerts] == ["sensor_failed"]
    # the sensor appears: the next try reads it, and the alert's end is announced
    dev = runner.settings.data_dir / "w1" / "28-000000000001"
    dev.mkdir(parents=True)
    (dev / "w1_slave").write_text("aa 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n"
                                  "aa 01 4b 46 7f ff 0e 10 57 t=4250\n")
    ended = alerts.Alert.model_validate_json((await events.next_msg(timeout=30)).data)
    assert (ended.id, ended.state) == (alert.id, "end")

    async def healed() -> bool:
        s: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
        return {x.name: x.status for x in s.sensors}["outside"] == "ok"

    await eventually(healed)


async def test_series_downsampled_by_the_store(runner: SensorsRunner, bus: BusClient) -> None:
    node = await runner.start()
    await node.series.write([
        Point("bme280", T0 + timedelta(minutes=i), {"temp": float(i), "hum": 50.0 + i},
              {"camera": CAMERA, "sensor": "dome"}) for i in range(60)])
    raw: sensors.SeriesReply = await bus.request(sensors.SERIES, {
        "camera": CAMERA, "measurement": "bme280", "fields": ["temp"], "start": T0.isoformat(),
        "end": (T0 + timedelta(hours=1)).isoformat()})
    assert len(raw.rows) == 60
    tens: sensors.SeriesReply = await bus.request(sensors.SERIES, {
        "camera": CAMERA, "measurement": "bme280", "fields": ["temp", "hum"],
        "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat(),
        "every_s": 600, "aggregate": "max", "sensor": "dome"})
    assert [r.values["temp"] for r in tens.rows] == [9.0, 19.0, 29.0, 39.0, 49.0, 59.0]
    assert tens.rows[0].values["hum"] == 59.0
    other: sensors.SeriesReply = await bus.request(sensors.SERIES, {
        "camera": "someone-else", "measurement": "bme280", "fields": ["temp"],
        "start": T0.isoformat()})
    assert other.rows == []


async def test_latest_point_per_measurement_sensor_and_field(runner: SensorsRunner,
                                                             bus: BusClient) -> None:
    node = await runner.start()
    await node.series.write([
        Point("ext_weather", T0, {"temp": 1.0, "wind": 3.0}, {"camera": CAMERA, "sensor": "roof"}),
        Point("ext_weather", T0 + timedelta(minutes=5), {"temp": 2.0},
              {"camera": CAMERA, "sensor": "roof"}),
        Point("ext_weather", T0, {"temp": 9.0}, {"camera": "someone-else", "sensor": "roof"}),
        Point("aqi", T0 + timedelta(minutes=1), {"pm25": 12.0}, {"camera": CAMERA}),
    ])
    got: sensors.LatestReply = await bus.request(sensors.LATEST, {"camera": CAMERA})
    mine = {(f.measurement, f.sensor, f.field): (f.value, f.time) for f in got.fields}
    assert mine[("ext_weather", "roof", "temp")] == (2.0, T0 + timedelta(minutes=5))
    assert mine[("ext_weather", "roof", "wind")] == (3.0, T0)
    assert mine[("aqi", None, "pm25")] == (12.0, T0 + timedelta(minutes=1))
    one: sensors.LatestReply = await bus.request(sensors.LATEST, {"camera": CAMERA,
                                                                  "measurement": "aqi"})
    assert [(f.measurement, f.field) for f in one.fields] == [("aqi", "pm25")]
    none: sensors.LatestReply = await bus.request(sensors.LATEST, {"camera": "nobody"})
    assert none.fields == []


async def test_bad_requests_are_4xx_and_change_nothing(runner: SensorsRunner, raw: Any) -> None:
    await runner.start()
    ok_series = {"camera": CAMERA, "measurement": "bme280", "fields": ["temp"],
                 "start": T0.isoformat(), "end": (T0 + timedelta(hours=1)).isoformat()}
    cases: list[tuple[Any, Any, int, str]] = [
        (sensors.SERIES, b"not json", 400, "invalid_json"),
        (sensors.SERIES, {**ok_series, "camera": "Bad Camera"}, 400, "invalid_request"),
        (sensors.SERIES, {**ok_series, "measurement": "a;DROP"}, 400, "invalid_request"),
        (sensors.SERIES, {**ok_series, "fields": []}, 400, "invalid_request"),
        (sensors.SERIES, {**ok_series, "end": T0.isoformat()}, 400, "invalid_request"),
        (sensors.SERIES, {**ok_series, "every_s": 0.001}, 400, "too_many_points"),
        (sensors.SERIES, {**ok_series, "extra": 1}, 400, "invalid_request"),
        (sensors.LATEST, {"camera": "Bad Camera"}, 400, "invalid_request"),
        (sensors.LATEST, {"camera": CAMERA, "measurement": "a;DROP"}, 400, "invalid_request"),
        (sensors.OVERRIDE, {"name": "heater", "state": "on"}, 404, "not_found"),
        (sensors.OVERRIDE, {"name": "heater", "state": "hot"}, 400, "invalid_request"),
        (sensors.OVERRIDE, {"name": "heater", "state": "on", "minutes": -1}, 400,
         "invalid_request"),
        (sensors.OVERRIDE, [1, 2], 400, "invalid_json"),
    ]
    for endpoint, body, status, code in cases:
        got, reply = await raw(endpoint, body if isinstance(body, bytes) else
                               json.dumps(body).encode())
        assert (got, reply["error"]["code"]) == (status, code), (endpoint.name, body, reply)
